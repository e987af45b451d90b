// The model a user holds: layer sizes, parameters and the standardisation fitted on its training data.
// Each fit or predict builds a Network (one wasm instance on a memory sized for that job), runs it, and
// copies the parameters back out; the kernels are compiled once and shared.

import { compileKernels, compileModule, engineSupports, type CompiledKernels, type KernelBuild, type WasmSource } from "./kernels.js";
import { cloneParams, initParams, type InitKind, type Params } from "./init.js";
import { Network, DEFAULT_OPTIMIZER, defaultLr, type NetworkJob, type Optimizer, type OptimizerKind, type Stats } from "./network.js";
import { applyNormalization, fitNormalization, oneHot, type Normalization, type NormalizeKind } from "./normalize.js";
import { decodeModel, encodeModel } from "./modelfile.js";
import { DataError, DivergenceError, ModelFileError, UsageError } from "./errors.js";
import { MT19937 } from "./mt19937.js";
import { argmax, confusionMatrix } from "./metrics.js";
import { lrAt, LR_SCHEDULES, type LrSchedule } from "./schedule.js";
import { canBlock, canShareMemory, Pool } from "./pool.js";
import { availableThreads, threadsFor } from "./threads.js";

/** A model dropped without dispose() still ends its worker threads once it is collected. */
const pools = new FinalizationRegistry<Pool>((pool) => pool.terminate());

export type KernelChoice = KernelBuild | "auto" | CompiledKernels | { build: KernelBuild; source: WasmSource };

export interface MLPOptions {
  /** Sizes from input to output, e.g. [64, 32, 10]. */
  layers: number[];
  /** NumPy-compatible seed for the initial weights (and the mini-batch shuffle). */
  seed?: number;
  init?: InitKind;
  /** Standardisation fitted on the first fit's data: per feature (default) or one global mean and std. */
  normalize?: NormalizeKind;
  kernels?: KernelChoice;
  /**
   * Threads training may use: a number, or "auto" (default) for the available cores. More than one starts
   * worker threads; with a number, create() waits until they run; with "auto" they join a fit when ready.
   */
  threads?: number | "auto";
}

export interface FitOptions {
  epochs?: number;
  lr?: number;
  /** How the learning rate changes over the epochs (see schedule.ts); constant by default. */
  lrSchedule?: LrSchedule;
  /** Report every this many epochs (epoch 0 included). */
  every?: number;
  /** Rows per step; full batch when absent. */
  batch?: number;
  optimizer?: OptimizerKind;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Held-out data, evaluated at every report (and every epoch when patience is set). */
  validation?: { X: Float32Array; y: Uint8Array };
  /** Stop after this many epochs without a lower held-out loss, keeping the best weights. */
  patience?: number;
  onReport?: (r: Report) => void;
  /** Called after every epoch with its number (cheap: for progress bars). */
  onEpoch?: (epoch: number) => void;
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
}

export interface Report {
  epoch: number;
  /** Training accuracy and mean cross-entropy of this epoch's forward passes, before its update. */
  accuracy: number;
  loss: number;
  /** Held-out accuracy and loss with the weights at the start of this epoch. */
  test_accuracy?: number;
  test_loss?: number;
}

export interface FitSummary {
  /** Epochs run (fewer than asked when early stopping fired or the signal was aborted). */
  epochs: number;
  /** True when the signal stopped training before the last epoch (absent otherwise). */
  interrupted?: boolean;
  /** Of the trained (or, with patience, the best) weights, on the training data. */
  accuracy: number;
  loss: number;
  test_accuracy?: number;
  test_loss?: number;
  /** With validation data: confusion[true][predicted] of the held-out rows, with the final weights. */
  confusion?: number[][];
  /** With patience: the epoch whose weights were kept. */
  best_epoch?: number;
  /** The epoch loop alone, in milliseconds. */
  train_ms: number;
  epochs_per_s: number;
  kernels: KernelBuild;
  /** Threads that ran the last epoch (workers that started late join at an epoch boundary). */
  threads: number;
  layers: number[];
  samples: number;
}

export interface Evaluation {
  n: number;
  accuracy: number;
  loss: number;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
}

async function resolveKernels(choice: KernelChoice | undefined): Promise<CompiledKernels> {
  if (choice === undefined || typeof choice === "string") return compileKernels(choice ?? "auto");
  if ("module" in choice) return choice;
  if (!(await engineSupports(choice.build))) throw new UsageError(`this engine cannot run the ${choice.build} kernel build`);
  return { build: choice.build, module: await compileModule(choice.source) };
}

export class MLP {
  readonly layers: readonly number[];
  readonly kernels: CompiledKernels;
  readonly seed: number;
  private params: Params;
  private norm: Normalization | undefined;
  private inputRange: readonly [number, number] | undefined;
  private readonly normalizeKind: NormalizeKind;
  private disposed = false;
  /** Worker threads (threads - 1 of them), when the model may use more than one thread. */
  private pool: Pool | undefined;
  private maxThreads = 1;
  /** A fitAsync is running (between its yields, another fit must not start on the same weights). */
  private busy = false;

  private constructor(kernels: CompiledKernels, params: Params, norm: Normalization | undefined, normalizeKind: NormalizeKind, seed: number) {
    this.kernels = kernels;
    this.layers = [...params.layers];
    this.params = params;
    this.norm = norm;
    this.normalizeKind = normalizeKind;
    this.seed = seed;
  }

  static async create(opts: MLPOptions): Promise<MLP> {
    const layers = checkLayers(opts.layers);
    // refuse a network whose parameters alone could not fit, before allocating them
    Network.assertFits({ layers, train: 0, batch: 0, eval: 1, optimizer: "sgd" });
    const seed = opts.seed ?? 42;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UsageError(`seed must be an integer in 0..4294967295, got ${seed}`);
    const kernels = await resolveKernels(opts.kernels);
    const model = new MLP(kernels, initParams(layers, seed, opts.init ?? "numpy"), undefined, opts.normalize ?? "feature", seed);
    await model.startThreads(opts.threads ?? "auto");
    return model;
  }

  /** Starts the worker threads asked for (see MLPOptions.threads); waits for them when asked for a number. */
  private async startThreads(threads: number | "auto"): Promise<void> {
    if (threads !== "auto" && !(Number.isInteger(threads) && threads >= 1)) {
      throw new UsageError(`threads must be a positive integer or "auto", got ${threads}`);
    }
    const want = threads === "auto" ? await availableThreads() : threads;
    // threads need shared memory with workers and a thread that may block on it
    if (want <= 1 || !canShareMemory() || !canBlock()) return;
    this.maxThreads = want;
    this.pool = await Pool.start(this.kernels, want - 1);
    pools.register(this, this.pool, this);
    if (threads !== "auto") await this.pool.waitReady();
  }

  /** Threads a fit with mini-batches of `batch` rows uses: what was asked (up to the model's), else what pays. */
  threadsFor(batch: number, asked?: number): number {
    if (asked !== undefined) {
      if (!(Number.isInteger(asked) && asked >= 1)) throw new UsageError(`threads must be a positive integer, got ${asked}`);
      if (asked > this.maxThreads) {
        throw new UsageError(`threads ${asked} is more than this model was created with (${this.maxThreads}): pass threads to MLP.create`);
      }
      return asked;
    }
    return threadsFor(this.layers, batch, this.maxThreads);
  }

  /** Attaches as many started workers as `net` may use, up to `max` threads. */
  private joinThreads(net: Network, max: number): void {
    const can = Math.min(max, 1 + (this.pool?.started ?? 0));
    if (can <= net.threads || !this.pool) return;
    net.close();
    this.pool.attach(net.arena.memory, { shape: net.shape, threads: can } satisfies NetworkJob, can);
    net.useThreads(can);
  }

  /** Reads a model saved with toBytes(); throws ModelFileError when the bytes are not a valid model. */
  static async fromBytes(bytes: Uint8Array, opts: { kernels?: KernelChoice; name?: string } = {}): Promise<MLP> {
    const { params, normalization, range } = decodeModel(bytes, opts.name);
    try {
      checkLayers([...params.layers]);
    } catch (e) {
      throw new ModelFileError(`${opts.name ?? "model"}: ${(e as Error).message}`);
    }
    const kernels = await resolveKernels(opts.kernels);
    const model = new MLP(kernels, params, normalization, normalization?.kind ?? "feature", 42);
    model.inputRange = range;
    return model;
  }

  /** Lowest and highest input value of the data the model was first fitted on. */
  get range(): readonly [number, number] | undefined {
    return this.inputRange;
  }

  /** The standardisation travelling with the model (after the first fit or when loaded). */
  get normalization(): Normalization | undefined {
    return this.norm;
  }

  /** A copy of the current parameters. */
  getParams(): Params {
    return cloneParams(this.params);
  }

  get inputs(): number {
    return this.layers[0];
  }

  get classes(): number {
    return this.layers[this.layers.length - 1];
  }

  /**
   * Trains on raw inputs X (n × inputs, row-major) and labels y. Synchronous: in a browser, run it in a
   * Worker. Throws DivergenceError, leaving the model's weights as they were, when the loss stops being finite.
   */
  fit(X: Float32Array, y: Uint8Array, opts: FitOptions = {}): FitSummary {
    this.notBusy();
    const run = this.training(X, y, opts);
    for (;;) {
      const r = run.next();
      if (r.done) return r.value;
    }
  }

  /**
   * fit, yielding to the event loop between two epochs every YIELD_MS milliseconds (a yield costs
   * microseconds), so that events are handled while it trains: an AbortSignal aborted by one (a message to
   * a Worker, a button, SIGINT) stops it after the current epoch. The same epochs and weights as fit; the
   * model keeps its previous weights until the promise resolves, and cannot start another fit meanwhile.
   */
  async fitAsync(X: Float32Array, y: Uint8Array, opts: FitOptions = {}): Promise<FitSummary> {
    this.notBusy();
    const run = this.training(X, y, opts);
    this.busy = true;
    try {
      let paused = 0, since = performance.now();
      for (;;) {
        const r = run.next(paused);
        if (r.done) return r.value;
        paused = 0;
        const now = performance.now();
        if (now - since >= YIELD_MS) {
          await nextTask();
          since = performance.now();
          paused = since - now;
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** fit's work, suspended after each epoch; resumed with the milliseconds spent away (not training time). */
  private *training(X: Float32Array, y: Uint8Array, opts: FitOptions): Generator<void, FitSummary, number | undefined> {
    this.alive();
    const n = this.checkData(X, y, "training data");
    const epochs = opts.epochs ?? 1000, every = opts.every ?? 100;
    const opt: Optimizer = {
      ...DEFAULT_OPTIMIZER,
      kind: opts.optimizer ?? "sgd",
      lr: opts.lr ?? defaultLr(opts.optimizer ?? "sgd"),
      ...(opts.momentum !== undefined && { momentum: opts.momentum }),
      ...(opts.beta1 !== undefined && { beta1: opts.beta1 }),
      ...(opts.beta2 !== undefined && { beta2: opts.beta2 }),
      ...(opts.eps !== undefined && { eps: opts.eps }),
    };
    if (!(Number.isInteger(epochs) && epochs >= 1)) throw new UsageError(`epochs must be a positive integer, got ${epochs}`);
    if (!(Number.isInteger(every) && every >= 1)) throw new UsageError(`every must be a positive integer, got ${every}`);
    if (!(opt.lr > 0 && Number.isFinite(opt.lr))) throw new UsageError(`learning rate must be a finite number above 0, got ${opt.lr}`);
    const schedule = opts.lrSchedule ?? "constant", baseLr = opt.lr;
    if (!LR_SCHEDULES.includes(schedule)) throw new UsageError(`lrSchedule must be one of ${LR_SCHEDULES.join(", ")}, got ${JSON.stringify(schedule)}`);
    const batch = opts.batch ?? n;
    if (!(Number.isInteger(batch) && batch >= 1)) throw new UsageError(`batch must be a positive integer, got ${batch}`);
    if (batch > n) throw new UsageError(`batch ${batch} is larger than the ${n} training rows`);
    const val = opts.validation;
    const nv = val ? this.checkData(val.X, val.y, "validation data") : 0;
    const patience = opts.patience;
    if (patience !== undefined && !(Number.isInteger(patience) && patience >= 1)) throw new UsageError(`patience must be a positive integer, got ${patience}`);
    if (patience !== undefined && !val) throw new UsageError("early stopping (patience) needs held-out data");

    const threads = this.threadsFor(batch, opts.threads);
    const shape = { layers: this.layers, train: n, batch, eval: nv, optimizer: opt.kind, threads };
    Network.assertFits(shape);
    const norm = this.norm ?? fitNormalization(X, n, this.inputs, this.normalizeKind);
    const net = new Network(this.kernels, shape);
    try {
      return yield* this.train(net, X, y, n, nv, norm, opt, schedule, opts);
    } finally {
      net.close();
    }
  }

  private *train(net: Network, X: Float32Array, y: Uint8Array, n: number, nv: number, norm: Normalization, opt: Optimizer,
                 schedule: LrSchedule, opts: FitOptions): Generator<void, FitSummary, number | undefined> {
    const val = opts.validation, batch = net.shape.batch, patience = opts.patience, threads = net.shape.threads;
    const epochs = opts.epochs ?? 1000, every = opts.every ?? 100, baseLr = opt.lr;
    net.setTrain(applyNormalization(norm, X, n, this.inputs), oneHot(y, this.classes));
    if (val) net.setEval(applyNormalization(norm, val.X, nv, this.inputs), oneHot(val.y, this.classes));
    net.setParams(this.params);
    const rng = batch < n ? new MT19937((this.seed + 1) >>> 0) : undefined;

    const train: Stats = { correct: 0, loss: 0 }, test: Stats = { correct: 0, loss: 0 };
    const best = patience !== undefined ? cloneParams(this.params) : undefined;
    let bestLoss = Infinity, bestEpoch = 0, sinceBest = 0, ran = 0;
    const last = this.layers.length - 1;
    const watch = [net.view(`b${last}`), net.view(`W${last}`)];
    const onReport = opts.onReport, onEpoch = opts.onEpoch, signal = opts.signal;
    let interrupted = false, pausedMs = 0;

    const t0 = performance.now();
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (signal?.aborted) {
        interrupted = true;
        break;
      }
      if (net.threads < threads) this.joinThreads(net, threads);
      const report = epoch % every === 0 && onReport !== undefined;
      if (val && (report || best)) {
        net.evaluate(test);
        if (best) {
          if (test.loss < bestLoss) {
            bestLoss = test.loss; bestEpoch = epoch; sinceBest = 0;
            net.copyParams(best);
          } else if (++sinceBest >= patience!) break;
        }
      }
      if (schedule !== "constant") opt.lr = lrAt(schedule, baseLr, epoch, epochs);
      net.epoch(opt, rng, report ? train : undefined);
      ran = epoch + 1;
      if (report) {
        onReport({
          epoch,
          accuracy: train.correct / n,
          loss: train.loss,
          ...(val && { test_accuracy: test.correct / nv, test_loss: test.loss }),
        });
      }
      // a NaN or infinity anywhere reaches the output layer's weights within one step
      if (!Number.isFinite(watch[0][0] + watch[1][0])) {
        throw new DivergenceError(
          `training diverged at epoch ${epoch} (the loss became NaN or infinite); try a smaller learning rate than ${baseLr}`,
        );
      }
      if (onEpoch) onEpoch(epoch);
      pausedMs += (yield) ?? 0;
    }
    const trainMs = performance.now() - t0 - pausedMs;

    if (best && bestLoss < Infinity) {
      // did the weights after the last epoch beat the best seen? (evaluate them before deciding)
      net.evaluate(test);
      if (test.loss < bestLoss) { bestLoss = test.loss; bestEpoch = ran; } else net.setParams(best);
    }
    this.params = net.getParams();
    this.norm = norm;
    this.inputRange ??= valueRange(X);
    net.trainStats(train);
    const summary: FitSummary = {
      epochs: ran,
      accuracy: train.correct / n,
      loss: train.loss,
      train_ms: trainMs,
      epochs_per_s: ran > 0 ? ran / (trainMs / 1000) : 0,
      kernels: this.kernels.build,
      threads: net.threads,
      layers: [...this.layers],
      samples: n,
    };
    if (val) {
      net.evaluate(test);
      summary.test_accuracy = test.correct / nv;
      summary.test_loss = test.loss;
      summary.confusion = confusionMatrix(net.evalProbabilities(), val.y, this.classes);
    }
    if (best) summary.best_epoch = bestEpoch;
    if (interrupted) summary.interrupted = true;
    return summary;
  }

  /** Class probabilities for raw inputs X (n × inputs): n × classes, row-major. */
  predictProba(X: Float32Array): Float32Array {
    this.alive();
    const n = this.rows(X, "input");
    if (n === 0) return new Float32Array(0);
    const net = this.inference(X, n);
    return net.predictEval().slice();
  }

  /** The most probable class of each row of raw inputs X. */
  predict(X: Float32Array): Uint8Array {
    const P = this.predictProba(X), C = this.classes, n = P.length / C;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = argmax(P, i, C);
    return out;
  }

  /** Accuracy, mean cross-entropy and confusion matrix on labelled raw data. */
  evaluate(X: Float32Array, y: Uint8Array): Evaluation {
    this.alive();
    const n = this.checkData(X, y, "evaluation data");
    const net = this.inference(X, n, y);
    const s = net.evaluate();
    return { n, accuracy: s.correct / n, loss: s.loss, confusion: confusionMatrix(net.evalProbabilities(), y, this.classes) };
  }

  /** The model as a .wmlp file (see modelfile.ts). */
  toBytes(): Uint8Array {
    this.alive();
    return encodeModel({ params: this.params, normalization: this.norm, range: this.inputRange });
  }

  /** Drops the parameters and ends the worker threads; the model cannot be used afterwards. */
  dispose(): void {
    this.pool?.terminate();
    if (this.pool) pools.unregister(this);
    this.pool = undefined;
    this.disposed = true;
    this.params = { layers: this.params.layers, W: [], b: [] };
  }

  private inference(X: Float32Array, n: number, y?: Uint8Array): Network {
    const net = new Network(this.kernels, { layers: this.layers, train: 0, batch: 0, eval: n, optimizer: "sgd" });
    const Xn = this.norm ? applyNormalization(this.norm, X, n, this.inputs) : X;
    net.setEval(Xn, y ? oneHot(y, this.classes) : undefined);
    net.setParams(this.params);
    return net;
  }

  private rows(X: Float32Array, what: string): number {
    if (!(X instanceof Float32Array)) throw new DataError(`${what}: X must be a Float32Array`);
    if (X.length % this.inputs !== 0) {
      throw new DataError(`${what}: X has ${X.length} values, not a whole number of rows of ${this.inputs} features`);
    }
    for (let i = 0; i < X.length; i++) {
      if (!Number.isFinite(X[i])) throw new DataError(`${what}: X[${Math.floor(i / this.inputs)}][${i % this.inputs}] is ${X[i]}`);
    }
    return X.length / this.inputs;
  }

  private checkData(X: Float32Array, y: Uint8Array, what: string): number {
    const n = this.rows(X, what);
    if (n === 0) throw new DataError(`${what}: no rows`);
    if (y.length !== n) throw new DataError(`${what}: ${n} rows of X but ${y.length} labels`);
    for (let i = 0; i < n; i++) {
      if (y[i] >= this.classes) throw new DataError(`${what}: label ${y[i]} at row ${i} is not below the model's ${this.classes} classes`);
    }
    return n;
  }

  private notBusy(): void {
    if (this.busy) throw new UsageError("this model is already training (fitAsync); wait for it to finish");
  }

  private alive(): void {
    if (this.disposed) throw new UsageError("this model has been disposed");
  }
}

/** How long fitAsync trains between two yields to the event loop. */
const YIELD_MS = 20;

/** Resolves in a later task, after pending events: setImmediate in Node, a MessageChannel message in browsers (no 4 ms timer clamp). */
function nextTask(): Promise<void> {
  if (typeof setImmediate === "function") return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

function checkLayers(layers: number[]): number[] {
  if (!Array.isArray(layers) || layers.length < 2) throw new UsageError("layers must list at least the input and output sizes, e.g. [64, 32, 10]");
  for (const n of layers) {
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`layer sizes must be positive integers, got [${layers.join(", ")}]`);
  }
  if (layers[layers.length - 1] < 2) throw new UsageError("the output layer needs at least 2 classes");
  if (layers[layers.length - 1] > 255) throw new UsageError("at most 255 classes are supported (labels are bytes)");
  return [...layers];
}

function valueRange(X: Float32Array): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < X.length; i++) {
    if (X[i] < lo) lo = X[i];
    if (X[i] > hi) hi = X[i];
  }
  return [lo, hi];
}
