// One training run on a data set, as the CLI does it: create the model, fit, report.

import type { Dataset } from "./csv.js";
import type { KernelBuild } from "./kernels.js";
import { MLP, type FitSummary, type Report } from "./model.js";
import type { Params, InitKind } from "./init.js";
import type { Normalization, NormalizeKind } from "./normalize.js";

export type { Report } from "./model.js";

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
  init?: InitKind;
}

export type Summary = FitSummary;

export interface TrainResult {
  summary: Summary;
  params: Params;
  normalization: Normalization;
  model: MLP;
}

export async function train(data: Dataset, cfg: TrainConfig, onReport?: (r: Report) => void): Promise<TrainResult> {
  const model = await MLP.create({ layers: cfg.layers, seed: cfg.seed, init: cfg.init, normalize: cfg.normalize, kernels: cfg.kernels });
  const summary = model.fit(data.X, data.y, { epochs: cfg.epochs, lr: cfg.lr, every: cfg.every, onReport });
  return { summary, params: model.getParams(), normalization: model.normalization!, model };
}
