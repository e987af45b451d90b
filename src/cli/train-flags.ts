// The flags of `npm run train`, parsed and checked into one config. Kept apart from the entry point so
// tests can call it.

import { INITS, type InitKind } from "../model/init.js";
import { KERNEL_BUILDS, type KernelBuild } from "../engine/kernels.js";
import { ACTIVATIONS, type ActivationKind } from "../engine/activations.js";
import { HYPER_PARAMS, OPTIMIZER_TABLE, OPTIMIZERS, optimizerOf, type OptimizerKind } from "../engine/optimizers.js";
import type { NormalizeKind } from "../model/normalize.js";
import { UsageError } from "../errors.js";
import { LR_SCHEDULES, type LrSchedule } from "../model/schedule.js";
import { parseArgs } from "node:util";
import { choiceFlag, intFlag, numberFlag, parseFlags } from "./args.js";

export const TRAIN_HELP = `Usage: wasm-mlp train [flags]        (in a checkout of wasm-mlp: npm run train -- [flags])

Trains a classifier (or, with --task regress, a regression model) with WebAssembly kernels. By default: the
original MLP (64-32-10, ReLU, softmax) on the 8x8 digits in data/digits.csv.gz, full-batch SGD, lr 0.1, 1000
epochs, seed 42.

Model
  --task classify|regress  classes (softmax, cross-entropy), or numbers: linear outputs trained on the mean
                           squared error of standardised targets (needs --data; --label names the target
                           column(s)). Its defaults: --optimizer adam --lr 0.001 --lr-schedule cosine
                           --epochs 100 --batch 32 --every 10                                  [classify]
  --model mlp|slp          ReLU hidden layers (mlp) or softmax regression without them (slp)     [mlp]
  --hidden N[,N...]        hidden layer sizes, e.g. 32 or 128,64                                 [32]
  --activation relu|leaky_relu|tanh|sigmoid|gelu
                           the hidden layers' activation                                        [relu]
  --init numpy|he|xavier   initial weights: the original's randn*0.1, He, or Glorot normal       [numpy]
  --seed N                 NumPy-compatible seed for the weights, shuffles and split             [42]
Training
  --epochs N               epochs                                                                [1000]
  --lr X                   learning rate                                        [0.1; 0.001 with adam]
  --lr-schedule constant|step|cosine
                           the rate over the epochs: fixed; /10 at half-way and /100 at three
                           quarters; or cosine decay from --lr towards 0                    [constant]
  --batch N                mini-batch size, reshuffled each epoch                         [full batch]
  --optimizer sgd|momentum|adam                                                                  [sgd]
  --momentum X             momentum coefficient                                                  [0.9]
  --beta1 X, --beta2 X, --eps X
                           Adam's decay rates and epsilon                          [0.9, 0.999, 1e-8]
  --weight-decay X         L2 weight decay (decoupled, AdamW, with adam)                           [0]
  --dropout P              dropout on the hidden layers in training, 0 <= P < 1                    [0]
  --kernels auto|scalar|simd|relaxed
                           kernel build; auto takes the fastest this engine runs                [auto]
  --threads N|auto         threads; auto: the cores, or one where the work per step is too small [auto]
                           (the results are the same bits for any number)
Data
  --dataset digits|mnist|fashion-mnist
                           the bundled 8x8 digits; 10,000 MNIST digits (needs the mnist package); or
                           Fashion-MNIST's 60,000 images, tested on its own 10,000 (Debian's
                           dataset-fashion-mnist, or the four IDX files in $FASHION_MNIST_DIR)
  --data FILE              your own data (.gz too): a CSV table, or an IDX images file (MNIST's format)
  --labels FILE            the IDX labels file of --data           [the *-labels-idx1-ubyte[.gz] beside it]
  --header auto|yes|no     whether a CSV's first line names its columns                         [auto]
  --label NAME|N           the CSV's label column, by name or position from 1                    [last]
                           (numbers are class numbers; words are class names, kept in the model;
                           --task regress: the target column(s), e.g. --label price or --label y1,y2)
  --missing error|drop     a CSV gap (empty, NA, ?): an error naming it, or drop its row         [error]
  --test-data FILE         held-out data from a file (CSV or IDX, like --data) instead of --test-split
  --normalize feature|global
                           standardise per feature, or with one global mean and std
                             [global for slp on digits and for mnist, feature otherwise]
  --test-split F           hold out this fraction (0 < F < 1), stratified (regression: a seeded
                           shuffle), for held-out metrics
  --cv K                   K-fold cross-validation (stratified for classification, seeded): trains K
                           models and prints each fold's held-out figures, their mean and std
  --patience N             stop after N epochs without a lower held-out loss; keep the best weights
Output
  --every N                report every N epochs                                                 [100]
  --json                   JSON lines on stdout: one per report, then a summary
  --save FILE              save the trained model (.wmlp)
  --plot FILE              write an SVG chart of loss and accuracy per report
  --checkpoint FILE        keep a checkpoint of the run in FILE (written atomically): every
                           --checkpoint-every epochs, at the end and at Ctrl+C                 [none]
  --checkpoint-every N     epochs between two checkpoints                                          [1]
  --resume FILE            continue the run a checkpoint holds, to the bit: its flags are repeated
                           (those given now replace them; --epochs is the total, those done included)
  --help                   this text

Ctrl+C stops training after the current epoch, then prints the summary and writes --save, --plot and
--checkpoint from the weights reached (exit status 130); a second Ctrl+C quits at once without saving.
`;

const FLAGS = {
  model: { type: "string", default: "mlp" },
  task: { type: "string", default: "classify" },
  cv: { type: "string" },
  hidden: { type: "string" },
  init: { type: "string", default: "numpy" },
  activation: { type: "string", default: "relu" },
  "weight-decay": { type: "string" },
  dropout: { type: "string" },
  seed: { type: "string", default: "42" },
  epochs: { type: "string" },
  lr: { type: "string" },
  "lr-schedule": { type: "string" },
  batch: { type: "string" },
  optimizer: { type: "string" },
  momentum: { type: "string" },
  beta1: { type: "string" },
  beta2: { type: "string" },
  eps: { type: "string" },
  kernels: { type: "string", default: "auto" },
  threads: { type: "string", default: "auto" },
  dataset: { type: "string" },
  data: { type: "string" },
  labels: { type: "string" },
  header: { type: "string" },
  label: { type: "string" },
  missing: { type: "string" },
  "test-data": { type: "string" },
  normalize: { type: "string" },
  "test-split": { type: "string" },
  patience: { type: "string" },
  every: { type: "string" },
  json: { type: "boolean", default: false },
  save: { type: "string" },
  plot: { type: "string" },
  checkpoint: { type: "string" },
  "checkpoint-every": { type: "string" },
  resume: { type: "string" },
  help: { type: "boolean", default: false },
} as const;

/** Hidden units per layer beyond which the arena could not fit in wasm32's 4 GiB anyway. */
export const MAX_HIDDEN = 1 << 20;

export interface TrainCliConfig {
  model: "mlp" | "slp";
  task: "classify" | "regress";
  /** --cv K: K-fold cross-validation instead of one fit. */
  cv: number | undefined;
  hidden: number[];
  init: InitKind;
  activation: ActivationKind;
  weightDecay: number | undefined;
  dropout: number | undefined;
  seed: number;
  epochs: number;
  lr: number | undefined;
  lrSchedule: LrSchedule;
  batch: number | undefined;
  optimizer: OptimizerKind;
  momentum: number | undefined;
  beta1: number | undefined;
  beta2: number | undefined;
  eps: number | undefined;
  kernels: KernelBuild | "auto";
  threads: number | "auto";
  dataset: "digits" | "mnist" | "fashion-mnist";
  data: string | undefined;
  /** --labels: the IDX labels file of --data. */
  labels: string | undefined;
  header: "auto" | "yes" | "no";
  label: string | undefined;
  missing: "error" | "drop";
  testData: string | undefined;
  normalize: NormalizeKind | undefined;
  testSplit: number | undefined;
  patience: number | undefined;
  every: number;
  json: boolean;
  save: string | undefined;
  plot: string | undefined;
  checkpoint: string | undefined;
  checkpointEvery: number;
  resume: string | undefined;
}

const positive = (x: number) => (x > 0 ? undefined : "must be greater than 0");
const unit = (x: number) => (x > 0 && x < 1 ? undefined : "must be between 0 and 1 (exclusive)");

export function parseTrainFlags(argv: string[]): TrainCliConfig | "help" {
  const v = parseFlags(argv, FLAGS);
  if (v.help) return "help";
  const task = choiceFlag(v, "task", ["classify", "regress"] as const);
  // what a regression's first try needs (see the README): Adam, a decaying rate, mini-batches, 100 epochs
  const defaults = task === "regress" ? { optimizer: "adam", "lr-schedule": "cosine", epochs: "100", every: "10" } : { optimizer: "sgd", "lr-schedule": "constant", epochs: "1000", every: "100" };
  for (const [k, d] of Object.entries(defaults)) v[k] ??= d;
  if (task === "regress" && v.data === undefined) throw new UsageError("--task regress needs --data (a CSV table with numeric target columns)");
  if (task === "classify" && typeof v.label === "string" && v.label.includes(",")) throw new UsageError("--label names one column for classification; several (comma-separated) are for --task regress");
  const model = choiceFlag(v, "model", ["mlp", "slp"] as const);
  if (model === "slp" && v.hidden !== undefined) throw new UsageError("--hidden does not apply to --model slp (it has no hidden layer)");
  const hidden = model === "slp" ? [] : parseHidden(String(v.hidden ?? "32"));
  const optimizer = choiceFlag(v, "optimizer", OPTIMIZERS);
  for (const f of HYPER_PARAMS) {
    if (v[f] !== undefined && !OPTIMIZER_TABLE[optimizer].params.includes(f)) throw new UsageError(`--${f} applies to --optimizer ${optimizerOf(f)} only`);
  }
  if (task === "regress" && v.plot !== undefined) throw new UsageError("--plot draws loss and accuracy: not yet for --task regress (the JSON summary's history has every report)");
  const cv = v.cv === undefined ? undefined : intFlag(v, "cv", 2, 1000);
  if (cv !== undefined && (v.save !== undefined || v.plot !== undefined)) throw new UsageError("--cv trains one model per fold and keeps none: drop --save and --plot");
  if (cv !== undefined && (v.checkpoint !== undefined || v.resume !== undefined)) throw new UsageError("--cv trains one model per fold and keeps none: drop --checkpoint and --resume");
  if (v["checkpoint-every"] !== undefined && v.checkpoint === undefined) throw new UsageError("--checkpoint-every goes with --checkpoint FILE");
  for (const other of ["save", "plot"] as const) {
    if (v.checkpoint !== undefined && v.checkpoint === v[other]) throw new UsageError(`--checkpoint and --${other} name the same file (${v[other]}): one would overwrite the other`);
  }
  if (cv !== undefined && (v["test-split"] !== undefined || v["test-data"] !== undefined || v.patience !== undefined)) throw new UsageError("--cv holds out its own folds: drop --test-split, --test-data and --patience");
  return {
    model,
    task,
    cv,
    hidden,
    init: choiceFlag(v, "init", INITS),
    activation: choiceFlag(v, "activation", ACTIVATIONS),
    weightDecay: v["weight-decay"] === undefined ? undefined : numberFlag(v, "weight-decay", (x) => (x >= 0 && x < 1e6 ? undefined : "must be 0 or more")),
    dropout: v.dropout === undefined ? undefined : numberFlag(v, "dropout", (x) => (x >= 0 && x < 1 ? undefined : "must be in [0, 1)")),
    seed: intFlag(v, "seed", 0, 0xffffffff),
    epochs: intFlag(v, "epochs", 1, 1e9),
    lr: v.lr === undefined ? undefined : numberFlag(v, "lr", (x) => (x > 0 && x <= 1e6 ? undefined : "must be greater than 0 and at most 1e6")),
    lrSchedule: choiceFlag(v, "lr-schedule", LR_SCHEDULES),
    batch: v.batch === undefined ? undefined : intFlag(v, "batch", 1, 1e9),
    optimizer,
    momentum: v.momentum === undefined ? undefined : numberFlag(v, "momentum", (x) => (x >= 0 && x < 1 ? undefined : "must be in [0, 1)")),
    beta1: v.beta1 === undefined ? undefined : numberFlag(v, "beta1", (x) => (x >= 0 && x < 1 ? undefined : "must be in [0, 1)")),
    beta2: v.beta2 === undefined ? undefined : numberFlag(v, "beta2", (x) => (x >= 0 && x < 1 ? undefined : "must be in [0, 1)")),
    eps: v.eps === undefined ? undefined : numberFlag(v, "eps", positive),
    kernels: choiceFlag(v, "kernels", ["auto", ...KERNEL_BUILDS] as const),
    threads: v.threads === "auto" ? "auto" : intFlag(v, "threads", 1, 256),
    ...dataFlags(v),
    every: intFlag(v, "every", 1, 1e9),
    json: v.json === true,
    save: v.save === undefined ? undefined : nonEmpty(v, "save"),
    plot: v.plot === undefined ? undefined : nonEmpty(v, "plot"),
    checkpoint: v.checkpoint === undefined ? undefined : nonEmpty(v, "checkpoint"),
    checkpointEvery: v["checkpoint-every"] === undefined ? 1 : intFlag(v, "checkpoint-every", 1, 1e9),
    resume: v.resume === undefined ? undefined : nonEmpty(v, "resume"),
  };
}

/** The flags that say what to train and test on. */
function dataFlags(v: Record<string, string | boolean | undefined>) {
  if (v.data !== undefined && v.dataset !== undefined) throw new UsageError("give --data or --dataset, not both");
  const file = (name: string) => (v[name] === undefined ? undefined : nonEmpty(v, name));
  const data = file("data"), testData = file("test-data"), labels = file("labels");
  const dataset = v.dataset === undefined ? "digits" : choiceFlag(v, "dataset", ["digits", "mnist", "fashion-mnist"] as const);
  if (labels !== undefined && data === undefined) throw new UsageError("--labels goes with --data (an IDX images file)");
  for (const f of ["header", "label", "missing"] as const) {
    if (v[f] !== undefined && data === undefined) throw new UsageError(`--${f} applies to --data (a CSV file)`);
  }
  const testSplit = v["test-split"] === undefined ? undefined : numberFlag(v, "test-split", unit);
  if (testData !== undefined && testSplit !== undefined) throw new UsageError("give --test-data or --test-split, not both");
  if (testData !== undefined && dataset === "fashion-mnist") throw new UsageError("--dataset fashion-mnist tests on its own 10,000 images: --test-data does not apply");
  const patience = v.patience === undefined ? undefined : intFlag(v, "patience", 1, 1e9);
  const heldOut = testSplit !== undefined || testData !== undefined || dataset === "fashion-mnist";
  if (patience !== undefined && !heldOut) throw new UsageError("--patience needs held-out data: add --test-split or --test-data");
  return {
    dataset,
    data,
    labels,
    header: v.header === undefined ? "auto" : choiceFlag(v, "header", ["auto", "yes", "no"] as const),
    label: v.label === undefined ? undefined : String(v.label),
    missing: v.missing === undefined ? "error" : choiceFlag(v, "missing", ["error", "drop"] as const),
    testData,
    normalize: v.normalize === undefined ? undefined : choiceFlag(v, "normalize", ["feature", "global"] as const),
    testSplit,
    patience,
  };
}

function parseHidden(raw: string): number[] {
  const parts = raw.split(",");
  return parts.map((p) => {
    const s = p.trim();
    if (!/^\d+$/.test(s)) throw new UsageError(`--hidden must be positive integers separated by commas, got ${JSON.stringify(raw)}`);
    const n = Number(s);
    if (n < 1 || n > MAX_HIDDEN) throw new UsageError(`--hidden sizes must be between 1 and ${MAX_HIDDEN}, got ${n}`);
    return n;
  });
}

function nonEmpty(v: Record<string, unknown>, name: string): string {
  const s = String(v[name]);
  if (s.trim() === "") throw new UsageError(`--${name} needs a file name`);
  return s;
}

/** Flags that make the model: a checkpoint's model is made, so a resumed run takes them from it. */
export const MODEL_FLAGS = ["model", "task", "hidden", "init", "activation", "seed", "normalize"] as const;

/** Each flag of argv with the arguments that spell it (`--name value`, `--name=value` or `--switch`). */
export function flagTokens(argv: string[]): { name: string; args: string[] }[] {
  const { tokens } = parseArgs({ args: argv, options: FLAGS, strict: false, allowPositionals: true, tokens: true });
  return tokens.flatMap((t) => (t.kind !== "option" ? [] : [{ name: t.name, args: argv.slice(t.index, t.index + (t.value !== undefined && t.inlineValue === false ? 2 : 1)) }]));
}
