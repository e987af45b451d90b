// The matrix kernels of every build (gemm_nn, gemm_tn, gemm_nt with and without packing scratch, and the
// general gemm with the bias and ReLU epilogue of a layer's forward pass on the training shapes) and the
// data-movement kernel gather_rows against the naive references in test/reference/gemm.ts. The general gemm's
// other flags and strides are in gemm-general.test.ts, and the SIMD builds against the scalar one bit for bit,
// however the work is blocked, packed, swapped or split, in gemm-exact.test.ts.
//
// Tolerance, per output element: |C - ref| <= 2·√K·ε·(|A|·|B|)_ij, ε = 2^-23 (= 2u, u the f32 unit roundoff).
// Why: the rounding error of an f32 dot product of K terms, in any summation order, with or without fused
// multiply-add, is bounded by ≈ K·u·Σ_k|a_ik·b_kj| (Higham, Accuracy and Stability, §3.1); that worst case
// needs every rounding error to line up. In practice the errors behave like a random walk and grow like √K
// (for same-sign data, where partial sums grow linearly, the standard deviation is ≈ √K·u/3·Σ|a·b|, so this
// tolerance is ~12σ). Blocked kernels that keep several partial sums, and FMA, only make the error smaller.
// The reference itself sums in f64 and rounds once (≤ u·|C| ≤ u·Σ|a·b|), which the factor 2 covers. Epilogues
// (+bias, ReLU, W - lr·acc) add one or two roundings, each ≤ u of the magnitudes involved, added to the bound
// below; ReLU is 1-Lipschitz so it cannot enlarge an error. The tracker also checks, for every shape, that the
// reference with its largest element moved by 1e-3 of its magnitude fails this tolerance, so the tolerance
// cannot hide a real bug. gather_rows only moves values and must be bit-exact.

import { beforeAll, describe, expect, it } from "vitest";
import { KERNEL_BUILDS, engineSupports, GemmFlags, type CompiledKernels } from "../../src/engine/kernels.js";
import { GEMM_SCRATCH_BYTES } from "../../src/engine/arena.js";
import * as ref from "../reference/gemm.js";
import { sumTolerance } from "../reference/tolerance.js";
import { Fixture, Tracker, loadBuild, seedOf, expectClean } from "./harness.js";

type Shapes = Record<string, number[]>;

interface DataRange {
  aLo: number;
  aHi: number;
  bLo: number;
  bHi: number;
}
const SIGNED: DataRange = { aLo: -1, aHi: 1, bLo: -1, bHi: 1 };
/** Non-negative left operand (pixels, ReLU activations) times signed weights or deltas. */
const ACTIVATIONS: DataRange = { aLo: 0, aHi: 1, bLo: -0.5, bHi: 0.5 };
/** Both non-negative: partial sums grow linearly, the worst realistic case for accumulated rounding. */
const POSITIVE: DataRange = { aLo: 0, aHi: 1, bLo: 0, bHi: 1 };

const abs = (a: Float32Array) => a.map(Math.abs);

/** One kernel in the gemm family: its tensors, its call, and its reference result with tolerance. */
interface Form {
  name: string;
  /** `left` and `right` name the two operands that get the DataRange's a and b ranges. */
  left: string;
  right: string;
  shapes(M: number, K: number, N: number): Shapes;
  outputs: string[];
  mutates: string[];
  result: string;
  call(f: Fixture, M: number, K: number, N: number): void;
  expect(f: Fixture, M: number, K: number, N: number): { want: Float32Array; tol: (i: number) => number };
}

/** Scratch for packing: the kernels' fast path; without it they run the plain loop. */
const SCRATCH = [GEMM_SCRATCH_BYTES / 4];

function plain(name: "gemm_nn" | "gemm_tn" | "gemm_nt", packed = true): Form {
  const aShape = (M: number, K: number) => (name === "gemm_tn" ? [K, M] : [M, K]);
  const bShape = (K: number, N: number) => (name === "gemm_nt" ? [N, K] : [K, N]);
  return {
    name: packed ? name : `${name} (no scratch)`,
    left: "A",
    right: "B",
    shapes: (M, K, N) => ({ A: aShape(M, K), B: bShape(K, N), C: [M, N], ...(packed ? { S: SCRATCH } : {}) }),
    outputs: packed ? ["C", "S"] : ["C"],
    mutates: packed ? ["C", "S"] : ["C"],
    result: "C",
    call(f, M, K, N) {
      f.k[name](f.ptr("A"), f.ptr("B"), f.ptr("C"), M, K, N, packed ? f.ptr("S") : 0);
    },
    expect(f, M, K, N) {
      const A = f.before("A"), B = f.before("B");
      const want = new Float32Array(M * N), absProd = new Float32Array(M * N);
      ref[name](A, B, want, M, K, N);
      ref[name](abs(A), abs(B), absProd, M, K, N);
      const c = sumTolerance(K);
      return { want, tol: (i) => c * absProd[i] };
    },
  };
}

/** A dense layer's forward pass as training calls it: Y = X·W + bias (then ReLU) through gemm's epilogue. */
function dense(relu: boolean): Form {
  const flags = GemmFlags.BIAS | (relu ? GemmFlags.RELU : 0);
  return {
    name: relu ? "gemm BIAS|RELU" : "gemm BIAS",
    left: "X",
    right: "W",
    shapes: (M, K, N) => ({ X: [M, K], W: [K, N], bias: [N], Y: [M, N], S: SCRATCH }),
    outputs: ["Y", "S"],
    mutates: ["Y", "S"],
    result: "Y",
    call(f, M, K, N) {
      f.k.gemm(flags, f.ptr("X"), 4 * K, 4, f.ptr("W"), 4 * N, 4, f.ptr("Y"), 4 * N, M, K, N, f.ptr("bias"), f.ptr("S"));
    },
    expect(f, M, K, N) {
      const X = f.before("X"), W = f.before("W"), bias = f.before("bias");
      // the twin works on one memory: X, W, bias and Y side by side, offsets and strides in elements
      const w = M * K, b = w + K * N, y = b + N, m = new Float32Array(y + M * N);
      m.set(X);
      m.set(W, w);
      m.set(bias, b);
      ref.gemm(m, flags, 0, K, 1, w, N, 1, y, N, M, K, N, b);
      const want = m.slice(y), absProd = new Float32Array(M * N);
      ref.gemm_nn(abs(X), abs(W), absProd, M, K, N);
      // the bias add is one more rounding: ≤ u·(|acc| + |b|)
      const c = sumTolerance(K);
      return { want, tol: (i) => c * (absProd[i] + Math.abs(bias[i % N])) };
    },
  };
}

const FORMS: readonly Form[] = [
  plain("gemm_nn"), plain("gemm_tn"), plain("gemm_nt"),
  plain("gemm_nn", false), plain("gemm_tn", false), plain("gemm_nt", false),
];
const form = (name: string): Form => FORMS.find((f) => f.name === name) ?? (() => { throw new Error(`no form ${name}`); })();

function runCase(t: Tracker, compiled: CompiledKernels, form: Form, M: number, K: number, N: number, data = SIGNED): void {
  const f = new Fixture(compiled, form.shapes(M, K, N), { seed: seedOf(form.name, M, K, N, data.aLo, data.bLo), outputs: form.outputs });
  f.set(form.left, (_, r) => r.uniform(data.aLo, data.aHi));
  f.set(form.right, (_, r) => r.uniform(data.bLo, data.bHi));
  const { violations } = f.call(form.mutates, () => form.call(f, M, K, N));
  const { want, tol } = form.expect(f, M, K, N);
  t.add(`${form.name} M=${M} K=${K} N=${N}`, f.view(form.result), want, tol, violations);
}


const EDGE_K = [1, 2, 3, 8, 64];
const ODD = [1, 3, 5, 7, 9, 13, 17, 31, 33];
const ODD_K = [1, 3, 7, 13, 33];
/** The blocked kernels accumulate K in slices of 256; every tile shape must carry its partial sums across them. */
const SLICE_K = [255, 256, 257, 600];

describe.each(KERNEL_BUILDS)("%s build", (build) => {
  let compiled: CompiledKernels;
  beforeAll(async () => {
    compiled = await loadBuild(build);
  });

  it("loads the requested build (relaxed: the engine really has relaxed SIMD on)", async () => {
    expect(compiled.build).toBe(build);
    if (build === "relaxed") expect(await engineSupports("relaxed")).toBe(true);
  });

  describe.each(FORMS.map((f) => [f.name, f] as const))("%s", (_, form) => {
    it("matches the reference on the edge matrix m 1..5, n 1..17, k {1,2,3,8,64}", () => {
      const t = new Tracker();
      for (let m = 1; m <= 5; m++) for (let n = 1; n <= 17; n++) for (const k of EDGE_K) runCase(t, compiled, form, m, k, n);
      expectClean(t, 5 * 17 * EDGE_K.length);
    });

    it("matches the reference on odd sizes (M, N in 1,3,5,7,9,13,17,31,33; K in 1,3,7,13,33)", () => {
      const t = new Tracker();
      for (const M of ODD) for (const N of ODD) for (const K of ODD_K) runCase(t, compiled, form, M, K, N);
      expectClean(t, ODD.length * ODD.length * ODD_K.length);
    });

    it("matches the reference when K crosses the 256-deep slices (m 1..5, n 1..17, k 255, 256, 257, 600)", () => {
      const t = new Tracker();
      for (let m = 1; m <= 5; m++) for (let n = 1; n <= 17; n++) for (const k of SLICE_K) runCase(t, compiled, form, m, k, n);
      expectClean(t, 5 * 17 * SLICE_K.length);
    });

    it("matches the reference on larger unaligned shapes, with signed and same-sign data", () => {
      const t = new Tracker();
      // packed B (M >= 32), N across the 256-column blocks, the swapped narrow Aᵀ·B (N < 16, M >= 16) and its
      // 1024-row blocks
      const shapes = [[37, 70, 41], [100, 64, 32], [64, 100, 17], [129, 65, 33], [8, 1000, 8], [40, 20, 300], [33, 9, 520],
        [16, 50, 10], [70, 300, 13], [1030, 21, 10], [48, 600, 3]];
      for (const [M, K, N] of shapes) {
        runCase(t, compiled, form, M, K, N);
        runCase(t, compiled, form, M, K, N, POSITIVE);
      }
      expectClean(t, 2 * shapes.length);
    });
  });

  it("matches the reference on the training shapes", () => {
    const t = new Tracker();
    const [nn, tn, nt] = ["gemm_nn", "gemm_tn", "gemm_nt"].map(form);
    const dense0 = dense(false), dense1 = dense(true);
    const cases: [Form, number, number, number][] = [
      [nn, 1797, 64, 32], // hidden pre-activations = X · W1
      [nn, 1797, 32, 10], // logits = H · W2
      [tn, 64, 1797, 32], // dW1 = Xᵀ · dH
      [tn, 32, 1797, 10], // dW2 = Hᵀ · dZ
      [nt, 1797, 10, 32], // dH = dZ · W2ᵀ
      [dense1, 1797, 64, 32], // hidden layer: gemm with the bias and ReLU epilogue
      [dense0, 1797, 32, 10], // output layer: gemm with the bias epilogue
    ];
    // MLP 64-256-256-10 on a slice of 300 rows (the full 1797 makes the reference slow; gemm-exact.test.ts
    // runs the full shapes against the scalar build), and 784-128-10 at batch 64
    const wide: [Form, number, number, number][] = [
      [dense1, 300, 64, 256], [nn, 300, 256, 256], [dense0, 300, 256, 10], [tn, 256, 300, 10], [nt, 300, 10, 256],
      [tn, 256, 300, 256], [nt, 300, 256, 256], [tn, 64, 300, 256], [dense1, 64, 784, 128], [tn, 784, 64, 128], [tn, 128, 64, 10],
    ];
    for (const [form, M, K, N] of cases) {
      runCase(t, compiled, form, M, K, N);
      runCase(t, compiled, form, M, K, N, ACTIVATIONS);
      runCase(t, compiled, form, M, K, N, POSITIVE);
    }
    for (const [form, M, K, N] of wide) runCase(t, compiled, form, M, K, N, ACTIVATIONS);
    expectClean(t, 3 * cases.length + wide.length);
  });

  it("overwrites its output rather than accumulating into it, and a rerun gives the same bits", () => {
    // The fixtures poison outputs with NaN; here they first hold large finite values, which an accumulating
    // kernel would add in. The same call twice must also be deterministic.
    const t = new Tracker();
    for (const form of [...FORMS, dense(false), dense(true)]) {
      for (const [M, K, N] of [[1, 1, 1], [5, 3, 17], [33, 9, 7], [4, 8, 8]]) {
        const f = new Fixture(compiled, form.shapes(M, K, N), { seed: seedOf("overwrite", M, K, N) });
        f.set(form.result, () => 1e6);
        f.call(form.mutates, () => form.call(f, M, K, N));
        const first = f.view(form.result).slice();
        const { violations } = f.call(form.mutates, () => form.call(f, M, K, N));
        const { want, tol } = form.expect(f, M, K, N);
        t.add(`${form.name} M=${M} K=${K} N=${N} (output preset to 1e6)`, first, want, tol, violations);
        t.add(`${form.name} M=${M} K=${K} N=${N} (second call, same bits)`, f.view(form.result), first, () => 0);
      }
    }
    expect(t.violations).toEqual([]);
    expect(t.worst, t.worstMessage).toBeLessThanOrEqual(1);
  });

  it("gather_rows is exact, with repeated rows and the first and last source rows", () => {
    const t = new Tracker();
    for (const [srcRows, rows, cols] of [[1, 1, 1], [5, 3, 1], [7, 9, 3], [17, 17, 5], [33, 13, 64], [1797, 1797, 64], [1797, 100, 10]]) {
      const f = new Fixture(compiled, { S: [srcRows, cols], idx: [rows], D: [rows, cols] }, { seed: seedOf("gather", srcRows, rows, cols), outputs: ["D"] });
      const idx = f.int32("idx");
      for (let r = 0; r < rows; r++) idx[r] = f.rng.int(srcRows);
      idx[0] = srcRows - 1;
      idx[rows - 1] = 0;
      const { violations } = f.call(["D"], (k) => k.gather_rows(f.ptr("S"), f.ptr("idx"), f.ptr("D"), rows, cols));
      const want = new Float32Array(rows * cols);
      ref.gather_rows(f.before("S"), idx.slice(), want, rows, cols);
      t.add(`gather_rows src=${srcRows} rows=${rows} cols=${cols}`, f.view("D"), want, () => 0, violations);
    }
    expectClean(t, 7);
  });
});

describe("gemm tolerance sanity", () => {
  it("rejects a reference off by 1e-3 of the output scale even at K = 1797", () => {
    // The loosest bound the tests use: K = 1797 with all-positive data, where |A|·|B| = |C|.
    const M = 4, K = 1797, N = 3;
    const A = new Float32Array(M * K).fill(1);
    const B = new Float32Array(K * N).fill(1);
    const C = new Float32Array(M * N);
    ref.gemm_nn(A, B, C, M, K, N);
    const tol = sumTolerance(K) * K;
    expect(C[0]).toBe(K);
    expect(1e-3 * K).toBeGreaterThan(tol);
    const t = new Tracker();
    t.sanity("all-ones 4x1797x3", C, () => tol);
    expect(t.toothless).toEqual([]);
  });

  it("the guard check catches a write one element past a tensor, and the input check catches a changed input", async () => {
    // Drives the harness with deliberately misbehaving "kernels" (plain host writes) to prove it can fail.
    const compiled = await loadBuild("scalar");
    const make = () => new Fixture(compiled, { A: [3, 5], C: [3, 5] }, { seed: 1, outputs: ["C"] });
    const f1 = make();
    const past = f1.call(["C"], () => {
      new Float32Array(f1.memory.buffer, f1.ptr("C"), 16)[15] = 0; // C holds 15 elements
    });
    expect(past.violations.join("\n")).toMatch(/guard after C/);
    const f2 = make();
    const input = f2.call(["C"], () => {
      f2.view("A")[7] += 1;
    });
    expect(input.violations.join("\n")).toMatch(/input A\[7\] changed/);
    const f3 = make();
    const wild = f3.call(["C"], () => {
      new Uint8Array(f3.memory.buffer)[8] ^= 1; // below the heap base: the module's own static data
    });
    expect(wild.violations.join("\n")).toMatch(/outside every tensor/);
    const f4 = make();
    const clean = f4.call(["C"], () => f4.view("C").fill(0));
    expect(clean.violations).toEqual([]);
  });
});
