// K-fold cross-validation: the rows dealt into K folds by a seeded shuffle (for classification per class, so
// each fold keeps the class balance: stratified), then K models, each trained on all folds but one and
// measured on that one (passed to fit as its validation data: the held-out figures of the fit's summary).

import { MT19937 } from "../data/mt19937.js";
import { UsageError } from "../errors.js";
import type { MLP } from "./mlp.js";
import type { FitOptions, RegressionSummary, FitSummary, Targets, Task } from "./types.js";

export interface CrossValidateOptions<T extends Task> {
  /** K, the number of folds (2 up to the rows). */
  folds: number;
  /** A new model for fold k (0-based); each fold trains its own. */
  create: (fold: number) => Promise<MLP<T>>;
  /** fit's options for every fold (validation is the fold's held-out rows; patience may use it). */
  fit?: Omit<FitOptions<T>, "validation">;
  /** The shuffle's seed (default 42). */
  seed?: number;
  /** Called after each fold with its result (e.g. to print it). */
  onFold?: (fold: FoldResult) => void;
}

export interface FoldResult {
  fold: number;
  /** Rows trained on and held out. */
  train: number;
  test: number;
  /** The fold's held-out figures: accuracy and loss, or loss, rmse, mae and r2 (regression). */
  figures: Record<string, number>;
  /** The fit's whole summary. */
  summary: FitSummary | RegressionSummary;
}

export interface CrossValidation {
  folds: FoldResult[];
  /** Per figure: the mean over the folds and the (population) standard deviation. */
  mean: Record<string, number>;
  std: Record<string, number>;
}

/**
 * Which fold each row is in: a seeded shuffle, dealt round-robin; with `classes` (labels), each class is
 * shuffled and dealt in turn, so every fold holds about 1/K of each class.
 */
export function foldOf(n: number, K: number, seed: number, labels?: Uint8Array): Int32Array {
  const rng = new MT19937(seed), fold = new Int32Array(n);
  const groups: number[][] = [];
  if (labels) {
    for (let i = 0; i < n; i++) (groups[labels[i]] ??= []).push(i);
  } else groups.push(Array.from({ length: n }, (_, i) => i));
  let next = 0;
  for (const rows of groups) {
    if (!rows) continue;
    rng.shuffle(rows);
    for (const r of rows) fold[r] = next++ % K;
  }
  return fold;
}

/** Rows of X (n × F) and y (n × N) where `keep(fold[row])`. */
function rowsWhere<Y extends Uint8Array | Float32Array>(X: Float32Array, y: Y, fold: Int32Array, keep: (f: number) => boolean): { X: Float32Array; y: Y } {
  const n = fold.length, F = X.length / n, N = y.length / n, rows: number[] = [];
  for (let i = 0; i < n; i++) if (keep(fold[i])) rows.push(i);
  const Xs = new Float32Array(rows.length * F), ys = new (y.constructor as new (len: number) => Y)(rows.length * N);
  rows.forEach((r, i) => {
    Xs.set(X.subarray(r * F, (r + 1) * F), i * F);
    ys.set(y.subarray(r * N, (r + 1) * N), i * N);
  });
  return { X: Xs, y: ys };
}

/** A fold's held-out figures from its fit's summary. */
function heldOutFigures(s: FitSummary | RegressionSummary): Record<string, number> {
  if ("accuracy" in s) return { accuracy: s.test_accuracy!, loss: s.test_loss! };
  return { loss: s.test_loss!, rmse: s.test_rmse!, mae: s.test_mae!, r2: s.test_r2! };
}

/**
 * K-fold cross-validation of the models `create` makes on X and y (labels: stratified folds; regression
 * targets: shuffled folds). Returns each fold's held-out figures and their mean and standard deviation.
 */
export async function crossValidate<T extends Task>(X: Float32Array, y: Targets<T>, options: CrossValidateOptions<T>): Promise<CrossValidation> {
  const { folds: K, create, fit = {}, seed = 42, onFold } = options;
  const labels = y instanceof Uint8Array ? y : undefined, n = labels ? labels.length : undefined;
  const first = await create(0), rows = n ?? X.length / first.inputs;
  if (!(Number.isInteger(K) && K >= 2 && K <= rows)) first.dispose();
  if (!(Number.isInteger(K) && K >= 2 && K <= rows)) throw new UsageError(`crossValidate: folds must be an integer from 2 to the ${rows} rows, got ${K}`);
  const fold = foldOf(rows, K, seed, labels), results: FoldResult[] = [];
  for (let k = 0; k < K; k++) {
    const model = k === 0 ? first : await create(k);
    try {
      const train = rowsWhere(X, y as Uint8Array | Float32Array, fold, (f) => f !== k), held = rowsWhere(X, y as Uint8Array | Float32Array, fold, (f) => f === k);
      const summary = (await model.fitAsync(train.X, train.y as Targets<T>, { ...fit, validation: { X: held.X, y: held.y as Targets<T> } } as FitOptions<T>)) as FitSummary | RegressionSummary;
      const result = { fold: k, train: summary.samples, test: held.X.length / model.inputs, figures: heldOutFigures(summary), summary };
      results.push(result);
      onFold?.(result);
    } finally {
      model.dispose();
    }
  }
  return { folds: results, ...meanAndStd(results.map((r) => r.figures)) };
}

/** Each figure's mean and population standard deviation over the folds. */
function meanAndStd(figures: Record<string, number>[]): { mean: Record<string, number>; std: Record<string, number> } {
  const mean: Record<string, number> = {}, std: Record<string, number> = {};
  for (const key of Object.keys(figures[0])) {
    const v = figures.map((f) => f[key]), m = v.reduce((a, b) => a + b, 0) / v.length;
    mean[key] = m;
    std[key] = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
  }
  return { mean, std };
}
