// End to end: the seed scripts' two runs (SEED.md) on the bundled digits, with every kernel build. The
// accuracies must print as the seed prints them at every checkpoint.

import { beforeAll, describe, expect, it } from "vitest";
import { loadDigits, type Dataset } from "../src/data.js";
import { KERNEL_BUILDS, type KernelBuild } from "../src/kernels.js";
import { MLP as Model, type Report } from "../src/model.js";
import type { NormalizeKind } from "../src/normalize.js";

interface TrainConfig {
  layers: number[];
  epochs: number;
  lr: number;
  seed: number;
  every: number;
  normalize: NormalizeKind;
  kernels: KernelBuild;
}

// SEED.md, "What the scripts print": epochs 0, 100, ..., 900
const SLP_TABLE = ["12.4%", "93.5%", "95.5%", "96.5%", "96.8%", "97.1%", "97.3%", "97.6%", "97.8%", "97.9%"];
const MLP_TABLE = ["10%", "93%", "96%", "97%", "98%", "99%", "99%", "99%", "99%", "99%"];

const MLP: Omit<TrainConfig, "kernels"> = { layers: [64, 32, 10], epochs: 1000, lr: 0.1, seed: 42, every: 100, normalize: "feature" };
const SLP: Omit<TrainConfig, "kernels"> = { ...MLP, layers: [64, 10], normalize: "global" };

/**
 * Python's `{:.{d}%}` of correct/n, from the integer count. Rounding correct·100·10^d / n can never hit a
 * tie for n = 1797 (odd), so round-half-even and round-half-up agree.
 */
function pct(correct: number, n: number, digits: number): string {
  const scale = 100 * 10 ** digits;
  const q = Math.round((correct * scale) / n);
  return `${(q / 10 ** digits).toFixed(digits)}%`;
}

/** The integer count behind a reported accuracy (which must be a count over n). */
function correctOf(r: Report, n: number): number {
  const c = Math.round(r.accuracy * n);
  expect(Math.abs(r.accuracy * n - c)).toBeLessThan(1e-9);
  return c;
}

let data: Dataset;
beforeAll(async () => {
  data = await loadDigits();
});

async function run(cfg: TrainConfig) {
  const reports: Report[] = [];
  const model = await Model.create({ layers: cfg.layers, seed: cfg.seed, normalize: cfg.normalize, kernels: cfg.kernels });
  const result = { summary: model.fit(data.X, data.y, { epochs: cfg.epochs, lr: cfg.lr, every: cfg.every, onReport: (r) => reports.push(r) }) };
  expect(reports.map((r) => r.epoch)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
  for (let i = 1; i < reports.length; i++) {
    expect(reports[i].loss, `loss at epoch ${reports[i].epoch}`).toBeLessThan(reports[i - 1].loss);
  }
  for (const r of reports) expect(Number.isFinite(r.loss) && r.loss > 0).toBe(true);
  expect(result.summary.epochs).toBe(1000);
  expect(result.summary.kernels).toBe(cfg.kernels);
  expect(result.summary.samples).toBe(1797);
  // the summary is of the model after the last update, which trained on for 100 epochs past the last report
  expect(result.summary.loss).toBeLessThan(reports[reports.length - 1].loss);
  return { reports, result };
}

describe.each(KERNEL_BUILDS)("seed runs, %s kernels", (kernels) => {
  it("MLP 64-32-10, feature standardisation: the seed's accuracy table", async () => {
    const { reports } = await run({ ...MLP, kernels });
    const n = data.n;
    expect(reports.map((r) => pct(correctOf(r, n), n, 0))).toEqual(MLP_TABLE);
    expect(pct(correctOf(reports[9], n), n, 1)).toBe("99.4%");
    expect(Math.abs(reports[1].loss - 0.3805)).toBeLessThanOrEqual(1e-3);
    // epoch 0: weights ~ randn·0.1 give small logits, so the loss starts near ln 10
    expect(Math.abs(reports[0].loss - Math.log(10))).toBeLessThan(0.25);
  });

  it("SLP 64-10, global standardisation: the seed's accuracy table", async () => {
    const { reports } = await run({ ...SLP, kernels });
    const n = data.n;
    expect(reports.map((r) => pct(correctOf(r, n), n, 1))).toEqual(SLP_TABLE);
    expect(pct(correctOf(reports[9], n), n, 1)).toBe("97.9%");
  });
});
