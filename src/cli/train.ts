// npm run train -- [flags]: trains the seed's MLP (or SLP) on the digits and prints its progress.

import { loadDigits } from "../data.js";
import { KERNEL_BUILDS } from "../kernels.js";
import type { NormalizeKind } from "../normalize.js";
import { train, type Report, type TrainConfig } from "../train.js";
import { choiceFlag, intFlag, numberFlag, parseFlags } from "./args.js";
import { runCli } from "./main.js";

const HELP = `Usage: npm run train -- [flags]

Trains a classifier for the 8x8 digits (data/digits.csv.gz) with WebAssembly kernels.

  --model mlp|slp          64-hidden-10 with ReLU (mlp) or 64-10 softmax regression (slp)   [mlp]
  --hidden N               hidden units of the MLP                                         [32]
  --epochs N               full-batch epochs                                               [1000]
  --lr X                   learning rate                                                   [0.1]
  --seed N                 NumPy-compatible seed for the initial weights                   [42]
  --every N                report every N epochs                                           [100]
  --normalize feature|global
                           standardise per feature or with one global mean and std
                                                           [feature for mlp, global for slp]
  --kernels auto|scalar|simd|relaxed
                           which kernel build to run                                      [auto]
  --json                   JSON lines on stdout: one per report, then a summary
  --help                   this text
`;

const FLAGS = {
  model: { type: "string", default: "mlp" },
  hidden: { type: "string", default: "32" },
  epochs: { type: "string", default: "1000" },
  lr: { type: "string", default: "0.1" },
  seed: { type: "string", default: "42" },
  every: { type: "string", default: "100" },
  normalize: { type: "string" },
  kernels: { type: "string", default: "auto" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

const MAX_HIDDEN = 1 << 16;

export function parseTrainFlags(argv: string[]): (TrainConfig & { model: "mlp" | "slp"; json: boolean }) | "help" {
  const v = parseFlags(argv, FLAGS);
  if (v.help) return "help";
  const model = choiceFlag(v, "model", ["mlp", "slp"] as const);
  const hidden = intFlag(v, "hidden", 1, MAX_HIDDEN);
  const normalize: NormalizeKind =
    v.normalize === undefined ? (model === "mlp" ? "feature" : "global") : choiceFlag(v, "normalize", ["feature", "global"] as const);
  return {
    model,
    layers: model === "mlp" ? [64, hidden, 10] : [64, 10],
    epochs: intFlag(v, "epochs", 1, 1e9),
    lr: numberFlag(v, "lr", (x) => (x > 0 && x <= 1e6 ? undefined : "must be greater than 0 and at most 1e6")),
    seed: intFlag(v, "seed", 0, 0xffffffff),
    every: intFlag(v, "every", 1, 1e9),
    normalize,
    kernels: choiceFlag(v, "kernels", ["auto", ...KERNEL_BUILDS] as const),
    json: v.json === true,
  };
}

function percent(acc: number, digits: number): string {
  return `${(acc * 100).toFixed(digits)}%`;
}

async function main(argv: string[]): Promise<void> {
  const cfg = parseTrainFlags(argv);
  if (cfg === "help") {
    process.stdout.write(HELP);
    return;
  }
  const data = await loadDigits();
  // the seed prints the SLP with one decimal and the MLP with none
  const digits = cfg.model === "slp" ? 1 : 0;
  const out = (line: string) => process.stdout.write(line + "\n");
  if (!cfg.json) {
    out(`${cfg.model.toUpperCase()} ${cfg.layers.join("-")} | ${data.n} samples | lr ${cfg.lr} | seed ${cfg.seed} | ${cfg.normalize} standardisation`);
  }
  const onReport = cfg.json
    ? (r: Report) => out(JSON.stringify({ epoch: r.epoch, accuracy: round(r.accuracy), loss: round(r.loss) }))
    : (r: Report) => out(`Epoch ${String(r.epoch).padStart(4)} | Acc: ${percent(r.accuracy, digits)} | Loss: ${r.loss.toFixed(4)}`);
  const { summary: s } = await train(data, cfg, onReport);
  if (cfg.json) {
    out(JSON.stringify({ ...s, accuracy: round(s.accuracy), loss: round(s.loss), train_ms: round(s.train_ms, 3), epochs_per_s: round(s.epochs_per_s, 1) }));
  } else {
    out(
      `Final      | Acc: ${percent(s.accuracy, 1)} | Loss: ${s.loss.toFixed(4)} | ${s.epochs} epochs in ` +
        `${(s.train_ms / 1000).toFixed(2)} s (${Math.round(s.epochs_per_s)} epochs/s) | kernels: ${s.kernels}`,
    );
  }
}

function round(x: number, digits = 6): number {
  return Number(x.toFixed(digits));
}

await runCli("train", main);
