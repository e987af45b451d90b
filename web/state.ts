// What the page remembers between events, in one object, and what it shows the end-to-end test.

import { DIGITS_RULES, type FitSummary, type KernelBuild, type MLP, type Normalization } from "../src/index.ts";
import type { Snapshot, TrainConfig } from "./protocol.ts";

// The digits' shape, from the library's rules for the data set: 64 pixels of 0..16 ink, 10 classes.
export const PIXELS = DIGITS_RULES.features!, MAX_INK = DIGITS_RULES.range![1], CLASSES = DIGITS_RULES.classes!;

export interface Digits {
  X: Float32Array;
  y: Uint8Array;
  n: number;
}

/** An input for "Try it": a drawing, or a digit from the data set with its label. */
export interface Sample {
  pixels: Float32Array;
  label?: number;
  /** Where it came from, in words ("your drawing"). */
  source: string;
}

export const state: {
  /** The training worker; it loads the digits at once and trains every run, so it lives as long as the page. */
  worker: Worker | undefined;
  /** A run is in progress: Train is ignored, and the form's edits no longer redraw the untrained network. */
  training: boolean;
  /** The digits, sent once by the worker: the random samples of "Try it" and the default sample of "How it works". */
  data: Digits | undefined;
  /** The settings of the latest run (from its "start" message): the epochs planned, the learning rate. */
  runConfig: TrainConfig | undefined;
  /** The weights "How it works" traces: the form's untrained network, then each run's initial and final ones. */
  snapshot: Snapshot | undefined;
  /** The learning rate the snapshot's run used (or will use), for the update step of "How it works". */
  snapshotLr: number | undefined;
  /** The trained model, rebuilt here from the worker's model bytes, so predicting on a drawing needs no worker. */
  model: MLP | undefined;
  /** The current input of "Try it"; "How it works" traces it too. */
  input: Sample | undefined;
  /** The data's standardisation for the untrained network: the data never changes, so it is fitted once, not on every keystroke. */
  dataNorm: Normalization | undefined;
} = {
  worker: undefined,
  training: false,
  data: undefined,
  runConfig: undefined,
  snapshot: undefined,
  snapshotLr: undefined,
  model: undefined,
  input: undefined,
  dataNorm: undefined,
};

/** Digit i of the data set, as an input (a copy of its pixels). */
export function dataSample(data: Digits, i: number): Sample {
  return { pixels: data.X.slice(i * PIXELS, (i + 1) * PIXELS), label: data.y[i], source: `digit #${i} of the data set, labelled ${data.y[i]}` };
}

/** What the e2e test reads: the last run and a fingerprint of its weights. */
interface TestHook {
  build?: KernelBuild;
  /** Threads the last run was to train on. */
  threads?: number;
  config?: TrainConfig;
  summary?: FitSummary;
  /** Progress messages received during the last run. */
  reports?: number;
  weightsSha256?: string;
  /** predictProba (wasm, f32) and the hand-traced softmax (f64) for the current input. */
  proba?: number[];
  explainP?: number[];
}
export const hook: TestHook = {};
(window as unknown as { __wasmMlp: TestHook }).__wasmMlp = hook;
