// The model a user holds: layer sizes, parameters and the standardisation fitted on its training data.
// Each fit or predict builds a Network (one wasm instance on a memory sized for that job), runs it, and
// copies the parameters back out; the kernels are compiled once and shared.

import { compileKernels, compileModule, engineSupports, type CompiledKernels, type KernelBuild, type WasmSource } from "./kernels.js";
import { cloneParams, initParams, type InitKind, type Params } from "./init.js";
import { Network, type NetworkShape, type OptimizerKind, type Stats } from "./network.js";
import { applyNormalization, fitNormalization, oneHot, type Normalization, type NormalizeKind } from "./normalize.js";
import { decodeModel, encodeModel } from "./modelfile.js";
import { DataError, DivergenceError, ModelFileError, UsageError } from "./errors.js";
import { MT19937 } from "./mt19937.js";
import { argmax, confusionMatrix } from "./metrics.js";
import { checkByteSource, isNode, readBytes, sourceName, type ByteSource } from "./bytes.js";
import { layersProblem, createOptions, fitSettings, loadOptions, type FitSettings } from "./model-options.js";
import { show } from "./options.js";

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
}

export interface LoadOptions {
  kernels?: KernelChoice;
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
  /** Epochs run (fewer than asked when early stopping fired). */
  epochs: number;
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
    return new MLP(kernels, initParams(layers, seed, opts.init ?? "numpy"), undefined, opts.normalize ?? "feature", seed, false);
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
    this.alive("fit");
    const range: [number, number] = [Infinity, -Infinity];
    const n = this.checkData("fit", X, y, "training data", undefined, range);
    const s = fitSettings(options, n);
    const val = s.validation;
    const nv = val ? this.checkData("fit", val.X, val.y, "validation data") : 0;
    const shape: NetworkShape = { layers: this.layers, train: n, batch: s.batch, eval: nv, optimizer: s.opt.kind };
    Network.assertFits(shape);
    const norm = this.norm ?? fitNormalization(X, n, this.inputs, this.normalizeKind);
    const net = new Network(this.kernels, shape);
    net.setTrain(applyNormalization(norm, X, n, this.inputs), oneHot(y, this.classes));
    if (val) net.setEval(applyNormalization(norm, val.X, nv, this.inputs), oneHot(val.y, this.classes));
    net.setParams(this.params);
    const rng = s.batch < n ? new MT19937((this.seed + 1) >>> 0) : undefined;

    const run = trainEpochs(net, s, rng, s.patience !== undefined ? cloneParams(this.params) : undefined);
    const params = net.getParams();
    if (!allFinite(params)) throw diverged(run.ran - 1, s.opt.lr);
    this.params = params;
    this.norm = norm;
    this.inputRange ??= range;
    this.trained = true;
    return this.summary(net, s, run);
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
      epochs_per_s: run.ran / (run.ms / 1000),
      kernels: this.kernels.build,
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

  /** Drops the parameters; the model cannot be used afterwards. Wasm memory goes with each job's instance. */
  dispose(): void {
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
  /** The epoch loop alone. */
  ms: number;
  /** With patience: the epoch whose weights the network now holds. */
  bestEpoch: number;
}

/**
 * The epoch loop: reports, early stopping on held-out loss (the network ends holding the best weights), and
 * a DivergenceError at the first epoch whose output weights are not finite. `best` (with patience) starts as
 * the initial weights.
 */
function trainEpochs(net: Network, s: FitSettings, rng: MT19937 | undefined, best: Params | undefined): EpochRun {
  const { epochs, every, opt, patience = 0, onReport, onEpoch } = s;
  const n = net.shape.train, nv = net.shape.eval, val = s.validation !== undefined;
  const train: Stats = { correct: 0, loss: 0 }, test: Stats = { correct: 0, loss: 0 };
  let bestLoss = Infinity, bestEpoch = 0, sinceBest = 0, ran = 0;
  const last = net.layers.length - 1;
  const watch = [net.view(`b${last}`), net.view(`W${last}`)];

  const t0 = now();
  for (let epoch = 0; epoch < epochs; epoch++) {
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
    if (!Number.isFinite(watch[0][0] + watch[1][0])) throw diverged(epoch, opt.lr);
    if (onEpoch) onEpoch(epoch);
  }
  const ms = now() - t0;

  if (best && bestLoss < Infinity) {
    // did the weights after the last epoch beat the best seen? (evaluate them before deciding)
    net.evaluate(test);
    if (test.loss < bestLoss) bestEpoch = ran;
    else net.setParams(best);
  }
  return { ran, ms, bestEpoch };
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
