#!/usr/bin/env node
// npm run train -- [flags]: trains a classifier and prints its progress (see --help).

import { loadDigits, loadFashionMnist, loadFile } from "../data/datasets.js";
import type { Schema } from "../data/schema.js";
import type { Dataset, InputArray } from "../data/csv.js";
import { MLP, type FitSummary, type RegressionReport, type RegressionSummary, type Report, type Task } from "../model/mlp.js";
import { shuffleSplit, stratifiedSplit } from "../data/split.js";
import { loadRegressionTable, regressionRows } from "../data/regression.js";
import { crossValidate, type FoldResult } from "../model/cv.js";
import { round } from "./format.js";
import { checkWritable, writeFileAtomic } from "./files.js";
import { headerLine, reportLine, summaryLines } from "./format.js";
import { Interrupt, INTERRUPT_EXIT } from "./interrupt.js";
import { parseTrainFlags, TRAIN_HELP, type TrainCliConfig } from "./train-flags.js";
import { isMain, runCli } from "./main.js";
import { CheckpointWriter, checkSameModel, readCheckpointFile, resumedFlags } from "./resume.js";
import type { CheckpointOptions } from "../model/types.js";
import { DataError, UsageError } from "../errors.js";
import { Network } from "../engine/network.js";
import { compileKernels } from "../engine/kernels.js";
import { startWorkersEarly } from "../model/workers.js";
import type { NormalizeKind } from "../model/normalize.js";

/** Rows to train or test on: inputs, and labels (classification) or targets (regression, n × outputs). */
export interface Rows {
  /** Floats, or an IDX file's pixels as bytes (MLP.fit takes either; the bytes save an f32 copy of the images). */
  X: Float32Array | Uint8Array;
  y: Uint8Array | Float32Array;
  n: number;
}

interface Prepared {
  name: string;
  layers: number[];
  normalize: NormalizeKind;
  train: Rows;
  test: Rows | undefined;
  /** All the rows before any split (cross-validation folds them). */
  all: Rows & { classes?: number };
  /** A CSV table's schema (the model keeps it) and the classes' names, when the data has them. */
  schema: Schema | undefined;
  classNames: readonly string[] | undefined;
  /** Reading and parsing the data files, in milliseconds. */
  loadMs: number;
}

interface Loaded {
  data: Dataset<InputArray>;
  name: string;
  /** Held-out data that comes as its own file (--test-data, Fashion-MNIST's test set). */
  test?: Dataset<InputArray>;
  schema?: Schema;
}

async function loadData(cfg: TrainCliConfig): Promise<Loaded> {
  if (cfg.data !== undefined) {
    const rules = { header: cfg.header, label: cfg.label, missing: cfg.missing };
    const data = await loadFile(cfg.data, { ...rules, labelsFile: cfg.labels, pixels: "bytes" });
    const schema = data.schema;
    const test = cfg.testData === undefined ? undefined : await loadFile(cfg.testData, { ...rules, schema, classes: data.classes, classNames: data.classNames, pixels: "bytes" });
    if (test && test.features !== data.features) throw new DataError(`${cfg.testData}: ${test.features} inputs a row, where ${cfg.data} has ${data.features}`);
    return { data, name: cfg.data, test, schema };
  }
  if (cfg.dataset === "fashion-mnist") {
    const { train, test } = await loadFashionMnist(undefined, { pixels: "bytes" });
    return { data: train, name: "Fashion-MNIST", test, schema: train.schema };
  }
  if (cfg.dataset === "mnist") {
    const { loadMnist } = await import("../data/mnist.js");
    return { data: await loadMnist(), name: "MNIST (10,000)" };
  }
  return { data: await loadDigits(), name: "digits" };
}

/** Regression's data: the table's targets, a shuffle split or --test-data, feature standardisation. */
async function prepareRegression(cfg: TrainCliConfig): Promise<Prepared> {
  const t0 = performance.now();
  const rules = { header: cfg.header, label: cfg.label, missing: cfg.missing };
  const data = await loadRegressionTable(cfg.data!, rules);
  const test = cfg.testData === undefined ? undefined : await loadRegressionTable(cfg.testData, { ...rules, schema: data.schema });
  const loadMs = performance.now() - t0;
  const split = cfg.testSplit !== undefined ? shuffleSplit(data.n, cfg.testSplit, cfg.seed) : undefined;
  const train = split ? regressionRows(data, split.train) : data;
  cfg.batch ??= Math.min(32, train.n);
  const layers = [data.features, ...cfg.hidden, data.outputs];
  if (cfg.batch > train.n) throw new UsageError(`--batch ${cfg.batch} is larger than the ${train.n} training rows`);
  const held = split ? regressionRows(data, split.test) : test;
  Network.assertFits({ layers, train: train.n, batch: cfg.batch, eval: held?.n ?? 0, optimizer: cfg.optimizer });
  return { name: cfg.data!, layers, normalize: cfg.normalize ?? "feature", train, test: held, all: data, schema: data.schema, classNames: undefined, loadMs };
}

/** Loads and splits the data and checks that the network fits, before any weight is made. */
async function prepare(cfg: TrainCliConfig): Promise<Prepared> {
  if (cfg.task === "regress") return prepareRegression(cfg);
  const t0 = performance.now();
  const loaded = await loadData(cfg), { data, name } = loaded;
  const loadMs = performance.now() - t0;
  const present = new Set(data.y).size;
  if (present < 2) throw new DataError(`${name}: every row has label ${data.y[0]}; a classifier needs rows of at least two classes`);
  const digitsAsOriginal = cfg.data === undefined && cfg.dataset === "digits";
  // the original standardises the SLP globally and the MLP per feature; images (MNIST, Fashion-MNIST, IDX
  // files) share one scale and many pixels are nearly always 0: one global mean and std suits them
  const images = cfg.dataset !== "digits" || "rows" in data;
  const normalize = cfg.normalize ?? ((cfg.model === "slp" && digitsAsOriginal) || images ? "global" : "feature");
  const layers = [data.features, ...cfg.hidden, data.classes];
  const { train, test } = cfg.testSplit !== undefined ? stratifiedSplit(data, cfg.testSplit, cfg.seed) : { train: data, test: loaded.test };
  if (cfg.batch !== undefined && cfg.batch > train.n) {
    throw new UsageError(`--batch ${cfg.batch} is larger than the ${train.n} training rows`);
  }
  // refuse a network whose training memory cannot fit before initialising its weights (which can take long)
  Network.assertFits({ layers, train: train.n, batch: cfg.batch ?? train.n, eval: test?.n ?? 0, optimizer: cfg.optimizer });
  return { name, layers, normalize, train, test, all: data, schema: loaded.schema, classNames: data.classNames, loadMs };
}

/**
 * Trains, printing each report (above a progress bar on a terminal), until the last epoch or an interrupt;
 * returns the summary and the reports.
 */
async function train(
  cfg: TrainCliConfig, model: MLP<Task>, p: Prepared, threads: number, out: (line: string) => void, interrupt: Interrupt, checkpoint: CheckpointOptions | undefined,
): Promise<{ summary: FitSummary | RegressionSummary; reports: Report[] }> {
  const reports: Report[] = [];
  const tty = !cfg.json && process.stdout.isTTY === true;
  const progress = tty && cfg.epochs >= 200 ? new (await import("./progress.js")).Progress(cfg.epochs, process.stdout) : undefined;
  if (progress) interrupt.say = (line) => progress.log(line);
  let latest: Report | undefined;
  const onReport = (r: Report | RegressionReport) => {
    if ("accuracy" in r) reports.push(r);
    latest = "accuracy" in r ? r : undefined;
    if (progress) progress.log(reportLine(cfg, r));
    else out(reportLine(cfg, r));
  };
  const onEpoch = progress ? (epoch: number) => progress.update(epoch + 1, { accuracy: latest?.accuracy, test_accuracy: latest?.test_accuracy }) : undefined;
  try {
    const summary = await model.fitAsync(p.train.X, p.train.y as Uint8Array & Float32Array, {
      epochs: cfg.epochs,
      lr: cfg.lr,
      lrSchedule: cfg.lrSchedule,
      every: cfg.every,
      batch: cfg.batch,
      optimizer: cfg.optimizer,
      momentum: cfg.momentum,
      beta1: cfg.beta1,
      beta2: cfg.beta2,
      eps: cfg.eps,
      weightDecay: cfg.weightDecay,
      dropout: cfg.dropout,
      validation: p.test && { X: p.test.X, y: p.test.y as Uint8Array & Float32Array },
      patience: cfg.patience,
      // --threads auto: the fit chooses, and follows the machine's load (see the README's Threads)
      threads: cfg.threads === "auto" ? undefined : threads,
      onReport,
      onEpoch,
      signal: interrupt.signal,
      checkpoint,
    });
    return { summary, reports };
  } finally {
    progress?.done();
  }
}

/** Writes --save and --plot, each through a temporary file and a rename. */
async function writeOutputs(cfg: TrainCliConfig, model: MLP<Task>, p: Prepared, reports: Report[]): Promise<void> {
  if (cfg.save) await writeFileAtomic(cfg.save, model.toBytes());
  if (cfg.plot) {
    const { renderCurvesSvg } = await import("./plot.js");
    await writeFileAtomic(cfg.plot, renderCurvesSvg(reports, { title: `${cfg.model.toUpperCase()} ${p.layers.join("-")} on ${p.name}` }));
  }
}

/** --cv K: K models, each fold's held-out figures as it ends, then their mean and standard deviation. */
async function crossValidation(cfg: TrainCliConfig, p: Prepared, out: (line: string) => void): Promise<void> {
  const K = cfg.cv!, create = () => MLP.create<Task>({ task: cfg.task, layers: p.layers, seed: cfg.seed, init: cfg.init, normalize: p.normalize, kernels: cfg.kernels, threads: cfg.threads, schema: p.schema, activation: cfg.activation });
  const text = (f: Record<string, number>, g = (k: string) => f[k].toFixed(4)) => Object.keys(f).map((k) => `${k}: ${g(k)}`).join(" | ");
  const onFold = (r: FoldResult) => {
    if (cfg.json) out(JSON.stringify({ fold: r.fold + 1, train: r.train, test: r.test, ...Object.fromEntries(Object.entries(r.figures).map(([k, v]) => [`test_${k}`, round(v)])) }));
    else out(`Fold ${r.fold + 1}/${K} | ${r.train} training rows, ${r.test} held out | ${text(r.figures)}`);
  };
  const fit = { epochs: cfg.epochs, lr: cfg.lr, lrSchedule: cfg.lrSchedule, every: cfg.every, batch: cfg.batch, optimizer: cfg.optimizer, momentum: cfg.momentum, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay, dropout: cfg.dropout };
  const X = p.all.X instanceof Uint8Array ? Float32Array.from(p.all.X) : p.all.X;
  const cv = await crossValidate<Task>(X, p.all.y as Uint8Array & Float32Array, { folds: K, seed: cfg.seed, create, fit, onFold });
  const mean = Object.fromEntries(Object.entries(cv.mean).map(([k, v]) => [k, round(v)])), std = Object.fromEntries(Object.entries(cv.std).map(([k, v]) => [k, round(v)]));
  if (cfg.json) out(JSON.stringify({ folds: K, rows: p.all.n, stratified: cfg.task === "classify", mean, std }));
  else out(`Mean of ${K} folds (± population std) | ${text(cv.mean, (k) => `${cv.mean[k].toFixed(4)} ± ${cv.std[k].toFixed(4)}`)}`);
}

/** The flags, with a checkpoint's repeated under those given now when they say --resume, and that checkpoint. */
async function runFlags(argv: string[]): Promise<{ cfg: TrainCliConfig | "help"; argv: string[]; resumed?: { path: string; bytes: Uint8Array; epoch: number } }> {
  const cfg = parseTrainFlags(argv);
  if (cfg === "help" || cfg.resume === undefined) return { cfg, argv };
  const { bytes, checkpoint } = await readCheckpointFile(cfg.resume);
  const flags = resumedFlags(checkpoint.cli ?? [], argv);
  return { cfg: parseTrainFlags(flags), argv: flags, resumed: { path: cfg.resume, bytes, epoch: checkpoint.loop.epoch } };
}

/** The train command. */
export async function trainCommand(given: string[]): Promise<void> {
  const { cfg, argv, resumed } = await runFlags(given);
  if (cfg === "help") {
    process.stdout.write(TRAIN_HELP);
    return;
  }
  for (const [path, flag] of [[cfg.save, "--save"], [cfg.plot, "--plot"], [cfg.checkpoint, "--checkpoint"]] as const) if (path) await checkWritable(path, flag);

  // the workers boot on the other core while the data loads (errors here are the model's to report later);
  // awaited before the model exists, which would otherwise spawn its own
  const early = compileKernels(cfg.kernels).then((k) => startWorkersEarly(k, cfg.threads)).catch(() => undefined);
  const p = await prepare(cfg);
  await early;
  if (cfg.cv !== undefined) return crossValidation(cfg, p, (line) => process.stdout.write(line + "\n"));
  const kernels = cfg.kernels === "auto" && resumed ? {} : { kernels: cfg.kernels };
  const model = resumed
    ? await MLP.fromCheckpoint<Task>(resumed.bytes, { name: resumed.path, threads: cfg.threads, ...kernels })
    : await MLP.create<Task>({ task: cfg.task, layers: p.layers, seed: cfg.seed, init: cfg.init, normalize: p.normalize, kernels: cfg.kernels, threads: cfg.threads, schema: p.schema, activation: cfg.activation });
  if (resumed) checkSameModel(resumed.path, model, { layers: p.layers, seed: cfg.seed, activation: cfg.activation, normalize: p.normalize, task: cfg.task });
  const threads = model.threadsFor(cfg.batch ?? p.train.n, cfg.threads === "auto" ? undefined : cfg.threads);
  const out = (line: string) => process.stdout.write(line + "\n");
  if (!cfg.json) {
    if (resumed) out(`Resuming ${resumed.path}: ${resumed.epoch} of ${cfg.epochs} epochs done`);
    out(headerLine(cfg, { layers: p.layers, name: p.name, trainRows: p.train.n, testRows: p.test?.n, normalize: p.normalize, kernels: model.kernels.build, threads, threadsJoinLate: cfg.threads === "auto" }));
  }
  const writer = cfg.checkpoint ? new CheckpointWriter(cfg.checkpoint) : undefined;
  // from here on, Ctrl+C stops training after the current epoch and keeps what it reached
  const interrupt = new Interrupt();
  try {
    const { summary, reports } = await train(cfg, model, p, threads, out, interrupt, writer && { write: writer.write, every: cfg.checkpointEvery, flags: argv });
    // a checkpoint that could not be written (a full disk) is reported after --save and --plot are written
    const unwritten = await writer?.done().then(() => undefined, (e: unknown) => e);
    await writeOutputs(cfg, model, p, reports);
    for (const line of summaryLines(unwritten ? { ...cfg, checkpoint: undefined } : cfg, summary, { testRows: p.test?.n, classNames: p.classNames, loadMs: p.loadMs, targets: p.schema?.targets })) out(line);
    if (unwritten) throw unwritten;
    if (interrupt.interrupted) process.exitCode = INTERRUPT_EXIT;
  } finally {
    interrupt.dispose();
  }
}

if (isMain(import.meta.url)) await runCli("train", trainCommand);
