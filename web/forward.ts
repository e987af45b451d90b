// One sample through the network by hand, in f64 from the model's own f32 parameters: the numbers the
// "How it works" section shows. The wasm kernels do the same for all 1797 rows at once (in f32).

import type { Snapshot } from "./protocol.ts";

export interface Trace {
  /** The raw 8×8 pixels, 0..16. */
  x: Float64Array;
  /** Standardised: (x - mean) / std. */
  z: Float64Array;
  /** Per hidden layer: pre-activations a = input·W + b, and h = ReLU(a). */
  pre: Float64Array[];
  hidden: Float64Array[];
  /** Output layer pre-activations. */
  logits: Float64Array;
  /** softmax(logits). */
  p: Float64Array;
  /** The class the gradient pushes towards. */
  label: number;
  /** P - Y for this sample (full-batch training divides it by N). */
  g: Float64Array;
  /** Backpropagated to the last hidden layer: (g·Wᵀ) ⊙ [a > 0]. */
  gHidden: Float64Array;
  /** Cross-entropy -log p[label]. */
  loss: number;
}

/** y[j] = Σ_i x[i]·W[i, j] + b[j] with W row-major (fan_in × fan_out). */
export function dense(x: ArrayLike<number>, W: Float32Array, b: Float32Array): Float64Array {
  const fanOut = b.length, fanIn = x.length;
  const y = Float64Array.from(b);
  for (let i = 0; i < fanIn; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    for (let j = 0; j < fanOut; j++) y[j] += xi * W[i * fanOut + j];
  }
  return y;
}

export function softmax(z: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < z.length; i++) m = Math.max(m, z[i]);
  const p = new Float64Array(z.length);
  let s = 0;
  for (let i = 0; i < z.length; i++) s += p[i] = Math.exp(z[i] - m);
  for (let i = 0; i < z.length; i++) p[i] /= s;
  return p;
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** Traces raw pixels x through the snapshot's network; label defaults to the predicted class. */
export function trace(s: Snapshot, pixels: ArrayLike<number>, label?: number): Trace {
  const x = Float64Array.from(pixels);
  const z = x.map((v, j) => (v - s.mean[j]) / s.divisor[j]);
  const pre: Float64Array[] = [], hidden: Float64Array[] = [];
  let input: Float64Array = z;
  const last = s.W.length - 1;
  for (let l = 0; l < last; l++) {
    const a = dense(input, s.W[l], s.b[l]);
    pre.push(a);
    input = a.map((v) => Math.max(0, v));
    hidden.push(input);
  }
  const logits = dense(input, s.W[last], s.b[last]);
  const p = softmax(logits);
  const y = label ?? argmax(p);
  const g = p.map((v, k) => v - (k === y ? 1 : 0));
  // back through the last weight matrix and the ReLU gate of the layer before it
  const W = s.W[last], C = g.length;
  const a = pre.length > 0 ? pre[pre.length - 1] : z;
  const gHidden = new Float64Array(a.length);
  if (pre.length > 0) {
    for (let i = 0; i < a.length; i++) {
      if (a[i] <= 0) continue;
      let t = 0;
      for (let k = 0; k < C; k++) t += g[k] * W[i * C + k];
      gHidden[i] = t;
    }
  }
  return { x, z, pre, hidden, logits, p, label: y, g, gHidden, loss: -Math.log(Math.max(p[y], 1e-300)) };
}
