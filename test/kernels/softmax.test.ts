// softmax_rows, softmax_xent_backward, softmax_xent, xent_loss and count_correct of every build against
// src/reference/softmax.ts (which works in f64 and rounds only on stores).
//
// Tolerances (ε = 2^-23, the f32 epsilon; u = ε/2):
// - softmax, per element: |p - ref| <= (N + 8 + |z - max|)·ε·ref + 2^-125. Why: an f32 exp within a few ulp
//   (the kernels use a 2-ulp polynomial) contributes a few u relative; the f32 sum of N positive terms, in any
//   order, at most (N-1)·u relative; the division and the reference's own two roundings a few u more. The
//   argument z - max is itself rounded in f32 (≤ u·|z - max|), and exp turns that into a relative error of
//   the same size, hence the |z - max| term. Below the smallest normal f32 (2^-126) only absolute accuracy
//   exists, and the kernels' exp clamps its argument at ln 2^-126, so tiny probabilities come out as ≈2^-126
//   instead of 0: the absolute floor 2^-125 allows exactly that and nothing a caller could notice.
// - row sums: |Σ_j p - 1| <= (N + 9)·ε, the sum of the elementwise bounds (|d|·e^-|d| <= 1/e).
// - softmax_xent_backward: |g - ref| <= 2ε·(|p| + |y|)/M: (p - y) rounds once relative to |p| + |y| (there
//   may be cancellation), the division once more, the reference once.
// - xent_loss: per row the loss is lse - (z_t - max); each f32 difference z - max is rounded (≤ u·range of the
//   row), and an f32 log-sum-exp would add ≈ (N + 4)·u; summed over rows weighted by |targets|:
//   Σ_i Σ_j |y_ij|·(N + 4 + 2·range_i)·ε.
// Every elementwise check also proves, per case, that the reference with its largest element moved by 1e-3
// of its magnitude would fail (Tracker.sanity), so the tolerances cannot hide a real bug.

import { beforeAll, describe, expect, it } from "vitest";
import { KERNEL_BUILDS, type CompiledKernels } from "../../src/engine/kernels.js";
import * as ref from "../reference/softmax.js";
import { softmaxTolerance, xentGradTolerance } from "../reference/tolerance.js";
import { EPS, Fixture, Tracker, loadBuild, seedOf, type Rng, expectClean } from "./harness.js";

const ROWS = [1, 2, 3, 5, 7, 9, 17, 33];
const COLS = [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 16, 17, 31, 33, 64];



/** Checks every row of P sums to 1 within (N + 9)·ε. */
function checkRowSums(t: Tracker, label: string, P: Float32Array, M: number, N: number): void {
  let worst = 0, row = -1;
  for (let i = 0; i < M; i++) {
    let s = 0;
    for (let j = 0; j < N; j++) s += P[i * N + j];
    const err = Number.isNaN(s) ? Infinity : Math.abs(s - 1);
    if (err > worst || row < 0) [worst, row] = [err, i];
  }
  t.check(`${label} row sums`, worst <= (N + 9) * EPS, `row ${row} sums to 1 ± ${worst}, allowed ${(N + 9) * EPS}`);
}

/** One-hot targets: a random class per row. */
function oneHot(f: Fixture, name: string, M: number, N: number): void {
  const y = f.view(name);
  y.fill(0);
  for (let i = 0; i < M; i++) y[i * N + f.rng.int(N)] = 1;
}

/** Soft targets: random non-negative rows that sum to 1 (label smoothing, distillation). */
function softTargets(f: Fixture, name: string, M: number, N: number): void {
  const y = f.view(name);
  for (let i = 0; i < M; i++) {
    let s = 0;
    for (let j = 0; j < N; j++) s += (y[i * N + j] = f.rng.next());
    for (let j = 0; j < N; j++) y[i * N + j] /= s;
  }
}

const logits = (scale: number) => (_: number, r: Rng) => r.uniform(-scale, scale);

function shapes(): [number, number][] {
  const out: [number, number][] = [];
  for (const M of ROWS) for (const N of COLS) out.push([M, N]);
  out.push([1797, 10], [100, 32]);
  return out;
}

describe.each(KERNEL_BUILDS)("%s build", (build) => {
  let compiled: CompiledKernels;
  beforeAll(async () => {
    compiled = await loadBuild(build);
  });

  describe("softmax_rows", () => {
    it("matches the reference and rows sum to 1, out of place", () => {
      const t = new Tracker();
      for (const [M, N] of shapes()) {
        for (const scale of [1, 10, 60]) {
          const f = new Fixture(compiled, { Z: [M, N], P: [M, N] }, { seed: seedOf("softmax", M, N, scale), outputs: ["P"] });
          f.set("Z", logits(scale));
          const { violations } = f.call(["P"], (k) => k.softmax_rows(f.ptr("Z"), f.ptr("P"), M, N));
          const Z = f.before("Z"), want = new Float32Array(M * N);
          ref.softmax_rows(Z, want, M, N);
          const tol = softmaxTolerance(Z, want, M, N);
          const label = `softmax_rows M=${M} N=${N} logits ±${scale}`;
          t.add(label, f.view("P"), want, (i) => tol[i], violations);
          checkRowSums(t, label, f.view("P"), M, N);
        }
      }
      expectClean(t);
    });

    it("matches the reference in place (p == z)", () => {
      const t = new Tracker();
      for (const [M, N] of shapes()) {
        const f = new Fixture(compiled, { Z: [M, N] }, { seed: seedOf("softmax in place", M, N) });
        f.set("Z", logits(8));
        const { violations } = f.call(["Z"], (k) => k.softmax_rows(f.ptr("Z"), f.ptr("Z"), M, N));
        const Z = f.before("Z"), want = Z.slice();
        ref.softmax_rows(want, want, M, N);
        const tol = softmaxTolerance(Z, want, M, N);
        const label = `softmax_rows in place M=${M} N=${N}`;
        t.add(label, f.view("Z"), want, (i) => tol[i], violations);
        checkRowSums(t, label, f.view("Z"), M, N);
      }
      expectClean(t, 2 * shapes().length);
    });

    it("stays finite and exact enough for large logits (±1000) and equal logits", () => {
      const rows = [
        [1000, 999, 990, 0, -1000, 1000, 998.5, 500, -0.5, 1],
        [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
        [-1000, -1000, -999, -1000, -1000, -1000, -1000, -1000, -1000, -1000],
        [-1000, -1000, -1000, -1000, -1000, -1000, -1000, -1000, -1000, -1000],
        [88, 89, 90, -88, -89, -90, 200, -200, 0, 150],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [3.4e38, -3.4e38, 0, 1, 2, 3, 4, 5, 6, 7],
      ];
      const M = rows.length, N = 10;
      const t = new Tracker();
      for (const inPlace of [false, true]) {
        const f = new Fixture(compiled, { Z: [M, N], P: [M, N] }, { seed: 7, outputs: ["P"] });
        f.set("Z", rows.flat());
        const out = inPlace ? "Z" : "P";
        const { violations } = f.call([out], (k) => k.softmax_rows(f.ptr("Z"), f.ptr(out), M, N));
        const Z = f.before("Z"), want = new Float32Array(M * N);
        ref.softmax_rows(Z, want, M, N);
        const tol = softmaxTolerance(Z, want, M, N);
        const P = f.view(out);
        const label = `softmax_rows large logits${inPlace ? " in place" : ""}`;
        t.check(`${label} finite`, P.every(Number.isFinite), `non-finite output ${[...P].find((v) => !Number.isFinite(v))}`);
        t.add(label, P, want, (i) => tol[i], violations);
        checkRowSums(t, label, P, M, N);
        // equal logits give exactly the uniform distribution up to rounding
        for (const r of [1, 3, 5]) for (let j = 0; j < N; j++) t.check(`${label} uniform row ${r}`, Math.abs(P[r * N + j] - 0.1) <= 4 * EPS * 0.1, `P[${r},${j}] = ${P[r * N + j]}`);
      }
      expectClean(t);
    });
  });

  describe("softmax_xent_backward", () => {
    it("matches the reference", () => {
      const t = new Tracker();
      for (const [M, N] of shapes()) {
        const f = new Fixture(compiled, { P: [M, N], Y: [M, N], G: [M, N] }, { seed: seedOf("xent_backward", M, N), outputs: ["G"] });
        f.set("P", (_, r) => r.next());
        oneHot(f, "Y", M, N);
        const { violations } = f.call(["G"], (k) => k.softmax_xent_backward(f.ptr("P"), f.ptr("Y"), f.ptr("G"), M, N));
        const P = f.before("P"), Y = f.before("Y"), want = new Float32Array(M * N);
        ref.softmax_xent_backward(P, Y, want, M, N);
        t.add(`softmax_xent_backward M=${M} N=${N}`, f.view("G"), want, (i) => (2 * EPS * (Math.abs(P[i]) + Math.abs(Y[i]))) / M, violations);
      }
      expectClean(t, shapes().length);
    });
  });

  describe("softmax_xent", () => {
    it("matches the reference (softmax_rows then softmax_xent_backward) for P and G", () => {
      const t = new Tracker();
      for (const [M, N] of shapes()) {
        const f = new Fixture(compiled, { Z: [M, N], Y: [M, N], P: [M, N], G: [M, N] }, { seed: seedOf("softmax_xent", M, N), outputs: ["P", "G"] });
        f.set("Z", logits(8));
        oneHot(f, "Y", M, N);
        const { violations } = f.call(["P", "G"], (k) => k.softmax_xent(f.ptr("Z"), f.ptr("Y"), f.ptr("P"), f.ptr("G"), M, N));
        const Z = f.before("Z"), Y = f.before("Y");
        const P = new Float32Array(M * N), G = new Float32Array(M * N);
        ref.softmax_xent(Z, Y, P, G, M, N);
        const tolP = softmaxTolerance(Z, P, M, N);
        t.add(`softmax_xent P M=${M} N=${N}`, f.view("P"), P, (i) => tolP[i], violations);
        // G inherits P's error divided by M, plus its own roundings
        t.add(`softmax_xent G M=${M} N=${N}`, f.view("G"), G, xentGradTolerance(tolP, P, Y, M));
        checkRowSums(t, `softmax_xent M=${M} N=${N}`, f.view("P"), M, N);
      }
      expectClean(t);
    });

    it("gives the same bits as softmax_rows followed by softmax_xent_backward (its documented contract)", () => {
      const t = new Tracker();
      for (const [M, N] of shapes()) {
        const f = new Fixture(compiled, { Z: [M, N], Y: [M, N], P: [M, N], G: [M, N], P2: [M, N], G2: [M, N] }, { seed: seedOf("fused", M, N), outputs: ["P", "G", "P2", "G2"] });
        f.set("Z", logits(8));
        oneHot(f, "Y", M, N);
        const a = f.call(["P", "G"], (k) => k.softmax_xent(f.ptr("Z"), f.ptr("Y"), f.ptr("P"), f.ptr("G"), M, N));
        const b = f.call(["P2"], (k) => k.softmax_rows(f.ptr("Z"), f.ptr("P2"), M, N));
        const c = f.call(["G2"], (k) => k.softmax_xent_backward(f.ptr("P2"), f.ptr("Y"), f.ptr("G2"), M, N));
        t.add(`fused P M=${M} N=${N}`, f.view("P"), f.view("P2"), () => 0, [...a.violations, ...b.violations, ...c.violations]);
        t.add(`fused G M=${M} N=${N}`, f.view("G"), f.view("G2"), () => 0);
      }
      expect(t.violations).toEqual([]);
      expect(t.worst, t.worstMessage).toBeLessThanOrEqual(1);
    });
  });

  describe("xent_loss", () => {
    function lossCase(t: Tracker, label: string, f: Fixture, M: number, N: number): void {
      const { result, violations } = f.call([], (k) => k.xent_loss(f.ptr("Z"), f.ptr("Y"), M, N));
      const Z = f.before("Z"), Y = f.before("Y");
      const want = ref.xent_loss(Z, Y, M, N);
      let tol = 0;
      for (let i = 0; i < M; i++) {
        let lo = Infinity, hi = -Infinity, w = 0;
        for (let j = 0; j < N; j++) {
          lo = Math.min(lo, Z[i * N + j]);
          hi = Math.max(hi, Z[i * N + j]);
          w += Math.abs(Y[i * N + j]);
        }
        tol += w * (N + 4 + 2 * (hi - lo)) * EPS;
      }
      t.check(`${label} finite`, Number.isFinite(result), `loss ${result}`);
      t.add(label, [result], [want], () => tol, violations);
    }

    it("matches the reference with one-hot and soft targets", () => {
      const t = new Tracker();
      for (const [M, N] of shapes()) {
        for (const soft of [false, true]) {
          const f = new Fixture(compiled, { Z: [M, N], Y: [M, N] }, { seed: seedOf("xent_loss", M, N, +soft) });
          f.set("Z", logits(8));
          if (soft) softTargets(f, "Y", M, N);
          else oneHot(f, "Y", M, N);
          lossCase(t, `xent_loss M=${M} N=${N}${soft ? " soft targets" : ""}`, f, M, N);
        }
      }
      expectClean(t);
    });

    it("stays finite when the target's probability underflows in f32 (logit gap 200) and for logits ±1000", () => {
      const t = new Tracker();
      const M = 6, N = 10;
      const f = new Fixture(compiled, { Z: [M, N], Y: [M, N], P: [M, N] }, { seed: 11, outputs: ["P"] });
      const Z = f.view("Z"), Y = f.view("Y");
      Z.fill(0);
      Y.fill(0);
      for (let i = 0; i < 4; i++) {
        Z[i * N + ((i + 3) % N)] = 200; // the wrong class wins by 200
        Y[i * N + i] = 1; // the target's probability is e^-200 ≈ 1e-87: 0 in f32
      }
      Z.set([1000, -1000, 999, 0, 0, 0, 0, 0, 0, 0], 4 * N);
      Y[4 * N + 1] = 1; // target logit 2000 below the max
      Z.set([-1000, -1000, -1000, -1000, -1000, -1000, -1000, -1000, -1000, -1000], 5 * N);
      Y[5 * N + 9] = 1; // uniform: loss ln 10
      lossCase(t, "xent_loss underflow", f, M, N);
      const loss = f.call([], (k) => k.xent_loss(f.ptr("Z"), f.ptr("Y"), M, N)).result;
      // analytic: 4·(200 + ln(1 + 9e^-200)) + (2000 + ln(1 + e^-1 + e^-1000·… + 7e^-1000)) + ln 10
      const exact = 4 * 200 + 2000 + Math.log(1 + Math.exp(-1)) + Math.log(10);
      t.check("xent_loss underflow analytic", Math.abs(loss - exact) <= 1e-6 * exact, `loss ${loss}, exact ${exact}`);
      // The case is meaningful: the softmax kernel's probability for those targets is (clamped) below the
      // smallest normal f32, so a loss computed as -log P would be wrong by ~113 or infinite.
      f.call(["P"], (k) => k.softmax_rows(f.ptr("Z"), f.ptr("P"), M, N));
      const P = f.view("P");
      for (let i = 0; i < 4; i++) t.check(`P underflows row ${i}`, P[i * N + i] <= 2 ** -125, `P = ${P[i * N + i]}`);
      expectClean(t);
    });
  });

  describe("count_correct", () => {
    it("counts a hand-made case with ties as NumPy's argmax would (first maximum wins)", () => {
      // rows: P, Y, correct?
      const cases: [number[], number[], boolean][] = [
        [[0.5, 0.5, 0], [1, 0, 0], true], // tie in P: first max is 0
        [[0.5, 0.5, 0], [0, 1, 0], false],
        [[0, 0.5, 0.5], [0, 1, 0], true],
        [[0, 0.5, 0.5], [0, 0, 1], false],
        [[1 / 3, 1 / 3, 1 / 3], [1, 0, 0], true],
        [[1 / 3, 1 / 3, 1 / 3], [0, 0, 1], false],
        [[0.2, 0.3, 0.5], [0, 0, 1], true],
        [[0.2, 0.3, 0.5], [0.5, 0, 0.5], false], // tie in Y: first max is 0
        [[0.6, 0.3, 0.1], [0.5, 0, 0.5], true],
        [[0, 0, 0], [0, 0, 0], true], // all equal: both argmax 0
      ];
      const M = cases.length, N = 3;
      const expected = cases.filter((c) => c[2]).length;
      const f = new Fixture(compiled, { P: [M, N], Y: [M, N] }, { seed: 3 });
      f.set("P", cases.flatMap((c) => c[0]));
      f.set("Y", cases.flatMap((c) => c[1]));
      const { result, violations } = f.call([], (k) => k.count_correct(f.ptr("P"), f.ptr("Y"), M, N));
      expect(ref.count_correct(f.view("P"), f.view("Y"), M, N)).toBe(expected);
      expect(violations).toEqual([]);
      expect(result).toBe(expected);
    });

    it("matches the reference on random data with many ties", () => {
      const t = new Tracker();
      const levels = [0, 0.25, 0.5];
      for (const M of [1, 2, 3, 7, 33, 1797]) {
        for (const N of [1, 2, 3, 4, 5, 7, 10, 17]) {
          for (const tiedTargets of [false, true]) {
            const f = new Fixture(compiled, { P: [M, N], Y: [M, N] }, { seed: seedOf("count_correct", M, N, +tiedTargets) });
            f.set("P", (_, r) => levels[r.int(3)]);
            if (tiedTargets) f.set("Y", (_, r) => r.int(2));
            else oneHot(f, "Y", M, N);
            const { result, violations } = f.call([], (k) => k.count_correct(f.ptr("P"), f.ptr("Y"), M, N));
            const want = ref.count_correct(f.before("P"), f.before("Y"), M, N);
            t.add(`count_correct M=${M} N=${N}${tiedTargets ? " tied targets" : ""}`, [result], [want], () => 0, violations);
            if (N === 1) t.check(`count_correct N=1 M=${M}`, result === M, `got ${result}`);
          }
        }
      }
      expectClean(t, 6 * 8 * 2 + 6 * 2);
    });
  });
});

describe("softmax: the SIMD builds give the scalar build's bits", () => {
  let scalar: CompiledKernels, simd: CompiledKernels;
  beforeAll(async () => {
    [scalar, simd] = await Promise.all([loadBuild("scalar"), loadBuild("simd")]);
  });

  function run(compiled: CompiledKernels, M: number, N: number, batch: number): Float32Array[] {
    const f = new Fixture(compiled, { Z: [M, N], Y: [M, N], P: [M, N], G: [M, N], P2: [M, N] }, { seed: seedOf("softmax-bits", M, N), outputs: ["P", "G", "P2"] });
    f.set("Z", logits(30));
    oneHot(f, "Y", M, N);
    f.call(["P", "G"], (k) => k.softmax_xent(f.ptr("Z"), f.ptr("Y"), f.ptr("P"), f.ptr("G"), M, N, batch));
    f.call(["P2"], (k) => k.softmax_rows(f.ptr("Z"), f.ptr("P2"), M, N));
    return ["P", "G", "P2"].map((n) => f.view(n).slice());
  }

  it("softmax_xent (with a batch divisor) and softmax_rows on every row width", () => {
    for (const N of COLS) {
      for (const M of [1, 7, 33]) {
        const a = run(scalar, M, N, 3 * M + 1), b = run(simd, M, N, 3 * M + 1);
        a.forEach((x, i) => expect(Buffer.from(b[i].buffer).equals(Buffer.from(x.buffer)), `M=${M} N=${N} output ${i}`).toBe(true));
      }
    }
  });
});

describe.each(KERNEL_BUILDS)("xent_rows, %s build", (build) => {
  it("gives each row's loss and correctness as xent_loss and count_correct do for that row alone", async () => {
    const compiled = await loadBuild(build);
    for (const [M, N] of [[1, 2], [13, 10], [40, 3], [9, 17]]) {
      const f = new Fixture(compiled, { Z: [M, N], Y: [M, N], P: [M, N], L: [2 * M], C: [M] }, { seed: seedOf("xent_rows", M, N), outputs: ["L", "C"] });
      f.set("Z", logits(5));
      oneHot(f, "Y", M, N);
      f.call([], (k) => k.softmax_rows(f.ptr("Z"), f.ptr("P"), M, N));
      f.call(["L", "C"], (k) => k.xent_rows(f.ptr("Z"), f.ptr("P"), f.ptr("Y"), f.ptr("L"), f.ptr("C"), M, N));
      const loss = new Float64Array(f.memory.buffer, f.ptr("L"), M), correct = new Int32Array(f.memory.buffer, f.ptr("C"), M);
      for (let i = 0; i < M; i++) {
        const r = (n: string) => f.ptr(n) + 4 * i * N;
        expect(loss[i], `loss of row ${i}`).toBe(f.k.xent_loss(r("Z"), r("Y"), 1, N));
        expect(correct[i], `correct of row ${i}`).toBe(f.k.count_correct(r("P"), r("Y"), 1, N));
      }
    }
  });
});
