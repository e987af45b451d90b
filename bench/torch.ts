// --vs-torch: Fashion-MNIST epochs of this project against PyTorch (issue 21's race at real size): MLP
// 784-256-128-10, Adam lr 1e-3, batch 128, seed 42, on the 60,000 training images, tested on the official
// 10,000. Runs alternate in pairs of four (ours on one thread, PyTorch on one, ours on two, PyTorch on two),
// because the machine drifts within minutes. Each side runs on both thread counts in every pair: two of
// PyTorch's threads can be slower than one on this machine, and our CLI's default (--threads auto) starts
// its workers only from the second epoch, so a short run would be mostly one thread. A figure is seconds
// per epoch: each side's own timing of its epoch loop (our CLI's train_ms from its --json summary, the
// script's perf_counter), divided by the epochs; neither counts start-up, loading the data or the final
// test. The result is the median of the per-pair ratios ours / PyTorch, on one thread each and on each
// side's best thread count (the faster of its two runs in that pair). PyTorch runs as /usr/bin/python3
// (Debian's python3-torch, CPU) with bench/torch/fashion.py; both sides read Debian's dataset-fashion-mnist.

import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { machine, type Machine } from "./machine.js";
import { fromBench, lastJson, TRAIN } from "./spawned.js";
import type { Settings } from "./plan.js";
import { median } from "./sample.js";
import { num, renderTable, type Column } from "./table.js";

const PYTHON = "/usr/bin/python3";
// dist/bench/torch.js -> <repo>/bench/torch/fashion.py and <repo>/dist/src/cli/train.js
const FASHION_PY = fromBench("../../bench/torch/fashion.py");
/** Where bench/torch/fashion.py reads the data; our CLI is pointed at the same folder. */
const DATA_DIR = "/usr/share/datasets/fashion-mnist";
const DATA_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];
const INSTALL = "apt-get install python3-torch dataset-fashion-mnist";

const HIDDEN = "256,128", BATCH = "128", LR = "0.001";
/** The targets for the median ratio ours / PyTorch. */
const TARGET_ONE = 1.3, TARGET_BEST = 0.7;

type Side = "ours" | "torch";

/** One training run: its timing and test accuracy. */
interface Run {
  side: Side;
  /** Threads asked for. */
  asked: "1" | "2";
  /** Threads it ran on. */
  threads: number;
  train_ms: number;
  epochs: number;
  /** train_ms / epochs, in seconds. */
  epoch_s: number;
  test_accuracy: number;
  /** Our kernel build, or PyTorch's version. */
  build: string;
}

/** The runs of each pair, in the order they ran. */
const SLOTS: readonly { side: Side; asked: Run["asked"] }[] = [
  { side: "ours", asked: "1" }, { side: "torch", asked: "1" }, { side: "ours", asked: "2" }, { side: "torch", asked: "2" },
];

function run(side: Side, asked: Run["asked"], epochs: number): Run {
  let j: Record<string, unknown>;
  if (side === "ours") {
    const env = { ...process.env };
    delete env.FASHION_MNIST_DIR; // the same files as the script's
    const args = ["--dataset", "fashion-mnist", "--hidden", HIDDEN, "--optimizer", "adam", "--lr", LR, "--batch", BATCH, "--epochs", String(epochs), "--json", "--threads", asked];
    j = lastJson(`node train.js ${args.join(" ")}`, spawnSync(process.execPath, [TRAIN, ...args], { encoding: "utf8", env, maxBuffer: 64 << 20 }));
  } else {
    const args = ["--hidden", HIDDEN, "--epochs", String(epochs), "--batch", BATCH, "--lr", LR, "--threads", asked];
    j = lastJson(`python3 fashion.py ${args.join(" ")}`, spawnSync(PYTHON, [FASHION_PY, ...args], { encoding: "utf8" }));
  }
  const train_ms = Number(j.train_ms), ran = Number(j.epochs);
  return {
    side, asked, threads: Number(j.threads), train_ms, epochs: ran, epoch_s: train_ms / ran / 1000,
    test_accuracy: Number(j.test_accuracy), build: String(side === "ours" ? j.kernels : j.version),
  };
}

/** A side's best run of a pair: the faster of its two. */
const best = (pair: Run[], side: Side): Run => pair.filter((r) => r.side === side).reduce((a, b) => (b.epoch_s < a.epoch_s ? b : a));
const one = (pair: Run[], side: Side): Run => pair.find((r) => r.side === side && r.asked === "1")!;

interface Comparison {
  id: "one-thread" | "best";
  name: string;
  target: number;
  ours: Run[];
  torch: Run[];
  ratios: number[];
}

function comparisons(pairs: Run[][]): Comparison[] {
  const make = (id: Comparison["id"], name: string, target: number, pick: (p: Run[], s: Side) => Run): Comparison => {
    const ours = pairs.map((p) => pick(p, "ours")), torch = pairs.map((p) => pick(p, "torch"));
    return { id, name, target, ours, torch, ratios: ours.map((o, i) => o.epoch_s / torch[i].epoch_s) };
  };
  return [
    make("one-thread", "Fashion-MNIST epoch, one thread each", TARGET_ONE, one),
    make("best", "Fashion-MNIST epoch, each side's best thread count", TARGET_BEST, best),
  ];
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
const sideName = (s: Side) => (s === "ours" ? "ours" : "PyTorch");
/** Thread counts of runs, e.g. "2 threads" or "threads 2 2 1" when the pairs differ. */
const threadsOf = (runs: Run[]) => (new Set(runs.map((r) => r.threads)).size === 1 ? plural(runs[0].threads, "thread") : `threads ${runs.map((r) => r.threads).join(" ")}`);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function text(pairs: Run[][], epochs: number, m: Machine): string {
  const n = pairs.length, first = pairs[0];
  const torchVersion = first.find((r) => r.side === "torch")!.build, kernels = first.find((r) => r.side === "ours")!.build;
  const runRows = SLOTS.map(({ side, asked }) => {
    const runs = pairs.map((p) => p.find((r) => r.side === side && r.asked === asked)!);
    return [
      sideName(side), threadsOf(runs), num(median(runs.map((r) => r.epoch_s)), 2),
      runs.map((r) => r.epoch_s.toFixed(2)).join(" "), pct(median(runs.map((r) => r.test_accuracy))),
    ];
  });
  const runCols: Column[] = [
    { header: "side", align: "left" }, { header: "threads", align: "left" }, { header: "s/epoch" },
    { header: "s/epoch per pair", align: "left" }, { header: "test accuracy" },
  ];
  const cs = comparisons(pairs);
  const rows = cs.map((c) => {
    const r = median(c.ratios);
    return [
      c.name, `${num(median(c.ours.map((x) => x.epoch_s)), 2)} s, ${threadsOf(c.ours)}`, `${num(median(c.torch.map((x) => x.epoch_s)), 2)} s, ${threadsOf(c.torch)}`,
      num(r, 2), `≤ ${c.target} ${r <= c.target ? "(met)" : "(missed)"}`, c.ratios.map((x) => x.toFixed(2)).join(" "),
    ];
  });
  const cols: Column[] = [
    { header: "comparison", align: "left" }, { header: "ours", align: "left" }, { header: "PyTorch", align: "left" },
    { header: "ratio" }, { header: "target", align: "left" }, { header: "ratios per pair", align: "left" },
  ];
  return [
    `wasm-mlp vs PyTorch · ${m.date.replace("T", " ").replace(/\.\d+Z$/, " UTC")}`,
    `machine: ${m.cpu} · ${m.cores} cores · Node ${m.node} (kernels: ${kernels}) · ${PYTHON} with torch ${torchVersion} · load average at start ${m.loadavg.join(" ")}`,
    `workload: Fashion-MNIST (${DATA_DIR}), MLP 784-256-128-10, Adam lr 1e-3, batch 128, seed 42, ${plural(epochs, "epoch")} a run; 60,000 training images, ` +
      `tested on the official 10,000`,
    `inputs: ours are standardised with one global mean and std (the CLI's default for images), PyTorch's script divides the pixels by 255; ` +
      `both suit this network (see the test accuracies)`,
    `method: ${plural(n, "alternated pair")} of four runs (ours 1 thread, PyTorch 1, ours 2, PyTorch 2); each side's own timing of its ` +
      `epoch loop (our CLI's train_ms, the script's perf_counter) / epochs; ratio = ours / PyTorch per pair, then the median (below 1: we are ` +
      `faster); best = the faster of a side's two runs in the pair`,
    ...(n < 3 ? [`NOTE: ${plural(n, "pair")}: this checks that the mode runs; it is not a measurement (use --pairs 3 or more on a quiet machine)`] : []),
    "",
    renderTable(runCols, runRows),
    "",
    renderTable(cols, rows),
    "  s: medians of seconds per epoch; our train_ms also holds the CLI's report at epoch 0 (a forward pass over the 10,000 test images), " +
      "which PyTorch's loop does not; PyTorch script: bench/torch/fashion.py",
  ].join("\n") + "\n";
}

function json(pairs: Run[][], epochs: number, m: Machine): string {
  const runs = SLOTS.map(({ side, asked }) => {
    const rs = pairs.map((p) => p.find((r) => r.side === side && r.asked === asked)!);
    return {
      side, threads_asked: asked, threads: rs.map((r) => r.threads), build: rs[0].build,
      train_ms: rs.map((r) => r.train_ms), epoch_s: rs.map((r) => r.epoch_s), median_epoch_s: median(rs.map((r) => r.epoch_s)),
      test_accuracy: rs.map((r) => r.test_accuracy),
    };
  });
  const cs = comparisons(pairs).map((c) => ({
    id: c.id, name: c.name, target: c.target,
    ours: { threads: c.ours.map((r) => r.threads), epoch_s: c.ours.map((r) => r.epoch_s), median_epoch_s: median(c.ours.map((r) => r.epoch_s)) },
    torch: { threads: c.torch.map((r) => r.threads), epoch_s: c.torch.map((r) => r.epoch_s), median_epoch_s: median(c.torch.map((r) => r.epoch_s)) },
    ratios: c.ratios, median_ratio: median(c.ratios), meets_target: median(c.ratios) <= c.target,
  }));
  const workload = {
    dataset: "fashion-mnist", data_dir: DATA_DIR, layers: [784, 256, 128, 10], optimizer: "adam", lr: Number(LR), batch: Number(BATCH), seed: 42, epochs,
    inputs: { ours: "standardised, one global mean and std", torch: "pixels / 255" },
  };
  return JSON.stringify({ mode: "vs-torch", machine: m, pairs: pairs.length, epochs, workload, script: "bench/torch/fashion.py", runs, comparisons: cs }, null, 1) + "\n";
}

/** Why the comparison cannot run here, or undefined. */
function missing(): string | undefined {
  const probe = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0) return `${PYTHON} cannot import torch`;
  const absent = DATA_FILES.filter((f) => !existsSync(`${DATA_DIR}/${f}`));
  if (absent.length === DATA_FILES.length) return `Fashion-MNIST is not in ${DATA_DIR}`;
  if (absent.length) return `Fashion-MNIST's ${absent.join(", ")} ${absent.length === 1 ? "is" : "are"} not in ${DATA_DIR}`;
  return undefined;
}

/** Runs the pairs; prints the tables (or JSON). Exit code. */
export function runVsTorch(s: Settings): number {
  const progress = (m: string) => process.stderr.write(`bench: ${m}\n`);
  if (s.filter) {
    process.stderr.write("--filter does not apply to --vs-torch (it has one workload)\n");
    return 2;
  }
  const why = missing();
  if (why) {
    const line = `vs-torch: skipped: ${why} (${INSTALL})`;
    process.stdout.write(s.json ? JSON.stringify({ mode: "vs-torch", skipped: line }) + "\n" : line + "\n");
    return 0;
  }
  const start = machine(), pairs: Run[][] = [];
  for (let p = 0; p < s.pairs; p++) {
    const pair: Run[] = [];
    for (const { side, asked } of SLOTS) {
      const r = run(side, asked, s.epochs);
      pair.push(r);
      progress(`pair ${p + 1}/${s.pairs}: ${sideName(side)} ${plural(r.threads, "thread")}: ${r.epoch_s.toFixed(2)} s/epoch, test accuracy ${pct(r.test_accuracy)}`);
    }
    pairs.push(pair);
  }
  process.stdout.write(s.json ? json(pairs, s.epochs, start) : text(pairs, s.epochs, start));
  return 0;
}
