// The model a user holds: layer sizes, parameters and the standardisation fitted on its training data.
// Each fit or predict builds a Network (one wasm instance on a memory sized for that job), runs it, and
// copies the parameters back out; the kernels are compiled once and shared.

import { compileKernels, compileModule, engineSupports, KERNEL_BUILDS, type CompiledKernels, type KernelBuild } from "../engine/kernels.js";
import { Network, type NetworkShape } from "../engine/network.js";
import { Workers } from "./workers.js";
import type { Schema } from "../data/schema.js";
import type { ActivationKind } from "../engine/activations.js";
import { ModelFileError, UsageError } from "../errors.js";
import { checkByteSource, readBytes, sourceName, type ByteSource } from "../bytes.js";
import { cloneParams, initParams, type Params } from "./init.js";
import { fitNormalization, type Normalization, type NormalizeKind } from "./normalize.js";
import { networkTargets, RegressionTracker } from "./regression.js";
import { unscaleOutputs, type TargetScaling } from "./targets.js";
import { decodeModel, encodeModel, MAX_MODEL_BYTES } from "./modelfile.js";
import { encodeOnnx } from "./onnx.js";
import { loadModelBytes, saveModelBytes, storedName } from "./storage.js";
import { argmax, confusionMatrix } from "./metrics.js";
import { layersProblem, createOptions, fitSettings, loadOptions } from "./options.js";
import { checkLabelled, checkRows, type Expect } from "./inputs.js";
import { allFinite, disposedDuring, diverged, fitSummary, trainEpochs, runToEnd, runYielding } from "./fit.js";
import { decodeCheckpoint, MAX_CHECKPOINT_BYTES, type Checkpoint } from "./checkpoint.js";
import { checkContinues, dataFingerprint, fitRecord } from "./resume.js";
import { loopHooks } from "./loop.js";
import type { EvaluationOf, FitOptions, KernelChoice, LoadOptions, MLPOptions, Prediction, SummaryOf, Targets, Task } from "./types.js";

export type { Evaluation, FitOptions, FitSummary, KernelChoice, LoadOptions, MLPOptions, Report, RegressionEvaluation, RegressionReport, RegressionSummary, Task } from "./types.js";


/** The fit in progress: what predict, evaluate, toBytes and getParams read from its callbacks. */
interface Live {
  net: Network;
  norm: Normalization;
  range: readonly [number, number];
  targets: TargetScaling | undefined;
}

async function resolveKernels(choice: KernelChoice | undefined): Promise<CompiledKernels> {
  if (choice === undefined || typeof choice === "string") return compileKernels(choice ?? "auto");
  if ("module" in choice) return choice;
  if (!(await engineSupports(choice.build))) throw new UsageError(`this engine cannot run the ${choice.build} kernel build`);
  return { build: choice.build, module: await compileModule(choice.source) };
}

/** A model; T is its task ("classify" unless created with task "regress", or read from a regression model's file). */
export class MLP<T extends Task = "classify"> {
  readonly layers: readonly number[];
  readonly kernels: CompiledKernels;
  readonly seed: number;
  private params: Params;
  private norm: Normalization | undefined;
  private inputRange: readonly [number, number] | undefined;
  /** How a table's columns become the inputs, and the class names (a model trained from a table has one). */
  readonly schema: Schema | undefined;
  /** The hidden layers' activation. */
  readonly activation: ActivationKind;
  /** "classify" or "regress". */
  readonly task: T;
  /** Regression: each target's mean and std, fitted on the first fit (or read from the model file). */
  private targets: TargetScaling | undefined;
  private readonly normalizeKind: NormalizeKind;
  /** Fitted, or read from a model file: predict, evaluate and toBytes refuse an untrained model. */
  private trained: boolean;
  private disposed = false;
  /** A fit or fitAsync is running: another must not start on the same weights until it returns. */
  private busy = false;
  /** While a fit runs: its network (the weights after its latest epoch) and its standardisation. */
  private live: Live | undefined;
  /** Its worker threads. */
  private readonly workers: Workers;
  /** Read by fromCheckpoint: where its next fit starts. */
  private resumeFrom: Checkpoint | undefined;

  private constructor(kernels: CompiledKernels, params: Params, norm: Normalization | undefined, normalizeKind: NormalizeKind, seed: number, trained: boolean, extras: { schema?: Schema; activation?: ActivationKind; task?: Task; targets?: TargetScaling } = {}) {
    this.kernels = kernels;
    this.task = (extras.task ?? "classify") as T;
    this.targets = extras.targets;
    this.schema = extras.schema;
    this.activation = extras.activation ?? "relu";
    this.workers = new Workers(kernels);
    this.layers = [...params.layers];
    this.params = params;
    this.norm = norm;
    this.normalizeKind = normalizeKind;
    this.seed = seed;
    this.trained = trained;
  }

  static async create<T extends Task = "classify">(options: MLPOptions<T>): Promise<MLP<T>> {
    const opts = createOptions(options);
    const layers = [...opts.layers];
    // refuse a network whose parameters alone could not fit, before allocating them
    Network.assertFits({ layers, train: 0, batch: 0, eval: 1, optimizer: "sgd" });
    const seed = opts.seed ?? 42;
    const kernels = await resolveKernels(opts.kernels);
    const model = new MLP<T>(kernels, initParams(layers, seed, opts.init ?? "numpy"), undefined, opts.normalize ?? "feature", seed, false, opts);
    await model.workers.start(opts.threads ?? "auto");
    return model;
  }

  /**
   * Reads a model saved with toBytes() from bytes, an ArrayBuffer, a Response, a path (Node) or a URL;
   * throws ModelFileError when it cannot be read or is not a valid model. `model.task` says which task it
   * was trained for; TypeScript: `MLP.fromBytes<"regress">(...)` types a regression model's methods.
   */
  static async fromBytes<T extends Task = "classify">(source: ByteSource, options?: LoadOptions): Promise<MLP<T>> {
    checkByteSource("MLP.fromBytes", "the source", source);
    const opts = loadOptions(options);
    const name = opts.name ?? (ArrayBuffer.isView(source) || source instanceof ArrayBuffer ? "model" : sourceName(source));
    const bytes = await readBytes(source, (m) => new ModelFileError(m), MAX_MODEL_BYTES, "model files");
    const { params, normalization, range, schema, activation, targets, seed } = decodeModel(bytes, name);
    const problem = layersProblem(params.layers, targets ? "regress" : "classify");
    if (problem) throw new ModelFileError(`${name}: ${problem}`);
    const kernels = await resolveKernels(opts.kernels);
    const model = new MLP<T>(kernels, params, normalization, normalization?.kind ?? "feature", seed ?? 42, true, { schema, activation, targets, task: targets ? "regress" : "classify" });
    model.inputRange = range;
    await model.workers.start(opts.threads ?? 1);
    return model;
  }

  /**
   * Reads a checkpoint (FitOptions.checkpoint; the CLI's --checkpoint) as fromBytes reads a model: the model as
   * it stood then. Its next fit continues that fit to the bit: the same data and settings are required, and
   * `epochs` is the total, those done included. Kernels: the build that trained it where this engine runs it
   * (another build may round differently); threads: "auto"; unless options say otherwise.
   */
  static async fromCheckpoint<T extends Task = "classify">(source: ByteSource, options?: LoadOptions): Promise<MLP<T>> {
    checkByteSource("MLP.fromCheckpoint", "the source", source);
    const name = loadOptions(options).name ?? (ArrayBuffer.isView(source) || source instanceof ArrayBuffer ? "checkpoint" : sourceName(source));
    const c = decodeCheckpoint(await readBytes(source, (m) => new ModelFileError(m), MAX_CHECKPOINT_BYTES, "checkpoints"), name);
    const same = (KERNEL_BUILDS as readonly string[]).includes(c.kernels) && (await engineSupports(c.kernels as KernelBuild));
    const model = await MLP.fromBytes<T>(c.modelBytes, { threads: "auto", ...(same && { kernels: c.kernels as KernelBuild }), ...options, name });
    model.resumeFrom = c;
    return model;
  }

  /** Threads a fit with mini-batches of `batch` rows uses: what was asked (up to the model's), else what pays. */
  threadsFor(batch: number, asked?: number): number {
    return this.workers.threadsFor(this.layers, batch, asked);
  }

  /** The classes' names, when the model was trained on word labels (class i is classNames[i]). */
  get classNames(): readonly string[] | undefined { return this.schema?.classes; }

  /** Lowest and highest input value of the data the model was first fitted on (during that fit too). */
  get range(): readonly [number, number] | undefined { return this.live?.range ?? this.inputRange; }

  /** The standardisation travelling with the model (after the first fit or when loaded; during a fit, its own). */
  get normalization(): Normalization | undefined { return this.live?.norm ?? this.norm; }
  /** A regression model's targets: their names, and the mean and std its outputs are scaled back with. */
  get targetScaling(): TargetScaling | undefined { return this.live?.targets ?? this.targets; }

  /** A copy of the current parameters (before any fit: the initial weights; during one: after its latest epoch). */
  getParams(): Params {
    return this.live ? this.live.net.getParams() : cloneParams(this.params);
  }

  get inputs(): number { return this.layers[0]; }

  get classes(): number { return this.layers[this.layers.length - 1]; }

  /**
   * Trains on raw inputs X (n × inputs, row-major) and labels y. Synchronous: in a browser, run it in a
   * Worker. Throws DivergenceError, leaving the model's weights as they were, when the loss stops being finite.
   */
  fit(X: Float32Array | Uint8Array, y: Targets<T>, options?: FitOptions<T>): SummaryOf<T> {
    return runToEnd(this.exclusive("fit", X, y, options));
  }

  /**
   * fit, yielding to the event loop between two epochs every YIELD_MS milliseconds (a yield costs
   * microseconds), so that events are handled while it trains: an AbortSignal aborted by one (a message to
   * a Worker, a button, SIGINT) stops it after the current epoch. The same epochs and weights as fit; until
   * the promise settles predict, toBytes and the like see the weights after the latest epoch (as from a
   * callback of fit), and another fit cannot start.
   */
  async fitAsync(X: Float32Array | Uint8Array, y: Targets<T>, options?: FitOptions<T>): Promise<SummaryOf<T>> {
    return runYielding(this.exclusive("fitAsync", X, y, options));
  }

  /** training(), which no other fit may run beside (its first step runs when fit or fitAsync is called). */
  private *exclusive(fn: string, X: Float32Array | Uint8Array, y: Targets<T>, options: FitOptions<T> | undefined): Generator<void, SummaryOf<T>, number | undefined> {
    this.notBusy(fn);
    this.busy = true;
    try {
      return yield* this.training(X, y, options);
    } finally {
      this.busy = false;
    }
  }

  /** fit's work, suspended after each epoch; resumed with the milliseconds spent away (not training time). */
  private *training(X: Float32Array | Uint8Array, y: Targets<T>, options: FitOptions<T> | undefined): Generator<void, SummaryOf<T>, number | undefined> {
    this.alive("fit");
    const range: [number, number] = [Infinity, -Infinity];
    const t = networkTargets(this.task, "fit", "training data", X, y, this.expect(false), this.targets, this.schema?.targets, range), n = t.n;
    const s = fitSettings(options, n);
    const val = s.validation;
    const v = val && networkTargets(this.task, "fit", "validation data", val.X, val.y, this.expect(false), t.scaling), nv = v ? v.n : 0;
    if (t.scaling) s.tracker = new RegressionTracker(t.scaling, t.Y, v?.Y);
    const threads = this.threadsFor(s.batch, s.threads);
    const shape: NetworkShape = { layers: this.layers, train: n, batch: s.batch, eval: nv, optimizer: s.opt.kind, threads, activation: this.activation, dropout: s.dropout, seed: this.seed, loss: this.loss };
    Network.assertFits(shape);
    const record = fitRecord(s, n, nv), data = this.resumeFrom || s.checkpoint ? dataFingerprint(X, y, s) : "";
    if (this.resumeFrom) checkContinues(this.resumeFrom, record, data, s.epochs);
    const norm = this.norm ?? fitNormalization(X, n, this.inputs, this.normalizeKind);
    // a worker died since the last fit: start new ones (they join once booted, as with "auto")
    if (this.workers.lost) this.workers.end();
    const net = new Network(this.kernels, shape);
    try {
      net.setTrain(X, t.Y, norm);
      if (val) net.setEval(val.X, v!.Y, norm);
      net.setParams(this.params);
      this.live = { net, norm, range: this.inputRange ?? range, targets: t.scaling };
      const snapshot = () => ({ modelBytes: this.toBytes(), epochs: s.epochs, settings: record, data, kernels: this.kernels.build, flags: s.checkpoint?.flags });
      const hooks = loopHooks(net, s, this.seed, this.params, this.resumeFrom, (epoch, want) => this.boundary(net, epoch, want), snapshot, () => this.workers.joinStarted(net));
      this.resumeFrom = undefined;
      const run = yield* trainEpochs(net, s, hooks);
      if (this.disposed) throw disposedDuring(run.ran);
      const params = net.getParams();
      if (!allFinite(params)) throw diverged(run.ran - 1, s.opt.lr);
      this.params = params;
      this.norm = norm;
      this.inputRange ??= range;
      this.targets = t.scaling;
      this.trained = true;
      return fitSummary(net, s, run, this.kernels.build) as SummaryOf<T>;
    } finally {
      this.live = undefined;
      net.close();
      // disposed meanwhile, or a worker died: its job is over (close released the others), so end them all
      if (this.disposed || this.workers.lost) this.workers.end();
    }
  }

  /** At the start of every epoch: stops a fit whose model was disposed meanwhile, runs it on `want` threads (workers join as they start). */
  private boundary(net: Network, epoch: number, want: number): void {
    if (this.disposed) throw disposedDuring(epoch);
    this.workers.use(net, want);
  }

  /** Class probabilities for raw inputs X (n × inputs): n × classes, row-major. */
  predictProba(X: Float32Array | Uint8Array): Float32Array {
    if (this.task === "regress") throw new UsageError("predictProba: this is a regression model; predict gives its values");
    return this.probabilities("predictProba", X);
  }

  /** The most probable class of each row of raw inputs X; for regression, n × outputs values in the targets' units. */
  predict(X: Float32Array | Uint8Array): Prediction<T> {
    if (this.task === "regress") return unscaleOutputs(this.live?.targets ?? this.targets!, this.probabilities("predict", X)) as Prediction<T>;
    const P = this.probabilities("predict", X), C = this.classes, n = P.length / C;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = argmax(P, i, C);
    return out as Prediction<T>;
  }

  private probabilities(fn: string, X: Float32Array | Uint8Array): Float32Array {
    this.usable(fn);
    const n = checkRows(fn, "input", X, this.expect(true));
    if (n === 0) return new Float32Array(0);
    const net = this.inference(X, n);
    return net.predictEval().slice();
  }

  /** Accuracy, mean cross-entropy and confusion matrix on labelled raw data; for regression RMSE, MAE, R² and the loss. */
  evaluate(X: Float32Array | Uint8Array, y: Targets<T>): EvaluationOf<T> {
    this.usable("evaluate");
    const scaling = this.live?.targets ?? this.targets;
    const { n, Y } = networkTargets(this.task, "evaluate", "evaluation data", X, y, this.expect(true), scaling);
    const net = this.inference(X, n, Y);
    if (scaling) return { n, ...new RegressionTracker(scaling, undefined, Y).measure(net, "eval") } as EvaluationOf<T>;
    const s = net.evaluate();
    return { n, accuracy: s.correct / n, loss: s.loss, confusion: confusionMatrix(net.evalProbabilities(), y, this.classes) } as EvaluationOf<T>;
  }

  /** The model as a .wmlp file (see modelfile.ts); during a fit, with the weights after its latest epoch. */
  toBytes(): Uint8Array {
    this.usable("toBytes");
    return encodeModel({ params: this.live?.net.getParams() ?? this.params, normalization: this.normalization, range: this.range, schema: this.schema, activation: this.activation, targets: this.live?.targets ?? this.targets, seed: this.seed });
  }

  /**
   * The model as an ONNX file (see onnx.ts): input "input" [N, inputs] of raw values, outputs "probabilities"
   * [N, classes] and "label" [N] (a regression model: "prediction" [N, targets], as predict); the class or
   * target names, when it has them, and the seed in its metadata.
   */
  toOnnx(): Uint8Array {
    this.usable("toOnnx");
    const { W, b } = this.getParams();
    return encodeOnnx({ layers: this.layers, W, b, normalization: this.normalization, classNames: this.classNames, activation: this.activation, targets: this.targetScaling, metadata: { seed: String(this.seed) } });
  }

  /**
   * Saves the model (toBytes) where `url` says: "indexeddb://NAME", the browser's storage (see storage.ts;
   * MLP.load reads it back, listModels and removeModel list and remove).
   */
  async save(url: string): Promise<void> {
    await saveModelBytes(storedName("save", url), this.toBytes());
  }

  /** Loads a model saved with save(url) ("indexeddb://NAME"); options as fromBytes's. */
  static async load<T extends Task = "classify">(url: string, options?: LoadOptions): Promise<MLP<T>> {
    return MLP.fromBytes<T>(await loadModelBytes(storedName("MLP.load", url)), { name: url, ...options });
  }

  /**
   * Drops the parameters and ends the worker threads; the model cannot be used afterwards. A running fit (from
   * its callback, or while a fitAsync awaits) stops at its next epoch with a UsageError and ends them then.
   */
  dispose(): void {
    this.disposed = true;
    this.params = { layers: this.params.layers, W: [], b: [] };
    if (!this.busy) this.workers.end();
  }

  /** A network holding X (raw; standardised here) and the model's weights: during a fit, after its latest epoch. */
  private inference(X: Float32Array | Uint8Array, n: number, Y?: Float32Array): Network {
    const net = new Network(this.kernels, { layers: this.layers, train: 0, batch: 0, eval: n, optimizer: "sgd", activation: this.activation, loss: this.loss });
    const norm = this.normalization;
    net.setEval(X, Y, norm);
    net.setParams(this.live?.net.getParams() ?? this.params);
    return net;
  }

  private get loss(): "xent" | "mse" { return this.task === "regress" ? "mse" : "xent"; }

  /** What data must fit; with `inRange`, the range of the data the model was trained on too. */
  private expect(inRange: boolean): Expect {
    return { inputs: this.inputs, classes: this.classes, range: inRange ? this.range : undefined };
  }

  private notBusy(fn: string): void {
    if (this.busy) throw new UsageError(`${fn}: this model is already training; wait for that fit to return (a callback of a fit cannot fit the same model)`);
  }

  private alive(fn: string): void {
    if (this.disposed) throw new UsageError(`${fn}: this model has been disposed`);
  }

  private usable(fn: string): void {
    this.alive(fn);
    if (!this.trained && !this.live) throw new UsageError(`${fn}: this model is untrained; call fit() first, or load a trained one with MLP.fromBytes()`);
  }
}
