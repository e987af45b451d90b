// Weight initialisation. "numpy" is the seed's: randn(fan_in, fan_out) * 0.1 for each layer in order,
// row-major, from NumPy's legacy generator, biases zero.

import { MT19937 } from "./mt19937.js";

export type InitKind = "numpy";

/** Parameters of a dense network: W[l] is fan_in × fan_out row-major, b[l] has fan_out entries. */
export interface Params {
  readonly layers: readonly number[];
  readonly W: Float32Array[];
  readonly b: Float32Array[];
}

export function initParams(layers: readonly number[], seed: number, kind: InitKind = "numpy"): Params {
  const rng = new MT19937(seed);
  const W: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (let l = 1; l < layers.length; l++) {
    const w = new Float32Array(layers[l - 1] * layers[l]);
    if (kind === "numpy") for (let i = 0; i < w.length; i++) w[i] = rng.randn() * 0.1;
    W.push(w);
    b.push(new Float32Array(layers[l]));
  }
  return { layers: [...layers], W, b };
}
