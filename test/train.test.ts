// End to end: the original NumPy tutorial's two runs on the bundled digits, with every kernel build, checked
// report by report against test/fixtures/original.json (its provenance is in the file): the accuracies as
// the original prints them, the count of correct rows of NumPy's float64 run, and its loss.

import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDigits, type Dataset } from "../src/data/datasets.js";
import { KERNEL_BUILDS, type KernelBuild } from "../src/engine/kernels.js";
import { MLP as Model, type Report } from "../src/model/mlp.js";
import type { NormalizeKind } from "../src/model/normalize.js";

interface Reference {
  layers: number[];
  normalize: NormalizeKind;
  /** What the original prints at each report: "Acc: {:.0%}" (MLP) or "{:.1%}" (SLP). */
  printed: string[];
  /** Correct rows of 1797 and mean cross-entropy (float64) at each report, from NumPy. */
  correct: number[];
  loss: number[];
}

const ORIGINAL = JSON.parse(readFileSync(new URL("./fixtures/original.json", import.meta.url), "utf8")) as {
  epochs: number[];
  mlp: Reference;
  slp: Reference;
};

/**
 * Our float32 losses against NumPy's float64: a logit carries a float32 rounding error of about 1e-7, which
 * moves the mean cross-entropy by about as much; 1e-5 leaves a factor of 10 and catches a wrong gradient,
 * which moves it by 1e-3 within a hundred epochs.
 */
const LOSS_TOLERANCE = 1e-5;

/**
 * Python's `{:.{d}%}` of correct/n, from the integer count. Rounding correct·100·10^d / n can never hit a
 * tie for n = 1797 (odd), so round-half-even and round-half-up agree.
 */
function pct(correct: number, n: number, digits: number): string {
  const q = Math.round((correct * 100 * 10 ** digits) / n);
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

async function run(ref: Reference, kernels: KernelBuild): Promise<Report[]> {
  const reports: Report[] = [];
  const model = await Model.create({ layers: ref.layers, seed: 42, normalize: ref.normalize, kernels });
  const summary = model.fit(data.X, data.y, { epochs: 1000, lr: 0.1, every: 100, onReport: (r) => reports.push(r) });
  expect(summary.epochs).toBe(1000);
  expect(summary.kernels).toBe(kernels);
  expect(summary.samples).toBe(1797);
  // the summary is of the model after the last update, which trained on for 100 epochs past the last report
  expect(summary.loss).toBeLessThan(reports[reports.length - 1].loss);
  model.dispose();
  return reports;
}

describe.each(KERNEL_BUILDS)("the original's runs, %s kernels", (kernels) => {
  it.each([
    ["MLP 64-32-10, feature standardisation", ORIGINAL.mlp, 0],
    ["SLP 64-10, global standardisation", ORIGINAL.slp, 1],
  ] as const)("%s: every report as the original prints it, and as NumPy computes it", async (_, ref, digits) => {
    const reports = await run(ref, kernels);
    const n = data.n;
    expect(reports.map((r) => r.epoch)).toEqual(ORIGINAL.epochs);
    expect(reports.map((r) => pct(correctOf(r, n), n, digits))).toEqual(ref.printed);
    expect(reports.map((r) => correctOf(r, n))).toEqual(ref.correct);
    reports.forEach((r, i) => expect(Math.abs(r.loss - ref.loss[i]), `loss at epoch ${r.epoch}: ${r.loss} vs NumPy's ${ref.loss[i]}`).toBeLessThanOrEqual(LOSS_TOLERANCE));
  });
});
