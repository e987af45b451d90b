// How far an f32 kernel may be from its twin in this folder, and how to compare them: the bounds the kernel
// tests assert (their files explain each bound) and the bench checks before it times anything, kept in one
// place so the two can never disagree about what "correct" means.

import type { Params } from "../../src/model/init.js";
import type { Stats } from "../../src/engine/network.js";

/** f32 machine epsilon: the spacing of f32 values at 1 (twice the unit roundoff u = 2^-24). */
export const EPS = 2 ** -23;

export interface CaseResult {
  /** max over elements of |got - want| / tol; Infinity for NaN or a nonzero error where tol is 0 */
  ratio: number;
  index: number;
  got: number;
  want: number;
  tol: number;
  maxAbsErr: number;
}

/** Compares element by element against the tolerance tol(i). */
export function compare(got: ArrayLike<number>, want: ArrayLike<number>, tol: (i: number) => number): CaseResult {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  const worst: CaseResult = { ratio: 0, index: -1, got: NaN, want: NaN, tol: NaN, maxAbsErr: 0 };
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    const t = tol(i);
    let err: number;
    let ratio: number;
    if (g === w) {
      // covers ±Infinity and -0 vs +0
      err = 0;
      ratio = 0;
    } else {
      err = Math.abs(g - w);
      ratio = Number.isNaN(err) ? Infinity : t > 0 ? err / t : Infinity;
    }
    if (err > worst.maxAbsErr || Number.isNaN(err)) worst.maxAbsErr = Number.isNaN(err) ? NaN : err;
    if (ratio > worst.ratio || worst.index < 0) Object.assign(worst, { ratio, index: i, got: g, want: w, tol: t });
  }
  return worst;
}

/**
 * The allowed error of an f32 sum of `terms` products, per unit of Σ|a·b| (gemm's (|A|·|B|)_ij, colsum's
 * Σ|g|): 2·√terms·ε, the random-walk growth of rounding errors with a wide margin (see gemm.test.ts).
 */
export function sumTolerance(terms: number): number {
  return 2 * Math.sqrt(terms) * EPS;
}

/** Absolute floor of the softmax bound: the kernels' exp clamps at 2^-126 instead of reaching 0. */
export const SOFTMAX_FLOOR = 2 ** -125;

/** Per-element softmax tolerance for logits Z[M,N] and reference probabilities P (see softmax.test.ts). */
export function softmaxTolerance(Z: ArrayLike<number>, P: ArrayLike<number>, M: number, N: number): Float64Array {
  const tol = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    let m = -Infinity;
    for (let j = 0; j < N; j++) m = Math.max(m, Z[i * N + j]);
    for (let j = 0; j < N; j++) {
      const x = i * N + j;
      tol[x] = (N + 8 + Math.abs(Z[x] - m)) * EPS * P[x] + SOFTMAX_FLOOR;
    }
  }
  return tol;
}

/** softmax_xent's G = (P - Y) / batch: P's error divided by the batch, plus its own two roundings. */
export function xentGradTolerance(tolP: ArrayLike<number>, P: ArrayLike<number>, Y: ArrayLike<number>, batch: number): (i: number) => number {
  return (i) => (tolP[i] + 2 * EPS * (Math.abs(P[i]) + Math.abs(Y[i]))) / batch;
}

/** sgd's W - lr·G: two roundings (one when fused); with lr = 0 the weights must come back bit for bit. */
export function sgdTolerance(W0: ArrayLike<number>, G: ArrayLike<number>, lr: number): (i: number) => number {
  const l = Math.abs(Math.fround(lr));
  return (i) => (l === 0 ? 0 : 2 * EPS * (Math.abs(W0[i]) + l * Math.abs(G[i])));
}

/**
 * How close the training step on the twins (which sum in f64) stays to the step on an f32 build over a
 * few epochs: the mean loss of each epoch, its count of correct rows, and every weight afterwards.
 */
export const STEP_TOLERANCE = { loss: 1e-5, correct: 1, weight: 1e-4 } as const;

export interface StepDifference {
  /** Largest |loss difference| over the epochs, and of the correct counts. */
  loss: number;
  correct: number;
  /** Largest |weight difference| (biases included). */
  weight: number;
}

/** The largest differences between two runs of the same epochs (per-epoch stats, then the parameters). */
export function stepDifference(a: { stats: Stats[]; params: Params }, b: { stats: Stats[]; params: Params }): StepDifference {
  let loss = 0, correct = 0, weight = 0;
  a.stats.forEach((s, e) => {
    loss = Math.max(loss, Math.abs(s.loss - b.stats[e].loss));
    correct = Math.max(correct, Math.abs(s.correct - b.stats[e].correct));
  });
  for (const key of ["W", "b"] as const) {
    a.params[key].forEach((t, l) => t.forEach((x, i) => { weight = Math.max(weight, Math.abs(x - b.params[key][l][i])); }));
  }
  // Math.max keeps a NaN, and a NaN anywhere is a disagreement, never a pass
  const nan = (x: number) => (Number.isNaN(x) ? Infinity : x);
  return { loss: nan(loss), correct: nan(correct), weight: nan(weight) };
}

/** What is outside STEP_TOLERANCE, or undefined when everything is within it. */
export function stepDisagreement(d: StepDifference): string | undefined {
  const bad: string[] = [];
  if (!(d.loss < STEP_TOLERANCE.loss)) bad.push(`loss differs by ${d.loss} (allowed < ${STEP_TOLERANCE.loss})`);
  if (!(d.correct <= STEP_TOLERANCE.correct)) bad.push(`correct rows differ by ${d.correct} (allowed ≤ ${STEP_TOLERANCE.correct})`);
  if (!(d.weight < STEP_TOLERANCE.weight)) bad.push(`a weight differs by ${d.weight} (allowed < ${STEP_TOLERANCE.weight})`);
  return bad.length ? bad.join("; ") : undefined;
}
