// Standardisation as the original tutorial does it (per feature with the population std + 1e-8 for the MLP, one global
// mean and std for the SLP) and the one-hot targets.

import { describe, expect, it } from "vitest";
import { applyNormalization, fitNormalization, oneHot } from "../src/model/normalize.js";
import { loadDigits } from "../src/data/datasets.js";

/** Column means and population standard deviations, in f64. */
function columnStats(X: Float32Array, n: number, f: number): { mean: number[]; std: number[] } {
  const mean = new Array(f).fill(0), std = new Array(f).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j] += X[i * f + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) std[j] += (X[i * f + j] - mean[j]) ** 2 / n;
  return { mean, std: std.map(Math.sqrt) };
}

function overallStats(X: Float32Array): { mean: number; std: number } {
  let m = 0;
  for (const v of X) m += v / X.length;
  let s = 0;
  for (const v of X) s += (v - m) ** 2 / X.length;
  return { mean: m, std: Math.sqrt(s) };
}

// A small matrix with a constant-zero column (like the digits' blank corner pixels), a constant non-zero
// column, and columns of very different scales.
const n = 6, f = 5;
const X = new Float32Array([
  0, 7, 1, 100, -3,
  0, 7, 2, 300, 0.5,
  0, 7, 3, 200, 4,
  0, 7, 4, 500, -1,
  0, 7, 5, 400, 2,
  0, 7, 6, 600, 0,
]);

// the outputs are f32 (relative rounding 6e-8 per value), so column statistics hold to about 1e-7
const TOL = 1e-6;

describe("feature normalisation", () => {
  it("per column: mean 0 and population std 1, constant columns stay 0", () => {
    const Z = applyNormalization(fitNormalization(X, n, f, "feature"), X, n, f);
    const { mean, std } = columnStats(Z, n, f);
    for (let j = 0; j < f; j++) expect(Math.abs(mean[j]), `mean of column ${j}`).toBeLessThan(TOL);
    for (const j of [0, 1]) for (let i = 0; i < n; i++) expect(Z[i * f + j]).toBe(0);
    for (const j of [2, 3, 4]) expect(Math.abs(std[j] - 1), `std of column ${j}`).toBeLessThan(TOL);
  });

  it("divides by the population std (N), not the sample std (N-1)", () => {
    // column 2 is 1..6: mean 3.5, population variance 35/12
    const Z = applyNormalization(fitNormalization(X, n, f, "feature"), X, n, f);
    expect(Z[0 * f + 2]).toBeCloseTo((1 - 3.5) / Math.sqrt(35 / 12), 6);
    expect(Z[5 * f + 2]).toBeCloseTo((6 - 3.5) / Math.sqrt(35 / 12), 6);
  });

  it("matches (x - mean) / (std + 1e-8) computed directly", () => {
    const { mean, std } = columnStats(X, n, f);
    const Z = applyNormalization(fitNormalization(X, n, f, "feature"), X, n, f);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < f; j++) {
        const want = Math.fround((X[i * f + j] - mean[j]) / (std[j] + 1e-8));
        expect(Math.abs(Z[i * f + j] - want)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
      }
    }
  });

  it("does not modify its input", () => {
    const copy = X.slice();
    applyNormalization(fitNormalization(copy, n, f, "feature"), copy, n, f);
    expect(copy).toEqual(X);
  });

  it("on the digits: every non-constant pixel has mean 0 and std 1, the blank ones stay 0", async () => {
    const d = await loadDigits();
    const Z = applyNormalization(fitNormalization(d.X, d.n, d.features, "feature"), d.X, d.n, d.features);
    const raw = columnStats(d.X, d.n, d.features);
    const z = columnStats(Z, d.n, d.features);
    let constant = 0;
    for (let j = 0; j < d.features; j++) {
      expect(Math.abs(z.mean[j]), `mean of pixel ${j}`).toBeLessThan(TOL);
      if (raw.std[j] === 0) {
        constant++;
        expect(z.std[j]).toBe(0);
      } else {
        expect(Math.abs(z.std[j] - 1), `std of pixel ${j}`).toBeLessThan(TOL);
      }
    }
    // pixel 0 is blank in every digit image
    expect(raw.std[0]).toBe(0);
    expect(constant).toBeGreaterThan(0);
  });
});

describe("global normalisation", () => {
  it("overall mean 0 and std 1, one shared mean and divisor", () => {
    const norm = fitNormalization(X, n, f, "global");
    const Z = applyNormalization(norm, X, n, f);
    const s = overallStats(Z);
    expect(Math.abs(s.mean)).toBeLessThan(TOL);
    expect(Math.abs(s.std - 1)).toBeLessThan(TOL);
    expect(new Set(norm.mean).size).toBe(1);
    expect(new Set(norm.divisor).size).toBe(1);
    // the direct formula, (X - X.mean()) / X.std()
    const raw = overallStats(X);
    for (let i = 0; i < X.length; i++) {
      expect(Z[i]).toBeCloseTo((X[i] - raw.mean) / raw.std, 6);
    }
  });

  it("on the digits", async () => {
    const d = await loadDigits();
    const Z = applyNormalization(fitNormalization(d.X, d.n, d.features, "global"), d.X, d.n, d.features);
    const s = overallStats(Z);
    expect(Math.abs(s.mean)).toBeLessThan(TOL);
    expect(Math.abs(s.std - 1)).toBeLessThan(TOL);
    // a global standardisation keeps the blank pixels equal to each other (and negative), not 0
    const blank = Z[0];
    expect(blank).toBeLessThan(0);
    for (let i = 0; i < d.n; i++) expect(Z[i * d.features]).toBe(blank);
  });
});

describe("oneHot", () => {
  it("puts a single 1 in each row's label column", () => {
    const y = new Uint8Array([0, 9, 3, 3, 5]);
    const Y = oneHot(y, 10);
    expect(Y).toBeInstanceOf(Float32Array);
    expect(Y.length).toBe(50);
    for (let i = 0; i < y.length; i++) {
      for (let j = 0; j < 10; j++) expect(Y[i * 10 + j]).toBe(j === y[i] ? 1 : 0);
    }
  });

  it("of the digits: row sums 1 and column sums the class counts", async () => {
    const d = await loadDigits();
    const Y = oneHot(d.y, d.classes);
    const colSums = new Array(d.classes).fill(0);
    for (let i = 0; i < d.n; i++) {
      let s = 0;
      for (let j = 0; j < d.classes; j++) { s += Y[i * d.classes + j]; colSums[j] += Y[i * d.classes + j]; }
      expect(s).toBe(1);
    }
    const counts = new Array(d.classes).fill(0);
    for (const c of d.y) counts[c]++;
    expect(colSums).toEqual(counts);
  });
});

describe("pixels as bytes (an IDX file's) standardise to the bits the same values as floats give", () => {
  // a Fashion-MNIST-like spread: mostly 0, the rest anywhere in 0..255; one column always 0, one always 255
  const rows = 700, cols = 30;
  const bytes = new Uint8Array(rows * cols);
  let seed = 12345;
  const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
  for (let i = 0; i < bytes.length; i++) bytes[i] = i % cols === 0 ? 0 : i % cols === 1 ? 255 : next() < 128 ? 0 : next();
  const floats = Float32Array.from(bytes);

  it.each(["global", "feature"] as const)("fitNormalization, %s", (kind) => {
    const a = fitNormalization(bytes, rows, cols, kind), b = fitNormalization(floats, rows, cols, kind);
    expect(Array.from(a.mean)).toEqual(Array.from(b.mean));
    expect(Array.from(a.divisor)).toEqual(Array.from(b.divisor));
    expect(Array.from(applyNormalization(a, bytes, rows, cols))).toEqual(Array.from(applyNormalization(b, floats, rows, cols)));
  });

  it("the global fit sums more bytes than a 32-bit integer holds (in chunks) exactly", () => {
    const big = new Uint8Array(9_000_000 * 2).fill(255);
    big[0] = 0;
    const a = fitNormalization(big, 9_000_000, 2, "global"), b = fitNormalization(Float32Array.from(big), 9_000_000, 2, "global");
    expect([a.mean[0], a.divisor[0]]).toEqual([b.mean[0], b.divisor[0]]);
  });

  // 28 columns are read four bytes at a time (aligned or not), 30 one at a time
  it.each([
    ["global", 28, 0], ["feature", 28, 0], ["none", 28, 0], ["global", 28, 1], ["feature", 28, 2],
    ["global", 30, 0], ["feature", 30, 0], ["none", 30, 0],
  ] as const)("Network.setTrain and setEval write the same arena, %s, %i columns, at byte offset %i", async (kind, width, offset) => {
    const { Network } = await import("../src/engine/network.js");
    const { compileKernels } = await import("../src/engine/kernels.js");
    const kernels = await compileKernels("scalar");
    const held = new Uint8Array(offset + rows * width);
    held.set(bytes.subarray(0, rows * width), offset);
    const X8 = held.subarray(offset), X32 = Float32Array.from(X8);
    const norm = kind === "none" ? undefined : fitNormalization(X32, rows, width, kind);
    const Y = oneHot(new Uint8Array(rows).map((_, i) => i % 3), 3);
    const arena = (X: Float32Array | Uint8Array) => {
      const net = new Network(kernels, { layers: [width, 4, 3], train: rows, batch: rows, eval: rows, optimizer: "sgd" });
      net.setTrain(X, Y, norm);
      net.setEval(X, undefined, norm);
      const t = net.training!.set.X, e = net.evalSet!.X;
      return [Array.from(net.view(t.name)), Array.from(net.view(e.name))];
    };
    expect(arena(X8)).toEqual(arena(X32));
  });

  it("the global fit reads bytes at any offset", () => {
    for (const offset of [0, 1, 2, 3]) {
      const held = new Uint8Array(offset + 1001);
      held.set(bytes.subarray(0, 1001), offset);
      const a = fitNormalization(held.subarray(offset), 1001, 1, "global"), b = fitNormalization(Float32Array.from(bytes.subarray(0, 1001)), 1001, 1, "global");
      expect([a.mean[0], a.divisor[0]]).toEqual([b.mean[0], b.divisor[0]]);
    }
  });
});
