// The checks every method that takes data runs first: X a Float32Array of whole rows of finite values (and,
// for a trained model, within the range it was trained on), or a Uint8Array of whole rows (pixels as an IDX
// file holds them: always finite), y a Uint8Array of labels below the classes.

import { DataError, UsageError } from "../errors.js";
import { show } from "../checks.js";

/** What the data must fit: the model's inputs and classes, and the training data's value range once known. */
export interface Expect {
  readonly inputs: number;
  readonly classes: number;
  /** Values outside it are refused (predict and evaluate): a network says nothing sound about inputs unlike any it was trained on. */
  readonly range?: readonly [number, number];
}

/**
 * Rows of X, refusing values that are not finite or outside `e.range`. `seen` receives the lowest and
 * highest value (one pass for both jobs: cold code is slow at start-up).
 */
export function checkRows(fn: string, what: string, X: Float32Array | Uint8Array, e: Expect, seen?: [number, number]): number {
  const F = e.inputs;
  if (!(X instanceof Float32Array || X instanceof Uint8Array)) {
    throw new UsageError(`${fn}: X must be a Float32Array of rows of ${F} values, got ${show(X)}`);
  }
  if (X.length % F !== 0) throw new DataError(`${what}: X has ${X.length} values, not a whole number of rows of ${F} features`);
  const [lo, hi] = e.range ?? [-Infinity, Infinity];
  const [min, max] = X instanceof Float32Array ? finiteRange(what, X, F) : byteRange(X);
  if (min < lo || max > hi) {
    const i = X.findIndex((v) => v < lo || v > hi);
    throw new DataError(`${what}: X[${Math.floor(i / F)}][${i % F}] is ${X[i]}, outside ${lo}..${hi}, the range of the data the model was trained on`);
  }
  if (seen) [seen[0], seen[1]] = [min, max];
  return X.length / F;
}

/** The lowest and highest of X, refusing a value that is not finite. */
function finiteRange(what: string, X: Float32Array, F: number): [number, number] {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < X.length; i++) {
    const v = X[i];
    // v - v is NaN for NaN and ±Infinity alike
    if (v - v !== 0) throw new DataError(`${what}: X[${Math.floor(i / F)}][${i % F}] is ${v}`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/**
 * The lowest and highest byte of X (Infinity and -Infinity when it is empty, as for floats); no byte is below
 * 0 or above 255, so once both are seen the rest need not be read (images have them within a few rows).
 */
function byteRange(X: Uint8Array): [number, number] {
  let min = 255, max = 0;
  for (let i = 0; i < X.length; i++) {
    const v = X[i];
    if (v < min) min = v;
    if (v > max) max = v;
    if (min === 0 && max === 255) break;
  }
  return X.length ? [min, max] : [Infinity, -Infinity];
}

/** Rows of X as checkRows, and labels y: one per row, each below the classes. */
export function checkLabelled(fn: string, what: string, X: Float32Array | Uint8Array, y: Uint8Array, e: Expect, seen?: [number, number]): number {
  const n = checkRows(fn, what, X, e, seen);
  if (!(y instanceof Uint8Array)) throw new UsageError(`${fn}: y must be a Uint8Array of ${n} labels, got ${show(y)}`);
  if (n === 0) throw new DataError(`${what}: no rows`);
  if (y.length !== n) throw new DataError(`${what}: ${n} rows of X but ${y.length} labels`);
  for (let i = 0; i < n; i++) {
    if (y[i] >= e.classes) throw new DataError(`${what}: label ${y[i]} at row ${i} is not below the model's ${e.classes} classes`);
  }
  return n;
}
