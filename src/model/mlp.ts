// The model a user holds: layer sizes, parameters and the standardisation fitted on its training data.
// Each fit or predict builds a Network (one wasm instance on a memory sized for that job), runs it, and
// copies the parameters back out; the kernels are compiled once and shared.

import { compileKernels, compileModule, engineSupports, type CompiledKernels, type KernelBuild, type WasmSource } from "../engine/kernels.js";
import { cloneParams, initParams, type InitKind, type Params } from "./init.js";
import { Network, type NetworkShape, type OptimizerKind, type Stats } from "../engine/network.js";
import { applyNormalization, fitNormalization, oneHot, type Normalization, type NormalizeKind } from "./normalize.js";
import { decodeModel, encodeModel } from "./modelfile.js";
import { DataError, DivergenceError, ModelFileError, UsageError } from "../errors.js";
import { MT19937 } from "../data/mt19937.js";
import { argmax, confusionMatrix } from "./metrics.js";
import { checkByteSource, isNode, readBytes, sourceName, type ByteSource } from "../bytes.js";
import { layersProblem, createOptions, fitSettings, loadOptions, type FitSettings } from "./options.js";
import { show } from "../checks.js";
import { lrAt, type LrSchedule } from "./schedule.js";
import { canBlock, canShareMemory, Pool } from "../engine/pool.js";
import { availableThreads, threadsFor } from "../engine/threads.js";

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
   * worker threads; with a number, create() waits until they run; with "auto" (in Node) the first fit that
   * can use them spawns them after its first epoch, and they join when ready. In a browser threads need a
   * cross-origin isolated page, and create() always waits.
   */
  threads?: number | "auto";
}

export interface LoadOptions {
  kernels?: KernelChoice;
  /** As MLPOptions.threads, for fitting the loaded model further. */
  threads?: number | "auto";
  /** How messages name the model; by default its path or URL, else "model". */
  name?: string;
}

export interface FitOptions {
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
  validation?: { X: Float32Array; y: Uint8Array };
  /** Stop after this many epochs without a lower held-out loss, keeping the best weights. */
  patience?: number;
  onReport?: (r: Report) => void;
  /** Called after every epoch with its number (cheap: for progress bars). */
  onEpoch?: (epoch: number) => void;
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
  /** Fitted, or read from a model file: predict, evaluate and toBytes refuse an untrained model. */
  private trained: boolean;
  private disposed = false;
  /** A fitAsync is running (between its yields, another fit must not start on the same weights). */
  private busy = false;
  /** Worker threads (maxThreads - 1 of them), once spawned (see startThreads). */
  private pool: Pool | undefined;
  private maxThreads = 1;

  private constructor(kernels: CompiledKernels, params: Params, norm: Normalization | undefined, normalizeKind: NormalizeKind, seed: number, trained: boolean) {
    this.kernels = kernels;
    this.layers = [...params.layers];
    this.params = params;
    this.norm = norm;
    this.normalizeKind = normalizeKind;
    this.seed = seed;
    this.trained = trained;
  }

  static async create(options: MLPOptions): Promise<MLP> {
    const opts = createOptions(options);
    const layers = [...opts.layers];
    // refuse a network whose parameters alone could not fit, before allocating them
    Network.assertFits({ layers, train: 0, batch: 0, eval: 1, optimizer: "sgd" });
    const seed = opts.seed ?? 42;
    const kernels = await resolveKernels(opts.kernels);
    const model = new MLP(kernels, initParams(layers, seed, opts.init ?? "numpy"), undefined, opts.normalize ?? "feature", seed, false);
    await model.startThreads(opts.threads ?? "auto");
    return model;
  }

  /**
   * Reads a model saved with toBytes() from bytes, an ArrayBuffer, a Response, a path (Node) or a URL;
   * throws ModelFileError when it cannot be read or is not a valid model.
   */
  static async fromBytes(source: ByteSource, options?: LoadOptions): Promise<MLP> {
    checkByteSource("MLP.fromBytes", "the source", source);
    const opts = loadOptions(options);
    const name = opts.name ?? (ArrayBuffer.isView(source) || source instanceof ArrayBuffer ? "model" : sourceName(source));
    const bytes = await readBytes(source, (m) => new ModelFileError(m));
    const { params, normalization, range } = decodeModel(bytes, name);
    const problem = layersProblem(params.layers);
    if (problem) throw new ModelFileError(`${name}: ${problem}`);
    const kernels = await resolveKernels(opts.kernels);
    const model = new MLP(kernels, params, normalization, normalization?.kind ?? "feature", 42, true);
    model.inputRange = range;
    await model.startThreads(opts.threads ?? 1);
    return model;
  }

  /**
   * Prepares the worker threads asked for (see MLPOptions.threads). With a number, or in a browser, starts
   * them and waits until they run. With "auto" in Node they start at the first fit that can use them, after
   * its first epoch: a worker takes tens of milliseconds to boot, on the other core, and spawning one costs
   * the calling thread a few, which a model that only predicts, or a first report, need not pay.
   */
  private async startThreads(threads: number | "auto"): Promise<void> {
    const want = threads === "auto" ? await availableThreads() : threads;
    // threads need shared memory with workers and a thread that may block on it
    if (want <= 1 || !canShareMemory() || !canBlock()) return;
    this.maxThreads = want;
    // a browser starts a worker's nested workers on that worker's event loop, which a synchronous fit
    // would hold for its whole length: there, wait for them even with "auto"
    if (threads !== "auto" || !isNode) await this.poolNow().waitReady();
  }

  /** The worker pool, spawned now if it has not been (only ever asked for when maxThreads > 1). */
  private poolNow(): Pool {
    if (!this.pool) {
      this.pool = Pool.start(this.kernels, this.maxThreads - 1);
      pools.register(this, this.pool, this);
    }
    return this.pool;
  }

  /** Threads a fit with mini-batches of `batch` rows uses: what was asked (up to the model's), else what pays. */
  threadsFor(batch: number, asked?: number): number {
    if (asked === undefined) return threadsFor(this.layers, batch, this.maxThreads, this.kernels.build);
    if (asked > this.maxThreads) {
      throw new UsageError(`fit: threads ${asked} is more than this model was created with (${this.maxThreads}): pass threads to MLP.create`);
    }
    return asked;
  }

  /**
   * At an epoch boundary: attaches as many started workers as `net` may use, up to `max` threads; from the
   * second epoch on, spawns the pool first if it has not been.
   */
  private joinThreads(net: Network, max: number, epoch: number): void {
    if (!this.pool && (epoch === 0 || this.disposed)) return;
    const pool = this.poolNow(), can = Math.min(max, 1 + pool.started);
    if (can > net.threads) net.attachThreads(pool, can);
  }

  /** Lowest and highest input value of the data the model was first fitted on. */
  get range(): readonly [number, number] | undefined {
    return this.inputRange;
  }

  /** The standardisation travelling with the model (after the first fit or when loaded). */
  get normalization(): Normalization | undefined {
    return this.norm;
  }

  /** A copy of the current parameters (before any fit: the initial weights). */
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
  fit(X: Float32Array, y: Uint8Array, options?: FitOptions): FitSummary {
    this.notBusy("fit");
    const run = this.training(X, y, options);
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
  async fitAsync(X: Float32Array, y: Uint8Array, options?: FitOptions): Promise<FitSummary> {
    this.notBusy("fitAsync");
    const run = this.training(X, y, options);
    this.busy = true;
    try {
      let paused = 0, since = now();
      for (;;) {
        const r = run.next(paused);
        if (r.done) return r.value;
        paused = 0;
        const t = now();
        if (t - since >= YIELD_MS) {
          await nextTask();
          since = now();
          paused = since - t;
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** fit's work, suspended after each epoch; resumed with the milliseconds spent away (not training time). */
  private *training(X: Float32Array, y: Uint8Array, options: FitOptions | undefined): Generator<void, FitSummary, number | undefined> {
    this.alive("fit");
    const range: [number, number] = [Infinity, -Infinity];
    const n = this.checkData("fit", X, y, "training data", undefined, range);
    const s = fitSettings(options, n);
    const val = s.validation;
    const nv = val ? this.checkData("fit", val.X, val.y, "validation data") : 0;
    const threads = this.threadsFor(s.batch, s.threads);
    const shape: NetworkShape = { layers: this.layers, train: n, batch: s.batch, eval: nv, optimizer: s.opt.kind, threads };
    Network.assertFits(shape);
    const norm = this.norm ?? fitNormalization(X, n, this.inputs, this.normalizeKind);
    const net = new Network(this.kernels, shape);
    try {
      net.setTrain(applyNormalization(norm, X, n, this.inputs), oneHot(y, this.classes));
      if (val) net.setEval(applyNormalization(norm, val.X, nv, this.inputs), oneHot(val.y, this.classes));
      net.setParams(this.params);
      const rng = s.batch < n ? new MT19937((this.seed + 1) >>> 0) : undefined;
      const join = (epoch: number) => this.joinThreads(net, threads, epoch);
      const run = yield* trainEpochs(net, s, rng, s.patience !== undefined ? cloneParams(this.params) : undefined, join);
      const params = net.getParams();
      if (!allFinite(params)) throw diverged(run.ran - 1, s.opt.lr);
      this.params = params;
      this.norm = norm;
      this.inputRange ??= range;
      this.trained = true;
      return this.summary(net, s, run);
    } finally {
      net.close();
    }
  }

  /** The summary of a finished fit, from the network's final (or kept best) weights. */
  private summary(net: Network, s: FitSettings, run: EpochRun): FitSummary {
    const train: Stats = net.trainStats();
    const n = net.shape.train;
    const summary: FitSummary = {
      epochs: run.ran,
      accuracy: train.correct / n,
      loss: train.loss,
      train_ms: run.ms,
      epochs_per_s: run.ran > 0 ? run.ran / (run.ms / 1000) : 0,
      kernels: this.kernels.build,
      threads: net.threads,
      layers: [...this.layers],
      samples: n,
    };
    if (s.validation) {
      const test = net.evaluate();
      summary.test_accuracy = test.correct / net.shape.eval;
      summary.test_loss = test.loss;
      summary.confusion = confusionMatrix(net.evalProbabilities(), s.validation.y, this.classes);
    }
    if (s.patience !== undefined) summary.best_epoch = run.bestEpoch;
    if (run.interrupted) summary.interrupted = true;
    return summary;
  }

  /** Class probabilities for raw inputs X (n × inputs): n × classes, row-major. */
  predictProba(X: Float32Array): Float32Array {
    return this.probabilities("predictProba", X);
  }

  /** The most probable class of each row of raw inputs X. */
  predict(X: Float32Array): Uint8Array {
    const P = this.probabilities("predict", X), C = this.classes, n = P.length / C;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = argmax(P, i, C);
    return out;
  }

  private probabilities(fn: string, X: Float32Array): Float32Array {
    this.usable(fn);
    const n = this.rows(fn, X, "input", this.inputRange);
    if (n === 0) return new Float32Array(0);
    const net = this.inference(X, n);
    return net.predictEval().slice();
  }

  /** Accuracy, mean cross-entropy and confusion matrix on labelled raw data. */
  evaluate(X: Float32Array, y: Uint8Array): Evaluation {
    this.usable("evaluate");
    const n = this.checkData("evaluate", X, y, "evaluation data", this.inputRange);
    const net = this.inference(X, n, y);
    const s = net.evaluate();
    return { n, accuracy: s.correct / n, loss: s.loss, confusion: confusionMatrix(net.evalProbabilities(), y, this.classes) };
  }

  /** The model as a .wmlp file (see modelfile.ts). */
  toBytes(): Uint8Array {
    this.usable("toBytes");
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

  /**
   * Rows of X, refusing values that are not finite and, given the training data's range (predict and
   * evaluate), values outside it: a network says nothing sound about inputs unlike any it was trained on.
   * `seen` receives the lowest and highest value (one pass for both jobs: cold code is slow at start-up).
   */
  private rows(fn: string, X: Float32Array, what: string, range?: readonly [number, number], seen?: [number, number]): number {
    if (!(X instanceof Float32Array)) throw new UsageError(`${fn}: X must be a Float32Array of rows of ${this.inputs} values, got ${show(X)}`);
    const F = this.inputs;
    if (X.length % F !== 0) throw new DataError(`${what}: X has ${X.length} values, not a whole number of rows of ${F} features`);
    const [lo, hi] = range ?? [-Infinity, Infinity];
    let min = Infinity, max = -Infinity;
    for (let i = 0; i < X.length; i++) {
      const v = X[i];
      // v - v is NaN for NaN and ±Infinity alike
      if (v - v !== 0) throw new DataError(`${what}: X[${Math.floor(i / F)}][${i % F}] is ${v}`);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (min < lo || max > hi) {
      const i = X.findIndex((v) => v < lo || v > hi);
      throw new DataError(`${what}: X[${Math.floor(i / F)}][${i % F}] is ${X[i]}, outside ${lo}..${hi}, the range of the data the model was trained on`);
    }
    if (seen) [seen[0], seen[1]] = [min, max];
    return X.length / F;
  }

  private checkData(fn: string, X: Float32Array, y: Uint8Array, what: string, range?: readonly [number, number], seen?: [number, number]): number {
    const n = this.rows(fn, X, what, range, seen);
    if (!(y instanceof Uint8Array)) throw new UsageError(`${fn}: y must be a Uint8Array of ${n} labels, got ${show(y)}`);
    if (n === 0) throw new DataError(`${what}: no rows`);
    if (y.length !== n) throw new DataError(`${what}: ${n} rows of X but ${y.length} labels`);
    for (let i = 0; i < n; i++) {
      if (y[i] >= this.classes) throw new DataError(`${what}: label ${y[i]} at row ${i} is not below the model's ${this.classes} classes`);
    }
    return n;
  }

  private notBusy(fn: string): void {
    if (this.busy) throw new UsageError(`${fn}: this model is already training (fitAsync); wait for it to finish`);
  }

  private alive(fn: string): void {
    if (this.disposed) throw new UsageError(`${fn}: this model has been disposed`);
  }

  private usable(fn: string): void {
    this.alive(fn);
    if (!this.trained) throw new UsageError(`${fn}: this model is untrained; call fit() first, or load a trained one with MLP.fromBytes()`);
  }
}

/** What the epoch loop did. */
interface EpochRun {
  ran: number;
  /** The epoch loop alone (without the time a fitAsync spent away). */
  ms: number;
  /** With patience: the epoch whose weights the network now holds. */
  bestEpoch: number;
  /** The signal stopped it before the last epoch. */
  interrupted: boolean;
}

/**
 * The epoch loop, suspended after every epoch (fitAsync yields there): the learning-rate schedule, reports,
 * early stopping on held-out loss (the network ends holding the best weights), the signal, worker threads
 * joining as they start (`join`), and a DivergenceError at the first epoch whose output weights are not
 * finite. `best` (with patience) starts as the initial weights.
 */
function* trainEpochs(net: Network, s: FitSettings, rng: MT19937 | undefined, best: Params | undefined, join: (epoch: number) => void): Generator<void, EpochRun, number | undefined> {
  const { epochs, every, opt, patience = 0, onReport, onEpoch, signal, lrSchedule } = s;
  const n = net.shape.train, nv = net.shape.eval, val = s.validation !== undefined, baseLr = opt.lr;
  const train: Stats = { correct: 0, loss: 0 }, test: Stats = { correct: 0, loss: 0 };
  let bestLoss = Infinity, bestEpoch = 0, sinceBest = 0, ran = 0, interrupted = false, pausedMs = 0;
  const last = net.layers.length - 1;
  const watch = [net.view(`b${last + 1}`), net.view(`W${last + 1}`)];

  const t0 = now();
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (signal?.aborted) {
      interrupted = true;
      break;
    }
    if (net.threads < net.shape.threads) join(epoch);
    const report = epoch % every === 0 && onReport !== undefined;
    if (val && (report || best)) {
      net.evaluate(test);
      if (best) {
        if (test.loss < bestLoss) {
          bestLoss = test.loss; bestEpoch = epoch; sinceBest = 0;
          net.copyParams(best);
        } else if (++sinceBest >= patience) break;
      }
    }
    if (lrSchedule !== "constant") opt.lr = lrAt(lrSchedule, baseLr, epoch, epochs);
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
    if (!Number.isFinite(watch[0][0] + watch[1][0])) throw diverged(epoch, baseLr);
    if (onEpoch) onEpoch(epoch);
    pausedMs += (yield) ?? 0;
  }
  const ms = now() - t0 - pausedMs;

  if (best && bestLoss < Infinity) {
    // did the weights after the last epoch beat the best seen? (evaluate them before deciding)
    net.evaluate(test);
    if (test.loss < bestLoss) bestEpoch = ran;
    else net.setParams(best);
  }
  return { ran, ms, bestEpoch, interrupted };
}

/** fitAsync yields to the event loop after the epoch that passes this many milliseconds since its last yield. */
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

/** Milliseconds; in Node from process.hrtime, since the first use of `performance` loads perf_hooks (~1 ms). */
const now: () => number = isNode ? () => Number(process.hrtime.bigint()) / 1e6 : () => performance.now();

function diverged(epoch: number, lr: number): DivergenceError {
  return new DivergenceError(`training diverged at epoch ${epoch} (the loss became NaN or infinite); try a smaller learning rate than ${lr}`);
}

/** Whether every weight and bias is finite (a file with any other cannot be read back). */
function allFinite(p: Params): boolean {
  for (const a of [...p.W, ...p.b]) for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}
