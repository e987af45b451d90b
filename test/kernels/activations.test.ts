// bias_add, relu_forward and relu_backward of every build against src/reference/activations.ts.
//
// Tolerance: none, all three must be bit-exact (compared with ===, so -0 and +0 count as equal). bias_add
// is one f32 addition per element, correctly rounded in any IEEE implementation, scalar or SIMD; the
// reference adds in f64 and rounds on the store, which for a single addition gives the same f32 (f64 has
// more than 2·24+2 bits, so the double rounding is innocuous). The ReLUs only select or zero values.

import { beforeAll, describe, expect, it } from "vitest";
import { KERNEL_BUILDS, type CompiledKernels } from "../../src/engine/kernels.js";
import * as ref from "../reference/activations.js";
import { Fixture, Tracker, loadBuild, seedOf, expectClean } from "./harness.js";

const EXACT = () => 0;


/** Element counts: every tail length mod 4 and 8 several times over, and the training sizes. */
const COUNTS = [...Array.from({ length: 70 }, (_, i) => i + 1), 127, 128, 129, 1797 * 10, 1797 * 32, 1797 * 32 + 3];
const ROWS = [1, 2, 3, 4, 5, 7, 9, 17, 33];
const COLS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 15, 16, 17, 31, 32, 33, 64];

/**
 * Inputs for the ReLUs: mostly uniform in [-1, 1), with exact zeros, negative zeros and tiny values mixed in,
 * so the comparisons against zero are exercised at the boundary.
 */
function reluInput(i: number, r: { uniform(lo: number, hi: number): number; int(n: number): number }): number {
  switch (r.int(8)) {
    case 0:
      return 0;
    case 1:
      return -0;
    case 2:
      return r.uniform(-1e-30, 1e-30);
    default:
      return r.uniform(-1, 1);
  }
}

describe.each(KERNEL_BUILDS)("%s build", (build) => {
  let compiled: CompiledKernels;
  beforeAll(async () => {
    compiled = await loadBuild(build);
  });

  it("bias_add matches the reference bit for bit", () => {
    const t = new Tracker();
    const shapes: [number, number][] = [];
    for (const M of ROWS) for (const N of COLS) shapes.push([M, N]);
    shapes.push([1797, 32], [1797, 10], [1797, 64]);
    for (const [M, N] of shapes) {
      const f = new Fixture(compiled, { X: [M, N], b: [N] }, { seed: seedOf("bias_add", M, N) });
      const { violations } = f.call(["X"], (k) => k.bias_add(f.ptr("X"), f.ptr("b"), M, N));
      const want = f.before("X");
      ref.bias_add(want, f.before("b"), M, N);
      t.add(`bias_add M=${M} N=${N}`, f.view("X"), want, EXACT, violations);
    }
    expectClean(t, shapes.length);
  });

  it("relu_forward matches the reference bit for bit, out of place", () => {
    const t = new Tracker();
    for (const n of COUNTS) {
      const f = new Fixture(compiled, { X: [n], Y: [n] }, { seed: seedOf("relu_forward", n), outputs: ["Y"] });
      f.set("X", reluInput);
      const { violations } = f.call(["Y"], (k) => k.relu_forward(f.ptr("X"), f.ptr("Y"), n));
      const want = new Float32Array(n);
      ref.relu_forward(f.before("X"), want, n);
      t.add(`relu_forward n=${n}`, f.view("Y"), want, EXACT, violations);
    }
    expectClean(t, COUNTS.length);
  });

  it("relu_forward matches the reference bit for bit, in place (y == x)", () => {
    const t = new Tracker();
    for (const n of COUNTS) {
      const f = new Fixture(compiled, { X: [n] }, { seed: seedOf("relu_forward in place", n) });
      f.set("X", reluInput);
      const { violations } = f.call(["X"], (k) => k.relu_forward(f.ptr("X"), f.ptr("X"), n));
      const want = f.before("X");
      ref.relu_forward(want, want, n);
      t.add(`relu_forward in place n=${n}`, f.view("X"), want, EXACT, violations);
    }
    expectClean(t, COUNTS.length);
  });

  it("relu_forward output is never negative and keeps every positive input", () => {
    // A property check independent of the reference: a kernel and reference that agree on a wrong rule fail here.
    const n = 1000;
    const f = new Fixture(compiled, { X: [n], Y: [n] }, { seed: seedOf("relu property", n), outputs: ["Y"] });
    f.set("X", reluInput);
    const { violations } = f.call(["Y"], (k) => k.relu_forward(f.ptr("X"), f.ptr("Y"), n));
    const x = f.before("X"), y = f.view("Y");
    const bad: string[] = [];
    for (let i = 0; i < n; i++) if (!(y[i] >= 0) || (x[i] > 0 ? y[i] !== x[i] : y[i] !== 0)) bad.push(`${i}: relu(${x[i]}) = ${y[i]}`);
    expect(violations).toEqual([]);
    expect(bad).toEqual([]);
  });

  it("relu_backward matches the reference bit for bit, out of place", () => {
    const t = new Tracker();
    for (const n of COUNTS) {
      const f = new Fixture(compiled, { dY: [n], Y: [n], dX: [n] }, { seed: seedOf("relu_backward", n), outputs: ["dX"] });
      // Y is a ReLU output: non-negative, with many exact zeros (and some -0, which a relaxed max may produce)
      f.set("Y", (i, r) => Math.max(0, reluInput(i, r)) || (r.int(2) ? 0 : -0));
      const { violations } = f.call(["dX"], (k) => k.relu_backward(f.ptr("dY"), f.ptr("Y"), f.ptr("dX"), n));
      const want = new Float32Array(n);
      ref.relu_backward(f.before("dY"), f.before("Y"), want, n);
      t.add(`relu_backward n=${n}`, f.view("dX"), want, EXACT, violations);
    }
    expectClean(t, COUNTS.length);
  });

  it("relu_backward matches the reference bit for bit, in place (dx == dy)", () => {
    const t = new Tracker();
    for (const n of COUNTS) {
      const f = new Fixture(compiled, { dY: [n], Y: [n] }, { seed: seedOf("relu_backward in place", n) });
      f.set("Y", (i, r) => Math.max(0, reluInput(i, r)) || (r.int(2) ? 0 : -0));
      const { violations } = f.call(["dY"], (k) => k.relu_backward(f.ptr("dY"), f.ptr("Y"), f.ptr("dY"), n));
      const want = f.before("dY");
      ref.relu_backward(want, f.before("Y"), want, n);
      t.add(`relu_backward in place n=${n}`, f.view("dY"), want, EXACT, violations);
    }
    expectClean(t, COUNTS.length);
  });
});
