// mse (the regression loss: mean squared error over rows and outputs, its gradient, per-row losses) of every
// build against test/reference/loss.ts, and the SIMD build against the scalar one bit for bit.
//
// Tolerances (ε = 2^-23): G = (d + d) / fl(batch·N) with d = ŷ - t rounded once (relative to |d|: the inputs
// are exact) and one division: 2ε·|G| (batch·N is exact in f32 below 2^24). The per-row losses are f64
// operations in the twin's order, so they must match bit for bit; summed in row order and divided by the rows
// they are PyTorch's MSELoss (reduction 'mean'), checked against a direct f64 mean.

import { beforeAll, describe, expect, it } from "vitest";
import { KERNEL_BUILDS, type CompiledKernels } from "../../src/engine/kernels.js";
import * as ref from "../reference/loss.js";
import { EPS, Fixture, Tracker, expectClean, loadBuild, seedOf } from "./harness.js";

const ROWS = [1, 2, 3, 5, 7, 17, 33, 100];
const COLS = [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 33];

/** The tensors: outputs, targets, the gradient and the per-row losses (f64: two words each). */
const tensors = (M: number, N: number) => ({ Yh: [M, N], T: [M, N], G: [M, N], L: [2 * M] });

function mseCall(f: Fixture, M: number, N: number, batch: number, g = true, loss = true) {
  const mut = [...(g ? ["G"] : []), ...(loss ? ["L"] : [])];
  const { violations } = f.call(mut, (k) => k.mse(f.ptr("Yh"), f.ptr("T"), g ? f.ptr("G") : 0, loss ? f.ptr("L") : 0, M, N, batch));
  return { violations, loss: new Float64Array(f.memory.buffer, f.ptr("L"), M).slice() };
}

describe.each(KERNEL_BUILDS)("mse, %s build", (build) => {
  let compiled: CompiledKernels;
  beforeAll(async () => {
    compiled = await loadBuild(build);
  });

  it("G = 2·(Ŷ - T) / (batch·N) within 2ε of the twin (batch 0: M, and a slice of a larger batch); the row losses bit for bit", () => {
    const t = new Tracker();
    for (const M of ROWS) {
      for (const N of COLS) {
        for (const batch of [0, 3 * M + 1]) {
          const f = new Fixture(compiled, tensors(M, N), { seed: seedOf("mse", M, N, batch), outputs: ["G", "L"], lo: -3, hi: 3 });
          const { violations, loss } = mseCall(f, M, N, batch);
          const Yh = f.before("Yh"), T = f.before("T"), G = new Float32Array(M * N), L = new Float64Array(M);
          ref.mse(Yh, T, G, L, M, N, batch);
          const label = `mse M=${M} N=${N} batch=${batch}`;
          t.add(`${label} G`, f.view("G"), G, (i) => 2 * EPS * Math.abs(G[i]), violations);
          t.add(`${label} loss`, loss, L, () => 0);
        }
      }
    }
    expectClean(t);
  });

  it("the row losses summed in row order over the rows are PyTorch's MSELoss (mean over every element)", () => {
    for (const [M, N] of [[64, 1], [100, 3], [1797, 10]]) {
      const f = new Fixture(compiled, tensors(M, N), { seed: seedOf("mse mean", M, N), outputs: ["G", "L"] });
      const { loss } = mseCall(f, M, N, 0);
      const Yh = f.view("Yh"), T = f.view("T");
      let direct = 0;
      for (let i = 0; i < M * N; i++) direct += (Yh[i] - T[i]) ** 2;
      direct /= M * N;
      let sum = 0;
      for (let i = 0; i < M; i++) sum += loss[i];
      expect(Math.abs(sum / M - direct)).toBeLessThanOrEqual(1e-12 * direct);
    }
  });

  it("a zero pointer skips that output (g = 0: evaluation; loss = 0: a step without stats), and Ŷ = T gives G = 0 and loss 0", () => {
    const M = 9, N = 5;
    const f = new Fixture(compiled, tensors(M, N), { seed: 4, outputs: ["G", "L"] });
    expect(mseCall(f, M, N, 0, false, true).violations).toEqual([]); // writes only L
    expect(mseCall(f, M, N, 0, true, false).violations).toEqual([]); // writes only G
    expect(mseCall(f, M, N, 0, false, false).violations).toEqual([]); // writes nothing
    f.set("T", f.view("Yh").slice());
    const { loss } = mseCall(f, M, N, 0);
    expect(Array.from(loss)).toEqual(new Array(M).fill(0));
    expect(f.view("G").every((v) => v === 0)).toBe(true);
  });
});

describe("mse: the SIMD build equals the scalar build bit for bit", () => {
  let scalar: CompiledKernels, simd: CompiledKernels;
  beforeAll(async () => {
    [scalar, simd] = await Promise.all([loadBuild("scalar"), loadBuild("simd")]);
  });
  it("G and the row losses on every shape, with a batch divisor", () => {
    for (const M of ROWS) {
      for (const N of COLS) {
        const run = (c: CompiledKernels) => {
          const f = new Fixture(c, tensors(M, N), { seed: seedOf("mse bits", M, N), outputs: ["G", "L"], lo: -10, hi: 10 });
          mseCall(f, M, N, 2 * M + 3);
          return ["G", "L"].map((n) => Buffer.from(f.memory.buffer, f.ptr(n), 4 * f.tensor(n).length).toString("hex"));
        };
        const a = run(scalar), b = run(simd);
        expect(b[0] === a[0], `M=${M} N=${N} G`).toBe(true);
        expect(b[1] === a[1], `M=${M} N=${N} loss`).toBe(true);
      }
    }
  });
});
