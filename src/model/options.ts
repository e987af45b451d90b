// What MLP.create, MLP.fromBytes and fit accept: one table per function (option name -> rule; see
// options.ts), and the few checks that span options. A new option is one line in its table.

import { KERNEL_BUILDS } from "../engine/kernels.js";
import { INITS } from "./init.js";
import { NORMALIZATIONS } from "./normalize.js";
import { DEFAULT_OPTIMIZER, HYPER_PARAMS, OPTIMIZER_TABLE, OPTIMIZERS, defaultLr, optimizerOf, type Optimizer } from "../engine/optimizers.js";
import { MAX_LAYERS, MAX_UNITS } from "./modelfile.js";
import { UsageError } from "../errors.js";
import { checkOptions, func, integer, number, oneOf, orList, required, rule, text, type Table } from "../checks.js";
import { LR_SCHEDULES, type LrSchedule } from "./schedule.js";
import type { CheckpointOptions, FitOptions, LoadOptions, MLPOptions, Task } from "./types.js";
import type { RegressionTracker } from "./regression.js";
import { featureCount, type Schema } from "../data/schema.js";
import { ACTIVATIONS } from "../engine/activations.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const isBuild = (v: unknown) => (KERNEL_BUILDS as readonly unknown[]).includes(v);

function isWasmSource(v: unknown): boolean {
  return typeof v === "string" || v instanceof URL || v instanceof ArrayBuffer || ArrayBuffer.isView(v) ||
    v instanceof WebAssembly.Module || (typeof Response !== "undefined" && v instanceof Response);
}

const KERNELS = rule(
  `${orList(["auto", ...KERNEL_BUILDS].map((b) => `"${b}"`))}, what compileKernels() returns, or { build, source } with the module's bytes, URL, Response or WebAssembly.Module`,
  (v) => v === "auto" || isBuild(v) || (isObject(v) && isBuild(v.build) && ("module" in v ? v.module instanceof WebAssembly.Module : isWasmSource(v.source))),
);

/** Threads a fit may use, and a model: a count, or "auto" for the available cores. */
const THREAD_COUNT = integer(1);
const THREADS = rule(`"auto" or ${THREAD_COUNT.allowed}`, (v) => v === "auto" || THREAD_COUNT.test(v));

export const CREATE_OPTIONS: Table = {
  layers: required(rule("an array of layer sizes from input to output, e.g. [64, 32, 10]", Array.isArray)),
  seed: integer(0, 0xffffffff),
  init: oneOf(INITS),
  normalize: oneOf(NORMALIZATIONS),
  kernels: KERNELS,
  threads: THREADS,
  activation: oneOf(ACTIVATIONS),
  schema: rule("a schema (a TableDataset's)", (v) => isObject(v) && Array.isArray(v.columns) && typeof v.label === "string"),
  task: oneOf(["classify", "regress"]),
};

export const LOAD_OPTIONS: Table = {
  kernels: KERNELS,
  /** How messages name the model (the path or URL when it was read from one). */
  name: text,
  threads: THREADS,
};

const unit = number("a number from 0 up to (not including) 1", (x) => x >= 0 && x < 1);
const aboveZero = number("a finite number above 0", (x) => x > 0);

export const FIT_OPTIONS: Table = {
  epochs: integer(1),
  lr: aboveZero,
  every: integer(1),
  batch: integer(1),
  optimizer: oneOf(OPTIMIZERS),
  momentum: unit,
  beta1: unit,
  beta2: unit,
  eps: aboveZero,
  validation: rule("{ X: Float32Array, y: Uint8Array (labels) or Float32Array (regression targets) } (held-out rows)", (v) => isObject(v) && (v.X instanceof Float32Array || v.X instanceof Uint8Array) && (v.y instanceof Uint8Array || v.y instanceof Float32Array)),
  patience: integer(1),
  onReport: func,
  onEpoch: func,
  threads: THREAD_COUNT,
  signal: rule("an AbortSignal", (v) => isObject(v) && typeof v.aborted === "boolean" && typeof v.addEventListener === "function"),
  lrSchedule: oneOf(LR_SCHEDULES),
  weightDecay: number("a finite number from 0 up", (x) => x >= 0),
  dropout: unit,
  checkpoint: rule("{ write: (bytes, epoch) => void, every?: an integer from 1 }", (v) => isObject(v) && typeof v.write === "function" &&
    (v.every === undefined || (Number.isInteger(v.every) && (v.every as number) >= 1)) && (v.flags === undefined || (Array.isArray(v.flags) && v.flags.every((f) => typeof f === "string")))),
};

/** MLP.create's options, checked (the layer sizes too). */
export function createOptions(options: unknown): MLPOptions<Task> {
  if (options === undefined) throw new UsageError(`MLP.create: options with the layer sizes are required, e.g. { layers: [64, 32, 10] }`);
  const o = checkOptions<MLPOptions<Task>>("MLP.create", options, CREATE_OPTIONS);
  const problem = layersProblem(o.layers, o.task) ?? (o.schema && schemaProblem(o.schema, o.layers));
  if (problem) throw new UsageError(`MLP.create: ${problem}`);
  return o;
}

export function loadOptions(options: unknown): LoadOptions {
  return checkOptions<LoadOptions>("MLP.fromBytes", options, LOAD_OPTIONS);
}

/** What keeps a schema from fitting these layers, if anything. */
function schemaProblem(schema: Schema, layers: readonly number[]): string | undefined {
  const classes = layers[layers.length - 1];
  if (featureCount(schema) !== layers[0]) return `the schema makes ${featureCount(schema)} inputs, and layers[0] is ${layers[0]}`;
  if (schema.classes && schema.classes.length !== classes) return `the schema names ${schema.classes.length} classes, and the output layer has ${classes}`;
  if (schema.targets && schema.targets.length !== classes) return `the schema names ${schema.targets.length} targets, and the output layer has ${classes}`;
  return undefined;
}

/**
 * What is wrong with these layer sizes, if anything: the library trains and saves 2 to 64 sizes (what a
 * model file holds) of 1 to 2^20 units, with 2 to 255 classes (labels are bytes).
 */
export function layersProblem(layers: readonly unknown[], task: Task = "classify"): string | undefined {
  const shown = layers.length > 8 ? `${layers.length} sizes` : `[${layers.join(", ")}]`;
  if (layers.length < 2 || layers.length > MAX_LAYERS) {
    return `layers must list 2 to ${MAX_LAYERS} sizes (input, hidden..., output), e.g. [64, 32, 10], got ${shown}`;
  }
  for (const n of layers) {
    if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_UNITS) return `layer sizes must be integers from 1 to ${MAX_UNITS}, got ${shown}`;
  }
  const classes = layers[layers.length - 1] as number;
  if (task === "regress") return undefined;
  if (classes < 2 || classes > 255) return `the output layer needs 2 to 255 classes (labels are bytes), got ${classes}`;
  return undefined;
}

/** fit's options with their defaults, for n training rows. */
export interface FitSettings {
  epochs: number;
  every: number;
  batch: number;
  opt: Optimizer;
  validation: { X: Float32Array | Uint8Array; y: Uint8Array | Float32Array } | undefined;
  patience: number | undefined;
  onReport: FitOptions["onReport"];
  onEpoch: FitOptions["onEpoch"];
  signal: AbortSignal | undefined;
  lrSchedule: LrSchedule;
  /** Threads asked for (undefined: what pays, see MLP.threadsFor). */
  threads: number | undefined;
  /** The probability that dropout zeroes a hidden unit's output in training (0: none). */
  dropout: number;
  /** Checkpoints: where they go and how often (see FitOptions.checkpoint). */
  checkpoint: { write: CheckpointOptions["write"]; every: number; flags?: string[] } | undefined;
  /** Regression: what measures its figures (set by the model; absent for classification). */
  tracker?: RegressionTracker;
}

export function fitSettings(options: unknown, n: number): FitSettings {
  const o = checkOptions<FitOptions<Task>>("fit", options, FIT_OPTIONS);
  const kind = o.optimizer ?? "sgd";
  for (const k of HYPER_PARAMS) {
    if (o[k] !== undefined && !OPTIMIZER_TABLE[kind].params.includes(k)) {
      throw new UsageError(`fit: ${k} applies to optimizer "${optimizerOf(k)}" only, and the optimizer is "${kind}"`);
    }
  }
  const batch = o.batch ?? n;
  if (batch > n) throw new UsageError(`fit: batch ${batch} is larger than the ${n} training rows`);
  if (o.patience !== undefined && !o.validation) throw new UsageError("fit: patience (early stopping) needs held-out data: pass validation: { X, y }");
  const opt: Optimizer = {
    ...DEFAULT_OPTIMIZER,
    kind,
    lr: o.lr ?? defaultLr(kind),
    ...(o.momentum !== undefined && { momentum: o.momentum }),
    ...(o.beta1 !== undefined && { beta1: o.beta1 }),
    ...(o.beta2 !== undefined && { beta2: o.beta2 }),
    ...(o.eps !== undefined && { eps: o.eps }),
    ...(o.weightDecay !== undefined && { weightDecay: o.weightDecay }),
  };
  return {
    dropout: o.dropout ?? 0,
    epochs: o.epochs ?? 1000,
    every: o.every ?? 100,
    batch,
    opt,
    validation: o.validation,
    patience: o.patience,
    onReport: o.onReport,
    onEpoch: o.onEpoch,
    signal: o.signal,
    lrSchedule: o.lrSchedule ?? "constant",
    threads: o.threads,
    checkpoint: o.checkpoint && { write: o.checkpoint.write, every: o.checkpoint.every ?? 1, flags: o.checkpoint.flags && [...o.checkpoint.flags] },
  };
}

