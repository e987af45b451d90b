// Whole training epochs on the real digits data, set up as the seed scripts do (seed 42 NumPy weights,
// the SLP standardised globally and the MLP per feature, full-batch SGD at lr 0.1), for a wasm build (a real
// Network, the class MLP.fit drives) or for the pure-TypeScript ReferenceNetwork; plus the call sequence of
// one wasm epoch as separate closures, for the in-situ "where the time goes" breakdown.

import { loadDigits } from "../src/data.js";
import { applyNormalization, fitNormalization, oneHot, type NormalizeKind } from "../src/normalize.js";
import { initParams, type Params } from "../src/init.js";
import { Network, DEFAULT_OPTIMIZER, type Optimizer } from "../src/network.js";
import type { CompiledKernels } from "../src/kernels.js";
import { ReferenceNetwork, callLabel, type EpochCall } from "./reference-epoch.js";

export interface ModelSpec {
  readonly id: "slp" | "mlp";
  readonly name: string;
  readonly layers: readonly number[];
  readonly normalize: NormalizeKind;
}

export const MODELS: readonly ModelSpec[] = [
  { id: "slp", name: "SLP 64-10", layers: [64, 10], normalize: "global" },
  { id: "mlp", name: "MLP 64-32-10", layers: [64, 32, 10], normalize: "feature" },
];

export const SEED = 42;
export const LR = 0.1;
export const OPT: Optimizer = { ...DEFAULT_OPTIMIZER, kind: "sgd", lr: LR };

export interface Digits {
  /** Raw pixels, n × 64. */
  readonly X: Float32Array;
  readonly y: Uint8Array;
  readonly n: number;
}

export async function digits(): Promise<Digits> {
  const d = await loadDigits();
  return { X: d.X, y: d.y, n: d.n };
}

export interface Prepared {
  /** Standardised as the seed does for this model. */
  readonly X: Float32Array;
  readonly Y: Float32Array;
  readonly params: Params;
}

export function prepare(model: ModelSpec, data: Digits): Prepared {
  const inputs = model.layers[0], classes = model.layers[model.layers.length - 1];
  const norm = fitNormalization(data.X, data.n, inputs, model.normalize);
  return {
    X: applyNormalization(norm, data.X, data.n, inputs),
    Y: oneHot(data.y, classes),
    params: initParams(model.layers, SEED),
  };
}

/** A full-batch Network holding the standardised digits and the seed's initial weights. */
export function wasmNetwork(kernels: CompiledKernels, model: ModelSpec, p: Prepared, n: number): Network {
  const net = new Network(kernels, { layers: model.layers, train: n, batch: n, eval: 0, optimizer: "sgd" });
  net.setTrain(p.X, p.Y);
  net.setParams(p.params);
  return net;
}

export function referenceNetwork(model: ModelSpec, p: Prepared): ReferenceNetwork {
  return new ReferenceNetwork(model.layers, p.X, p.Y, p.params, LR);
}

/** The kernel calls of one epoch, for the in-situ breakdown (being rebuilt on the real step). */
export function wasmEpochCalls(net: Network): EpochCall[] {
  void net;
  return [];
}
