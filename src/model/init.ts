// Weight initialisation, all from NumPy's legacy generator so seed 42 reproduces the original's scripts:
//   numpy:  randn(fan_in, fan_out) * 0.1 (the original's)
//   he:     randn * sqrt(2 / fan_in)            (ReLU layers)
//   xavier: randn * sqrt(2 / (fan_in + fan_out)) (Glorot normal)
// Layers are drawn in order, each row-major; biases start at zero.

import { MT19937 } from "../data/mt19937.js";
import type { Params } from "../engine/plan.js";

export type { Params } from "../engine/plan.js";

export type InitKind = "numpy" | "he" | "xavier";
export const INITS: readonly InitKind[] = ["numpy", "he", "xavier"];


export function initParams(layers: readonly number[], seed: number, kind: InitKind = "numpy"): Params {
  const rng = new MT19937(seed);
  const W: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (let l = 1; l < layers.length; l++) {
    const fanIn = layers[l - 1], fanOut = layers[l];
    const scale = kind === "numpy" ? 0.1 : kind === "he" ? Math.sqrt(2 / fanIn) : Math.sqrt(2 / (fanIn + fanOut));
    const w = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < w.length; i++) w[i] = rng.randn() * scale;
    W.push(w);
    b.push(new Float32Array(fanOut));
  }
  return { layers: [...layers], W, b };
}

export function cloneParams(p: Params): Params {
  return { layers: [...p.layers], W: p.W.map((w) => w.slice()), b: p.b.map((b) => b.slice()) };
}
