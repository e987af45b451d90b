// Regression targets: checked, standardised per target for training (mean 0, population std 1, in f64 then
// rounded to f32, as the inputs), and predictions brought back to the targets' own units. The scaling is
// fitted on a model's first fit and travels with it (the model file's JSON block, "targets").

import { DataError, UsageError } from "../errors.js";
import { show } from "../checks.js";

export interface TargetScaling {
  /** The targets' names (a table's column names, else "y1", "y2", ...). */
  readonly names: readonly string[];
  /** Per target: the training data's mean and population standard deviation (1 where it is constant). */
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/** Default names for N targets. */
export function targetNames(N: number): string[] {
  return Array.from({ length: N }, (_, j) => (N === 1 ? "y" : `y${j + 1}`));
}

/** Checks y: a Float32Array of n rows of N finite targets. */
export function checkTargets(fn: string, what: string, y: unknown, n: number, N: number): Float32Array {
  if (!(y instanceof Float32Array)) throw new UsageError(`${fn}: y must be a Float32Array of ${n} rows of ${N} target value${N > 1 ? "s" : ""} (a regression model), got ${show(y)}`);
  if (n === 0) throw new DataError(`${what}: no rows`);
  if (y.length !== n * N) throw new DataError(`${what}: ${n} rows of X but ${y.length} target values (${N} a row expected)`);
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i])) throw new DataError(`${what}: target y[${Math.floor(i / N)}]${N > 1 ? `[${i % N}]` : ""} is ${y[i]}`);
  }
  return y;
}

/** Each target's mean and population standard deviation over n rows (f64). */
export function fitTargets(y: Float32Array, n: number, N: number, names?: readonly string[]): TargetScaling {
  const mean = new Float64Array(N), std = new Float64Array(N);
  for (let i = 0; i < n; i++) for (let j = 0; j < N; j++) mean[j] += y[i * N + j];
  for (let j = 0; j < N; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) for (let j = 0; j < N; j++) { const d = y[i * N + j] - mean[j]; std[j] += d * d; }
  for (let j = 0; j < N; j++) std[j] = Math.sqrt(std[j] / n) || 1;
  return { names: names ? [...names] : targetNames(N), mean, std };
}

/** (y - mean) / std per target, computed in f64, as f32: what the network is trained to output. */
export function scaleTargets(s: TargetScaling, y: Float32Array): Float32Array {
  const N = s.mean.length, out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = (y[i] - s.mean[i % N]) / s.std[i % N];
  return out;
}

/** Network outputs back in the targets' units: out · std + mean, in f64, as f32. */
export function unscaleOutputs(s: TargetScaling, out: Float32Array): Float32Array {
  const N = s.mean.length, y = new Float32Array(out.length);
  for (let i = 0; i < out.length; i++) y[i] = out[i] * s.std[i % N] + s.mean[i % N];
  return y;
}

/** The scaling as the model file's JSON block holds it. */
export function targetsJson(s: TargetScaling): { names: string[]; mean: number[]; std: number[] } {
  return { names: [...s.names], mean: Array.from(s.mean), std: Array.from(s.std) };
}

/** The JSON block's "targets", checked against the output layer's size; a message saying what is wrong otherwise. */
export function readTargets(v: unknown, outputs: number): TargetScaling | string {
  const o = v as Record<string, unknown>;
  const nums = (a: unknown) => Array.isArray(a) && a.length === outputs && a.every((x) => typeof x === "number" && Number.isFinite(x));
  if (typeof o !== "object" || o === null || !nums(o.mean) || !nums(o.std) || !(o.std as number[]).every((x) => x > 0)) {
    return `its targets must hold ${outputs} finite means and ${outputs} positive standard deviations`;
  }
  const names = Array.isArray(o.names) && o.names.length === outputs && o.names.every((x) => typeof x === "string") ? (o.names as string[]) : targetNames(outputs);
  return { names, mean: Float64Array.from(o.mean as number[]), std: Float64Array.from(o.std as number[]) };
}
