// Standardisation, computed in f64 exactly as the original's scripts do with NumPy, then rounded to f32.
//   feature: per column, (x - mean) / (std + 1e-8), population std (the MLP script); constant columns are only centred
//   global:  one mean and std over the whole matrix, (x - mean) / std (the SLP script)

import { LITTLE_ENDIAN } from "../bytes.js";

export type NormalizeKind = "feature" | "global";
export const NORMALIZATIONS: readonly NormalizeKind[] = ["feature", "global"];

export interface Normalization {
  readonly kind: NormalizeKind;
  /** Per feature (the global kind repeats one value), so applying is the same for both. */
  readonly mean: Float64Array;
  readonly divisor: Float64Array;
}

const EPS = 1e-8;

/** Fits to X: floats, or bytes (an IDX file's pixels), which give exactly what the same values as floats give. */
export function fitNormalization(X: Float32Array | Uint8Array, n: number, features: number, kind: NormalizeKind): Normalization {
  const mean = new Float64Array(features);
  const divisor = new Float64Array(features);
  if (kind === "feature") {
    for (let i = 0; i < n; i++) for (let j = 0; j < features; j++) mean[j] += X[i * features + j];
    for (let j = 0; j < features; j++) mean[j] /= n;
    const v = new Float64Array(features);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < features; j++) { const d = X[i * features + j] - mean[j]; v[j] += d * d; }
    }
    // A column that is constant in the training data is only centred: (x - mean) is 0 there whatever the
    // divisor, so the original's numbers are unchanged, but held-out rows where that pixel is on no longer
    // become (x - mean) / 1e-8.
    for (let j = 0; j < features; j++) divisor[j] = v[j] === 0 ? 1 : Math.sqrt(v[j] / n) + EPS;
  } else {
    const count = n * features;
    let s = 0, m = 0, v = 0;
    if (X instanceof Uint8Array) {
      [m, v] = globalOfBytes(X, count);
    } else {
      for (let i = 0; i < count; i++) s += X[i];
      m = s / count;
      for (let i = 0; i < count; i++) { const d = X[i] - m; v += d * d; }
    }
    // a constant matrix has std 0: divide by 1 rather than produce NaN (NumPy would give NaN here)
    const sd = Math.sqrt(v / count) || 1;
    mean.fill(m);
    divisor.fill(sd);
  }
  return { kind, mean, divisor };
}

/** Bytes summed 4 Mi at a time as integers: below 2^31, so no overflow. */
const BYTE_CHUNK = 1 << 22;


/**
 * The global kind's mean and sum of squared deviations over bytes, to the bit what the loops above give for
 * the same values as floats, faster: every partial sum of bytes is an integer below 2^53, so exact in any
 * grouping; each byte's squared deviation is computed once, as there, and the squares added in the same order.
 * Bytes are read four at a time where they are aligned for it.
 */
function globalOfBytes(X: Uint8Array, count: number): [number, number] {
  const words = LITTLE_ENDIAN && X.byteOffset % 4 === 0 ? count >> 2 : 0, X4 = words ? new Uint32Array(X.buffer, X.byteOffset, words) : new Uint32Array(0);
  let s = 0;
  for (let i0 = 0; i0 < words; i0 += BYTE_CHUNK >> 2) {
    const i1 = Math.min(words, i0 + (BYTE_CHUNK >> 2));
    let part = 0;
    for (let i = i0; i < i1; i++) { const w = X4[i]; part += (w & 255) + ((w >>> 8) & 255) + ((w >>> 16) & 255) + (w >>> 24); }
    s += part;
  }
  for (let i0 = words * 4; i0 < count; i0 += BYTE_CHUNK) {
    const i1 = Math.min(count, i0 + BYTE_CHUNK);
    let part = 0;
    for (let i = i0; i < i1; i++) part += X[i];
    s += part;
  }
  const m = s / count, square = new Float64Array(256);
  for (let b = 0; b < 256; b++) { const d = b - m; square[b] = d * d; }
  let v = 0;
  for (let i = 0; i < words; i++) { const w = X4[i]; v += square[w & 255]; v += square[(w >>> 8) & 255]; v += square[(w >>> 16) & 255]; v += square[w >>> 24]; }
  for (let i = words * 4; i < count; i++) v += square[X[i]];
  return [m, v];
}

/** Returns a standardised copy of X (f32). */
export function applyNormalization(norm: Normalization, X: Float32Array | Uint8Array, n: number, features: number): Float32Array {
  if (norm.mean.length !== features) throw new Error(`normalisation is for ${norm.mean.length} features, data has ${features}`);
  const out = new Float32Array(n * features);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < features; j++) out[i * features + j] = (X[i * features + j] - norm.mean[j]) / norm.divisor[j];
  }
  return out;
}

/** Y[n, classes] with a 1 in each row's label column. */
export function oneHot(y: Uint8Array, classes: number): Float32Array {
  const Y = new Float32Array(y.length * classes);
  for (let i = 0; i < y.length; i++) Y[i * classes + y[i]] = 1;
  return Y;
}
