// A stratified train/test split by a seeded shuffle: each class is shuffled on its own and the same
// fraction of it is held out, so both parts keep the data's class balance.

import type { Dataset, InputArray } from "./csv.js";
import { DataError } from "../errors.js";
import { MT19937 } from "./mt19937.js";

export function stratifiedSplit<X extends InputArray = Float32Array>(data: Dataset<X>, testFraction: number, seed: number): { train: Dataset<X>; test: Dataset<X> } {
  const byClass: number[][] = Array.from({ length: data.classes }, () => []);
  for (let i = 0; i < data.n; i++) byClass[data.y[i]].push(i);
  const rng = new MT19937(seed);
  const trainIdx: number[] = [], testIdx: number[] = [];
  for (const rows of byClass) {
    rng.shuffle(rows);
    const k = Math.round(rows.length * testFraction);
    testIdx.push(...rows.slice(0, k));
    trainIdx.push(...rows.slice(k));
  }
  if (testIdx.length === 0 || trainIdx.length === 0) {
    throw new DataError(
      `a test split of ${testFraction} of ${data.n} rows leaves ${trainIdx.length} for training and ${testIdx.length} for testing; both need at least one`,
    );
  }
  // keep the file's order within each part
  trainIdx.sort((a, b) => a - b);
  testIdx.sort((a, b) => a - b);
  return { train: subset(data, trainIdx), test: subset(data, testIdx) };
}

/** The rows of data (in that order), X of the same kind as data's (floats or bytes). */
export function subset<X extends InputArray = Float32Array>(data: Dataset<X>, rows: number[]): Dataset<X> {
  const F = data.features;
  const X = new (data.X.constructor as new (n: number) => X)(rows.length * F);
  const y = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    X.set(data.X.subarray(r * F, (r + 1) * F), i * F);
    y[i] = data.y[r];
  });
  return { X, y, n: rows.length, features: F, classes: data.classes };
}

/** A seeded shuffle of rows 0..n-1 split into a held-out fraction and the rest, each in the file's order (not stratified: for regression). */
export function shuffleSplit(n: number, testFraction: number, seed: number): { train: number[]; test: number[] } {
  const rows = Array.from({ length: n }, (_, i) => i);
  new MT19937(seed).shuffle(rows);
  const k = Math.round(n * testFraction);
  if (k === 0 || k === n) throw new DataError(`a test split of ${testFraction} of ${n} rows leaves ${n - k} for training and ${k} for testing; both need at least one`);
  return { train: rows.slice(k).sort((a, b) => a - b), test: rows.slice(0, k).sort((a, b) => a - b) };
}
