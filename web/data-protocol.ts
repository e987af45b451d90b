// The messages between the "Your data" view (data-view.ts) and its worker (data-worker.ts). Files go to the
// worker as File objects (a reference, not a copy): reading, inflating and parsing them happen there, so a
// large file never holds up the page.

import type { FitSummary, KernelBuild, OptimizerKind, RegressionReport, RegressionSummary, Report } from "../src/index.ts";

/** What the model learns: one of the label's classes, or the number in a column. */
export type LearnTask = "classify" | "regress";

/** One column of the chosen file, as the view lists it. */
export interface ColumnInfo {
  name: string;
  kind: "number" | "category";
  /** number columns: the lowest and highest value. */
  min?: number;
  max?: number;
  /** category columns: how many different words, and the first few of them. */
  words?: number;
  examples?: string[];
  /** It can be the label: whole numbers 0..254, or at most 255 different words. */
  labelOk: boolean;
  /** As the label, this many classes. */
  classes?: number;
  /** An IDX pair's pixel block: this many number columns shown as one line. */
  count?: number;
}

/** What the chosen file holds. */
export interface DataInfo {
  /** The file's name (an IDX pair: the images file's). */
  file: string;
  /** A CSV table, or an IDX pair of images and labels. */
  kind: "table" | "images";
  rows: number;
  /** Rows left out for a missing value (when asked to). */
  dropped: number;
  /** Whether the first line was taken as the column names. */
  header: boolean;
  columns: ColumnInfo[];
  /** The column suggested as the label (index into columns). */
  label: number;
  /** Inputs a model gets for this data with that label (categories one-hot). */
  images?: { rows: number; cols: number; labelsFile: string };
  /** Milliseconds spent reading and parsing. */
  ms: number;
}

/** What the user asked for; checked by the page, and again by the library. */
export interface DataTrainConfig {
  task: LearnTask;
  /** Index of the label column (regression: the target column) in DataInfo.columns. */
  label: number;
  hidden: number[];
  optimizer: OptimizerKind;
  lr: number;
  epochs: number;
  batch: number;
  /** Fraction of the rows held out (stratified; regression: a seeded shuffle), 0 for none. */
  holdout: number;
  threads: number | "auto";
  seed: number;
}

/** The model the view holds: trained here, loaded from this browser's storage, or from a .wmlp file. */
export interface ModelInfo {
  /** A name for its files and its storage entry. */
  name: string;
  layers: number[];
  task: LearnTask;
  /** One name per class (the class numbers as text when the labels were numbers); regression: the target's name. */
  classNames: string[];
  /** Input column names (a table's), when the model knows them. */
  inputs: string[] | undefined;
  /** The label column's name, when known. */
  labelName: string | undefined;
  /** Where it came from, in words: "trained on iris.csv", "saved in this browser", "iris.wmlp". */
  origin: string;
  wmlp: Uint8Array;
  onnx: Uint8Array;
}

export type ToDataWorker =
  /** Read one CSV (gzip too) or an IDX pair; "example" builds a CSV of the 8×8 digits. */
  | { type: "open"; files: File[]; missing: "error" | "drop" }
  | { type: "example"; missing: "error" | "drop" }
  /** The last table read (or that failed to parse) again, with the other rule for missing values. */
  | { type: "reread"; missing: "error" | "drop" }
  | { type: "train"; config: DataTrainConfig }
  /** End the run after the current epoch, keeping the weights reached (a "done" message follows). */
  | { type: "stop" }
  /** Make these model bytes (a .wmlp) the current model. */
  | { type: "use-model"; bytes: Uint8Array; name: string; origin: string }
  /** Predict a file; `clip`: values outside the training data's range are clipped to it rather than refused. */
  | { type: "predict"; files: File[]; clip: boolean };

export type Task = "open" | "train" | "model" | "predict";

export type FromDataWorker =
  /** Work in progress: what is happening, and how far along (0..1) when that is known. */
  | { type: "busy"; task: Task; text: string; fraction?: number }
  | { type: "data"; info: DataInfo }
  | { type: "start"; build: KernelBuild; threads: number; isolated: boolean; config: DataTrainConfig; batch: number; every: number; trainRows: number; testRows: number; classNames: string[] }
  | { type: "progress"; report: Report | RegressionReport; elapsedMs: number }
  /** Epochs run so far, at most every 250 ms between reports. */
  | { type: "epoch"; epochs: number; elapsedMs: number }
  /** The run ended (or was stopped): its summary, the confusion matrix and of which rows, and the model. */
  | { type: "done"; summary: FitSummary; confusion: number[][]; confusionOf: "held-out" | "training"; model: ModelInfo }
  /**
   * A regression run ended: its summary, the true and predicted values of the held-out (or training) rows
   * (`clipped` of them had an input outside the training rows' range, clipped to it), the model.
   */
  | { type: "done-regress"; summary: RegressionSummary; truth: Float32Array; predicted: Float32Array; of: "held-out" | "training"; clipped: number; model: ModelInfo }
  | { type: "model"; model: ModelInfo }
  | { type: "predictions"; result: Predictions }
  | { type: "error"; task: Task; message: string };

export type Predictions = ClassPredictions | ValuePredictions;

export interface ClassPredictions {
  task: "classify";
  file: string;
  n: number;
  classNames: string[];
  /** The most probable class of each row. */
  predicted: Uint8Array;
  /** n × classes probabilities, row-major. */
  proba: Float32Array;
  /** The file's own labels, when it has them. */
  truth: Uint8Array | undefined;
  /** Rows with a value clipped to the training data's range (1), when any were. */
  clipped: Uint8Array | undefined;
}

/** A regression model's predictions: one value a row (the model's first target). */
export interface ValuePredictions {
  task: "regress";
  file: string;
  n: number;
  /** The target's name. */
  target: string;
  values: Float32Array;
  /** The file's own values of the target, when it has them. */
  truth: Float32Array | undefined;
  clipped: Uint8Array | undefined;
}
