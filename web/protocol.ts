// The messages between the page (main.ts) and the training worker (worker.ts).

import type { Evaluation, FitSummary, KernelBuild, Report } from "../src/index.ts";

/** What the user asked for; every number already validated by the page. */
export interface TrainConfig {
  hidden: number;
  lr: number;
  epochs: number;
  seed: number;
  every: number;
  /** Threads to train on, or "auto" (the cores, where the work pays for them). */
  threads: number | "auto";
}

/** Parameters and standardisation as plain arrays, enough to redo a forward pass by hand. */
export interface Snapshot {
  layers: number[];
  W: Float32Array[];
  b: Float32Array[];
  mean: Float64Array;
  divisor: Float64Array;
  /** Epochs of training behind these weights (0: the random initial weights). */
  epoch: number;
}

export type ToWorker =
  | { type: "train"; config: TrainConfig }
  /** End the run after the current epoch, keeping the weights reached (a "done" message follows). */
  | { type: "stop" };

export type FromWorker =
  /** The data set, once, so the page can show and explain samples. */
  | { type: "data"; X: Float32Array; y: Uint8Array; n: number }
  /** The model is built and about to train; `initial` holds its untrained weights. */
  | { type: "start"; build: KernelBuild; threads: number; isolated: boolean; config: TrainConfig; initial: Snapshot }
  /** One onReport, with the time since the epoch loop began. */
  | { type: "progress"; report: Report; elapsedMs: number }
  | { type: "done"; summary: FitSummary; evaluation: Evaluation; bytes: Uint8Array; final: Snapshot }
  | { type: "error"; message: string };
