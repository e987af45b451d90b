// One training run, start to finish: standardise, one-hot, initialise, then the epoch loop over wasm
// kernels. Reports come from the forward pass of the reported epoch, before its update, as in the seed.

import type { Dataset } from "./csv.js";
import { initParams, type Params } from "./init.js";
import { compileKernels, type KernelBuild } from "./kernels.js";
import { Network } from "./network.js";
import { applyNormalization, fitNormalization, oneHot, type Normalization, type NormalizeKind } from "./normalize.js";

export interface TrainConfig {
  /** Sizes from input to output, e.g. [64, 32, 10]. */
  layers: number[];
  epochs: number;
  lr: number;
  seed: number;
  /** Report every this many epochs (epoch 0 included). */
  every: number;
  normalize: NormalizeKind;
  kernels: KernelBuild | "auto";
}

export interface Report {
  epoch: number;
  /** Fraction of training rows classified correctly. */
  accuracy: number;
  /** Mean cross-entropy. */
  loss: number;
}

export interface Summary {
  epochs: number;
  /** Of the trained model (after the last update). */
  accuracy: number;
  loss: number;
  /** The epoch loop alone, in milliseconds. */
  train_ms: number;
  epochs_per_s: number;
  kernels: KernelBuild;
  layers: number[];
  samples: number;
}

export interface TrainResult {
  summary: Summary;
  params: Params;
  normalization: Normalization;
}

export async function train(data: Dataset, cfg: TrainConfig, onReport?: (r: Report) => void): Promise<TrainResult> {
  const { n, features, classes } = data;
  const normalization = fitNormalization(data.X, n, features, cfg.normalize);
  const X = applyNormalization(normalization, data.X, n, features);
  const Y = oneHot(data.y, classes);
  const kernels = await compileKernels(cfg.kernels);
  const net = new Network(kernels, cfg.layers, X, Y, n);
  net.setParams(initParams(cfg.layers, cfg.seed));

  const lr = cfg.lr, every = cfg.every, epochs = cfg.epochs;
  const t0 = performance.now();
  for (let epoch = 0; epoch < epochs; epoch++) {
    net.forward();
    if (epoch % every === 0 && onReport) {
      const s = net.stats();
      onReport({ epoch, accuracy: s.correct / n, loss: s.loss });
    }
    net.backwardAndUpdate(lr);
  }
  const trainMs = performance.now() - t0;

  net.forward();
  const final = net.stats();
  return {
    summary: {
      epochs,
      accuracy: final.correct / n,
      loss: final.loss,
      train_ms: trainMs,
      epochs_per_s: epochs / (trainMs / 1000),
      kernels: kernels.build,
      layers: [...cfg.layers],
      samples: n,
    },
    params: net.getParams(),
    normalization,
  };
}
