// What the MLP's methods take and return: the options of create, fromBytes and fit, a report, a fit's
// summary and an evaluation. Their run-time checks are in options.ts.

import type { CompiledKernels, KernelBuild, WasmSource } from "../engine/kernels.js";
import type { OptimizerKind } from "../engine/optimizers.js";
import type { InitKind } from "./init.js";
import type { NormalizeKind } from "./normalize.js";
import type { LrSchedule } from "./schedule.js";
import type { Schema } from "../data/schema.js";
import type { ActivationKind } from "../engine/activations.js";

/** What a model learns: classes (softmax, cross-entropy; labels y a Uint8Array) or numbers (linear outputs, mean squared error; targets y a Float32Array of n × outputs). */
export type Task = "classify" | "regress";
/** What fit and evaluate take as y for a task. */
export type Targets<T extends Task> = T extends "regress" ? Float32Array : Uint8Array;
/** What predict returns for a task: labels, or n × outputs values in the targets' units. */
export type Prediction<T extends Task> = T extends "regress" ? Float32Array : Uint8Array;
export type ReportOf<T extends Task> = T extends "regress" ? RegressionReport : Report;
export type SummaryOf<T extends Task> = T extends "regress" ? RegressionSummary : FitSummary;
export type EvaluationOf<T extends Task> = T extends "regress" ? RegressionEvaluation : Evaluation;

export type KernelChoice = KernelBuild | "auto" | CompiledKernels | { build: KernelBuild; source: WasmSource };

export interface MLPOptions<T extends Task = "classify"> {
  /** Sizes from input to output, e.g. [64, 32, 10]; for regression the last is the number of targets (1 or more). */
  layers: number[];
  /**
   * "classify" (default) or "regress": linear outputs trained on the mean squared error of standardised
   * targets (each target's mean and std, fitted on the first fit, travel with the model).
   */
  task?: T;
  /** NumPy-compatible seed for the initial weights (and the mini-batch shuffle). */
  seed?: number;
  init?: InitKind;
  /** Standardisation fitted on the first fit's data: per feature (default) or one global mean and std. */
  normalize?: NormalizeKind;
  kernels?: KernelChoice;
  /**
   * Threads training may use: a number, or "auto" (default) for the available cores. More than one starts
   * worker threads; with a number, create() waits until they run; with "auto" (in Node) the first fit that
   * can use them spawns them, and they join it between two steps once booted. In a browser threads need a
   * cross-origin isolated page, and create() always waits.
   */
  threads?: number | "auto";
  /** The hidden layers' activation: "relu" (default), "leaky_relu", "tanh", "sigmoid" or "gelu". */
  activation?: ActivationKind;
  /**
   * How a table's columns become the inputs and what the classes are called (a TableDataset's `schema`,
   * from loadTable); kept in the model file, so predict can read a table and name the classes.
   */
  schema?: Schema;
}

export interface LoadOptions {
  kernels?: KernelChoice;
  /** As MLPOptions.threads, for fitting the loaded model further. */
  threads?: number | "auto";
  /** How messages name the model; by default its path or URL, else "model". */
  name?: string;
}

export interface FitOptions<T extends Task = "classify"> {
  epochs?: number;
  lr?: number;
  /** Report every this many epochs (epoch 0 included). */
  every?: number;
  /** Rows per step (at most the training rows); full batch when absent. */
  batch?: number;
  optimizer?: OptimizerKind;
  /** momentum only; in [0, 1). */
  momentum?: number;
  /** adam only; beta1 and beta2 in [0, 1), eps above 0. */
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Held-out data, evaluated at every report (and every epoch when patience is set). */
  validation?: { X: Float32Array | Uint8Array; y: Targets<T> };
  /** Stop after this many epochs without a lower held-out loss, keeping the best weights. */
  patience?: number;
  onReport?: (r: ReportOf<T>) => void;
  /** Called after every epoch with its number (cheap: for progress bars). */
  onEpoch?: (epoch: number) => void;
  /**
   * L2 weight decay (default 0): added to the gradient for sgd and momentum, decoupled as AdamW for adam;
   * every weight and bias.
   */
  weightDecay?: number;
  /**
   * Inverted dropout on the hidden layers' outputs in training (default 0): each is zeroed with this
   * probability and the others scaled by 1/(1-p); masks from the model's seed by position, so any thread
   * count gives the same bits. Off in predict and evaluate.
   */
  dropout?: number;
  /** The learning rate per epoch: constant (the default), step (÷10 at half, ÷100 at three quarters) or cosine. */
  lrSchedule?: LrSchedule;
  /**
   * Threads for this fit, at most the model's (see MLPOptions.threads). Default: as many as the work per
   * step pays for. The results are the same bits for any number.
   */
  threads?: number;
  /**
   * Stops training between two epochs once aborted; the model keeps the weights reached (the best kept ones
   * with patience) and the summary says `interrupted: true`. `fit` is synchronous, so the signal must be
   * aborted by code that runs during it (an onEpoch that reads a flag another thread sets); with `fitAsync`,
   * which yields to the event loop every few milliseconds, any event can abort it (a message, a click, SIGINT).
   */
  signal?: AbortSignal;
  /**
   * Checkpoints of the fit (see MLP.fromCheckpoint): `write` receives a checkpoint file (bytes) and the epochs
   * done, after every `every` epochs (default 1) and once more when the fit ends (last epoch, signal, early
   * stop). `write` runs inside the fit, so it should hand the bytes on (a file write, a postMessage) and return.
   */
  checkpoint?: CheckpointOptions;
}

export interface CheckpointOptions {
  write: (bytes: Uint8Array, epoch: number) => void;
  every?: number;
  /** Kept in the file as they are: the command line that started the fit (the CLI's --resume repeats it). */
  flags?: string[];
}

export interface Report {
  epoch: number;
  /** Training accuracy and mean cross-entropy of this epoch's forward passes, before its update. */
  accuracy: number;
  loss: number;
  /** Held-out accuracy and loss with the weights at the start of this epoch. */
  test_accuracy?: number;
  test_loss?: number;
  /** The learning rate of this epoch. */
  lr: number;
}

/** A regression report: loss on standardised targets; RMSE, MAE, R² (see RegressionFigures) in the targets' units. */
export interface RegressionReport {
  epoch: number;
  /** Mean squared error (standardised targets) of this epoch's forward passes, before its update. */
  loss: number;
  /** Of the weights at the start of this epoch, on the training data. */
  rmse: number;
  mae: number;
  r2: number;
  /** Held-out figures with the weights at the start of this epoch. */
  test_loss?: number;
  test_rmse?: number;
  test_mae?: number;
  test_r2?: number;
  lr: number;
}

interface SummaryBase {
  /** Epochs run (fewer than asked when early stopping fired or the signal was aborted). */
  epochs: number;
  /** True when the signal stopped training before the last epoch (absent otherwise). */
  interrupted?: boolean;
  loss: number;
  test_loss?: number;
  /** With patience: the epoch whose weights were kept. */
  best_epoch?: number;
  /** Continuing a checkpoint (MLP.fromCheckpoint): the epochs it had done, counted in `epochs` (absent otherwise). */
  resumed_from?: number;
  /** The epoch loop alone, in milliseconds (this fit's epochs: without a checkpoint's). */
  train_ms: number;
  epochs_per_s: number;
  kernels: KernelBuild;
  /**
   * The most threads an epoch ran on (workers that start late join between two steps; a fit that chose its
   * own count runs on one thread while the machine is too busy for more, see busy_epochs).
   */
  threads: number;
  /** Epochs a fit that chose its own thread count ran on one thread because that was faster (absent when none). */
  busy_epochs?: number;
  layers: number[];
  samples: number;
}

/** A regression fit's summary: loss (standardised) and RMSE, MAE, R² of the final (or kept best) weights. */
export interface RegressionSummary extends SummaryBase {
  rmse: number;
  mae: number;
  r2: number;
  test_rmse?: number;
  test_mae?: number;
  test_r2?: number;
  /** Every report of the fit, in order. */
  history: RegressionReport[];
}

/** A classifier's fit summary: loss and accuracy of the final (or, with patience, the best kept) weights. */
export interface FitSummary extends SummaryBase {
  /** Of the trained (or, with patience, the best) weights, on the training data. */
  accuracy: number;
  test_accuracy?: number;
  /** With validation data: confusion[true][predicted] of the held-out rows, with the final weights. */
  confusion?: number[][];
  /** Every report of the fit, in order (every `every` epochs, whether or not onReport is given). */
  history: Report[];
}

/** A regression model's figures on data with targets (RMSE, MAE, R² averaged over the targets with equal weights). */
export interface RegressionEvaluation {
  n: number;
  rmse: number;
  mae: number;
  r2: number;
  /** Mean squared error on the standardised targets (the training loss). */
  loss: number;
}

export interface Evaluation {
  n: number;
  accuracy: number;
  loss: number;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
}
