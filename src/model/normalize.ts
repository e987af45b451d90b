// Standardisation, computed in f64 exactly as the original's scripts do with NumPy, then rounded to f32.
//   feature: per column, (x - mean) / (std + 1e-8), population std (the MLP script); constant columns are only centred
//   global:  one mean and std over the whole matrix, (x - mean) / std (the SLP script)

export type NormalizeKind = "feature" | "global";
export const NORMALIZATIONS: readonly NormalizeKind[] = ["feature", "global"];

export interface Normalization {
  readonly kind: NormalizeKind;
  /** Per feature (the global kind repeats one value), so applying is the same for both. */
  readonly mean: Float64Array;
  readonly divisor: Float64Array;
}

const EPS = 1e-8;

export function fitNormalization(X: Float32Array, n: number, features: number, kind: NormalizeKind): Normalization {
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
    let s = 0;
    for (let i = 0; i < count; i++) s += X[i];
    const m = s / count;
    let v = 0;
    for (let i = 0; i < count; i++) { const d = X[i] - m; v += d * d; }
    // a constant matrix has std 0: divide by 1 rather than produce NaN (NumPy would give NaN here)
    const sd = Math.sqrt(v / count) || 1;
    mean.fill(m);
    divisor.fill(sd);
  }
  return { kind, mean, divisor };
}

/** Returns a standardised copy of X (f32). */
export function applyNormalization(norm: Normalization, X: Float32Array, n: number, features: number): Float32Array {
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
