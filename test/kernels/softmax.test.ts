// softmax_rows, softmax_xent and xent_rows of every build against test/reference/softmax.ts (which works in
// f64 and rounds only on stores): softmax_xent's G and xent_rows's per-row losses and argmax flags carry what
// softmax_xent_backward, xent_loss and count_correct once did on their own, and are checked against the
// twins of those (G against (P - Y) / batch, the losses summed in row order against xent_loss, the flags
// against count_correct); and the SIMD build against the scalar one bit for bit.
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
// - softmax_xent's G against the twin: P's tolerance / M + 2ε·(|p| + |y|)/M: (p - y) rounds once relative to
//   |p| + |y| (there may be cancellation), the division once more, the reference once. Against (P - Y) / batch
//   computed in f32 from the kernel's own P it must be exact.
// - xent_rows's loss: per row lse - (z_t - max); each f32 difference z - max is rounded (≤ u·range of the
//   row), and an f32 log-sum-exp would add ≈ (N + 4)·u; per row weighted by |targets|, and summed over rows:
//   Σ_i Σ_j |y_ij|·(N + 4 + 2·range_i)·ε.
// - xent_rows's correct flags: exact (an argmax with the first maximum winning, as NumPy's).
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

/** xent_rows's tensors: the logits, probabilities and targets, and its outputs (L: M f64 losses, C: M i32 flags). */
const rowsTensors = (M: number, N: number) => ({ Z: [M, N], P: [M, N], Y: [M, N], L: [2 * M], C: [M] });

/** Runs xent_rows on a fixture laid out by rowsTensors; returns copies of its per-row losses and flags. */
function xentRows(f: Fixture, M: number, N: number): { loss: Float64Array; correct: Int32Array; violations: string[] } {
  const { violations } = f.call(["L", "C"], (k) => k.xent_rows(f.ptr("Z"), f.ptr("P"), f.ptr("Y"), f.ptr("L"), f.ptr("C"), M, N));
  const loss = new Float64Array(f.memory.buffer, f.ptr("L"), M).slice();
  const correct = new Int32Array(f.memory.buffer, f.ptr("C"), M).slice();
  return { loss, correct, violations };
}

/** Per row, the loss's tolerance Σ_j |y_ij|·(N + 4 + 2·range_i)·ε (see the header). */
function lossTolerance(Z: ArrayLike<number>, Y: ArrayLike<number>, M: number, N: number): Float64Array {
  const tol = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    let lo = Infinity, hi = -Infinity, w = 0;
    for (let j = 0; j < N; j++) {
      lo = Math.min(lo, Z[i * N + j]);
      hi = Math.max(hi, Z[i * N + j]);
      w += Math.abs(Y[i * N + j]);
    }
    tol[i] = w * (N + 4 + 2 * (hi - lo)) * EPS;
  }
  return tol;
}

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

  describe("softmax_xent", () => {
    it("matches the reference (softmax_rows, then G = (P - Y) / M) for P and G", () => {
      const t = new Tracker();
      for (const [M, N] of shapes()) {
        const f = new Fixture(compiled, { Z: [M, N], Y: [M, N], P: [M, N], G: [M, N] }, { seed: seedOf("softmax_xent", M, N), outputs: ["P", "G"] });
        f.set("Z", logits(8));
        oneHot(f, "Y", M, N);
        const { violations } = f.call(["P", "G"], (k) => k.softmax_xent(f.ptr("Z"), f.ptr("Y"), f.ptr("P"), f.ptr("G"), M, N, 0));
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

    it("softmax_xent's P is softmax_rows's, bit for bit, and G is (P - Y) / batch in f32 from that P (batch 0: M)", () => {
      const t = new Tracker();
      for (const [M, N] of shapes()) {
        for (const batch of [0, 3 * M + 1]) {
          const f = new Fixture(compiled, { Z: [M, N], Y: [M, N], P: [M, N], G: [M, N], P2: [M, N] }, { seed: seedOf("fused", M, N, batch), outputs: ["P", "G", "P2"] });
          f.set("Z", logits(8));
          oneHot(f, "Y", M, N);
          const a = f.call(["P", "G"], (k) => k.softmax_xent(f.ptr("Z"), f.ptr("Y"), f.ptr("P"), f.ptr("G"), M, N, batch));
          const b = f.call(["P2"], (k) => k.softmax_rows(f.ptr("Z"), f.ptr("P2"), M, N));
          const label = `softmax_xent M=${M} N=${N} batch=${batch}`;
          t.add(`${label} P vs softmax_rows`, f.view("P"), f.view("P2"), () => 0, [...a.violations, ...b.violations]);
          // (P - Y) rounded to f32, then / rows rounded to f32: each f32 operation is the f64 one rounded once
          // (exact for a subtraction or division of two f32 values), so this is the kernel's arithmetic exactly
          const P = f.view("P"), Y = f.view("Y"), rows = batch > 0 ? batch : M;
          const want = P.map((p, i) => Math.fround(Math.fround(p - Y[i]) / rows));
          t.add(`${label} G vs (P - Y) / ${rows}`, f.view("G"), want, () => 0);
        }
      }
      expect(t.cases).toBe(4 * shapes().length);
      expect(t.violations).toEqual([]);
      expect(t.worst, t.worstMessage).toBeLessThanOrEqual(1);
    });
  });

  describe("xent_rows: the loss", () => {
    function lossCase(t: Tracker, label: string, f: Fixture, M: number, N: number): number {
      const { loss, violations } = xentRows(f, M, N);
      const Z = f.before("Z"), Y = f.before("Y");
      const want = ref.xent_loss(Z, Y, M, N);
      const tol = lossTolerance(Z, Y, M, N).reduce((a, b) => a + b, 0);
      let total = 0;
      for (let i = 0; i < M; i++) total += loss[i]; // in row order, as the caller sums them
      t.check(`${label} finite`, Number.isFinite(total), `loss ${total}`);
      t.add(label, [total], [want], () => tol, violations);
      return total;
    }

    it("sums over rows to the reference's loss, with one-hot and soft targets", () => {
      const t = new Tracker();
      for (const [M, N] of shapes()) {
        for (const soft of [false, true]) {
          const f = new Fixture(compiled, rowsTensors(M, N), { seed: seedOf("xent_loss", M, N, +soft), outputs: ["L", "C"] });
          f.set("Z", logits(8));
          if (soft) softTargets(f, "Y", M, N);
          else oneHot(f, "Y", M, N);
          lossCase(t, `xent_rows loss M=${M} N=${N}${soft ? " soft targets" : ""}`, f, M, N);
        }
      }
      expectClean(t);
    });

    it("stays finite when the target's probability underflows in f32 (logit gap 200) and for logits ±1000", () => {
      const t = new Tracker();
      const M = 6, N = 10;
      const f = new Fixture(compiled, rowsTensors(M, N), { seed: 11, outputs: ["P", "L", "C"] });
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
      // P as training has it (xent_rows's loss reads only Z and Y)
      f.call(["P"], (k) => k.softmax_rows(f.ptr("Z"), f.ptr("P"), M, N));
      const loss = lossCase(t, "xent_rows loss underflow", f, M, N);
      // analytic: 4·(200 + ln(1 + 9e^-200)) + (2000 + ln(1 + e^-1 + e^-1000·… + 7e^-1000)) + ln 10
      const exact = 4 * 200 + 2000 + Math.log(1 + Math.exp(-1)) + Math.log(10);
      t.check("xent_rows loss underflow analytic", Math.abs(loss - exact) <= 1e-6 * exact, `loss ${loss}, exact ${exact}`);
      // The case is meaningful: the softmax kernel's probability for those targets is (clamped) below the
      // smallest normal f32, so a loss computed as -log P would be wrong by ~113 or infinite.
      const P = f.view("P");
      for (let i = 0; i < 4; i++) t.check(`P underflows row ${i}`, P[i * N + i] <= 2 ** -125, `P = ${P[i * N + i]}`);
      expectClean(t);
    });
  });

  describe("xent_rows: correct", () => {
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
      const f = new Fixture(compiled, rowsTensors(M, N), { seed: 3, outputs: ["L", "C"] });
      f.set("P", cases.flatMap((c) => c[0]));
      f.set("Y", cases.flatMap((c) => c[1]));
      const { correct, violations } = xentRows(f, M, N);
      expect(ref.count_correct(f.view("P"), f.view("Y"), M, N)).toBe(expected);
      expect(violations).toEqual([]);
      expect(Array.from(correct)).toEqual(cases.map((c) => (c[2] ? 1 : 0)));
      expect(correct.reduce((a, b) => a + b, 0)).toBe(expected);
    });

    it("sums to the reference's count on random data with many ties", () => {
      const t = new Tracker();
      const levels = [0, 0.25, 0.5];
      for (const M of [1, 2, 3, 7, 33, 1797]) {
        for (const N of [1, 2, 3, 4, 5, 7, 10, 17]) {
          for (const tiedTargets of [false, true]) {
            const f = new Fixture(compiled, rowsTensors(M, N), { seed: seedOf("count_correct", M, N, +tiedTargets), outputs: ["L", "C"] });
            f.set("P", (_, r) => levels[r.int(3)]);
            if (tiedTargets) f.set("Y", (_, r) => r.int(2));
            else oneHot(f, "Y", M, N);
            const { correct, violations } = xentRows(f, M, N);
            const result = correct.reduce((a, b) => a + b, 0);
            const want = ref.count_correct(f.before("P"), f.before("Y"), M, N);
            t.add(`xent_rows correct M=${M} N=${N}${tiedTargets ? " tied targets" : ""}`, [result], [want], () => 0, violations);
            if (N === 1) t.check(`xent_rows correct N=1 M=${M}`, correct.every((c) => c === 1), `got ${Array.from(correct)}`);
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

  function run(compiled: CompiledKernels, M: number, N: number, batch: number): Uint8Array[] {
    const f = new Fixture(compiled, { ...rowsTensors(M, N), G: [M, N], P2: [M, N] }, { seed: seedOf("softmax-bits", M, N), outputs: ["P", "G", "P2", "L", "C"] });
    f.set("Z", logits(30));
    oneHot(f, "Y", M, N);
    f.call(["P", "G"], (k) => k.softmax_xent(f.ptr("Z"), f.ptr("Y"), f.ptr("P"), f.ptr("G"), M, N, batch));
    f.call(["P2"], (k) => k.softmax_rows(f.ptr("Z"), f.ptr("P2"), M, N));
    f.call(["L", "C"], (k) => k.xent_rows(f.ptr("Z"), f.ptr("P"), f.ptr("Y"), f.ptr("L"), f.ptr("C"), M, N));
    return ["P", "G", "P2", "L", "C"].map((n) => new Uint8Array(f.memory.buffer, f.ptr(n), 4 * f.tensor(n).length).slice());
  }

  it("softmax_xent (with a batch divisor), softmax_rows and xent_rows on every row width", () => {
    for (const N of COLS) {
      for (const M of [1, 7, 33]) {
        const a = run(scalar, M, N, 3 * M + 1), b = run(simd, M, N, 3 * M + 1);
        a.forEach((x, i) => expect(Buffer.from(b[i]).equals(Buffer.from(x)), `M=${M} N=${N} output ${["P", "G", "P2", "L", "C"][i]}`).toBe(true));
      }
    }
  });
});

describe.each(KERNEL_BUILDS)("xent_rows, %s build", (build) => {
  it("gives each row's loss and correctness as the twins xent_loss and count_correct do for that row alone", async () => {
    const compiled = await loadBuild(build);
    // The loss is held to the header's per-row bound, not to the twin's bits: the kernel rounds each z - max
    // to f32 before widening it, where the twin subtracts in f64, so only a few rows (16 of the 326 here, on
    // every build) come out identical. The flags are an argmax: equal, row by row.
    const t = new Tracker();
    for (const [M, N] of [[1, 2], [13, 10], [40, 3], [9, 17], [100, 32]]) {
      for (const soft of [false, true]) {
        const f = new Fixture(compiled, rowsTensors(M, N), { seed: seedOf("xent_rows", M, N, +soft), outputs: ["P", "L", "C"] });
        f.set("Z", logits(5));
        if (soft) softTargets(f, "Y", M, N);
        else oneHot(f, "Y", M, N);
        f.call(["P"], (k) => k.softmax_rows(f.ptr("Z"), f.ptr("P"), M, N));
        const { loss, correct, violations } = xentRows(f, M, N);
        const Z = f.view("Z"), P = f.view("P"), Y = f.view("Y"), tol = lossTolerance(Z, Y, M, N);
        const wantLoss = new Float64Array(M), wantCorrect = new Int32Array(M);
        for (let i = 0; i < M; i++) {
          const row = (x: Float32Array) => x.subarray(i * N, (i + 1) * N);
          wantLoss[i] = ref.xent_loss(row(Z), row(Y), 1, N);
          wantCorrect[i] = ref.count_correct(row(P), row(Y), 1, N);
        }
        const label = `xent_rows M=${M} N=${N}${soft ? " soft targets" : ""}`;
        t.add(`${label} loss per row`, loss, wantLoss, (i) => tol[i], violations);
        t.add(`${label} correct per row`, correct, wantCorrect, () => 0);
      }
    }
    expectClean(t, 2 * 5 * 2);
  });
});
