// A dense ReLU network with a softmax output whose every tensor lives in one arena (plan.ts places them):
// parameters, gradients, optimiser state, activations, the training data (and a gathered mini-batch of it), a
// second data set for evaluation or prediction, per-thread packing scratch, and the words its threads meet on.
// Everything is placed once at construction; a training step is a fixed sequence of kernel calls on fixed
// pointers, run in one call of the module's train_step (runner.ts; step.ts is its TypeScript twin), so an
// epoch allocates nothing and copies nothing outside wasm memory.
//
// One step serves any number of threads (commands.ts drives them). The network does not know
// what a worker is: the calling thread calls epoch() and friends, and a worker that has attached to the same
// memory runs serve() (see pool.ts).

import { Arena, Layout, MAX_BYTES, tooBig } from "./arena.js";
import { UsageError } from "../errors.js";
import { writeRows } from "./rows.js";
import type { CompiledKernels, KernelExports } from "./kernels.js";
import { Cmd, Commands, Kind } from "./commands.js";
import type { Optimizer } from "./optimizers.js";
import { activationRows, fullShape, planLayout, tensorsOf, type DataSet, type Layer, type NetworkShape, type NetworkTensors, type Params } from "./plan.js";
import { StepRunner } from "./runner.js";
import type { Watch } from "./sync.js";

export type { NetworkShape, Params } from "./plan.js";
export { SLICE_ROWS } from "./plan.js";

export interface NetworkOptions {
  memory?: WebAssembly.Memory;
  wrap?: (raw: KernelExports, memory: WebAssembly.Memory) => KernelExports;
}

/** What a worker thread needs to attach to a network: its shape (which fixes its layout) and the thread count. */
export interface NetworkJob {
  shape: NetworkShape;
  threads: number;
}

/**
 * What hands a job to threads 1..threads-1 and returns once they have attached to it (a Pool, see pool.ts),
 * with the Watch through which the calling thread learns that one of them has died.
 */
export interface ThreadAttacher {
  attach(memory: WebAssembly.Memory, job: NetworkJob, threads: number): Watch;
}

/** A standardisation applied while the inputs are written: per feature, (x - mean) / divisor. */
export interface Standardise {
  readonly mean: Float64Array;
  readonly divisor: Float64Array;
}

/** What shuffles a mini-batch epoch's row order (the seeded MT19937 of data/). */
export interface Shuffler {
  shuffle(order: Int32Array): void;
}

export interface Stats {
  /** Rows whose predicted class is the true one. */
  correct: number;
  /** Mean cross-entropy. */
  loss: number;
}

export class Network {
  readonly arena: Arena;
  readonly shape: Required<NetworkShape>;
  readonly tensors: NetworkTensors;
  private readonly commands: Commands;
  private readonly runner: StepRunner;
  private readonly rowLoss: Float64Array;
  private readonly rowCorrect: Int32Array;
  /** The output layer's outputs of the latest forward pass (rows × outputs): logits, or with the mse loss the predictions. */
  readonly outputs: Float32Array;
  /** Rows the activation buffers hold: a forward pass over more runs in chunks of this many. */
  private readonly rows: number;
  private readonly order: Int32Array | undefined; // the mini-batch row order the shuffle takes: one view, made once
  /** Steps taken: Adam's step count less one, and which dropout masks the next step draws. */
  steps = 0;

  /** Places every tensor of a network of this shape without creating any memory (`.bytes` is what it needs). */
  static plan(shape: NetworkShape): Layout {
    return planLayout(shape);
  }

  /** Refuses, before anything is allocated, a shape whose arena would not fit in wasm32 memory. */
  static assertFits(shape: NetworkShape): void {
    const bytes = planLayout(shape).bytes;
    if (bytes > MAX_BYTES) {
      const rows = shape.train > 0 ? ` on ${shape.train} rows` : "";
      throw new UsageError(`${shape.layers.join("-")}${rows}: ${tooBig(bytes)}`);
    }
  }

  /**
   * A network on a memory of its own. Options: `memory`, the same network seen from another thread that runs
   * serve() on it (the memory must hold a network of exactly this shape); `wrap`, kernels to run in place of
   * the module's (the plain TypeScript twins, or the module's timed call by call: see the bench).
   */
  constructor(kernels: CompiledKernels, shape: NetworkShape, opts: NetworkOptions = {}) {
    this.shape = fullShape(shape);
    const layout = planLayout(this.shape);
    this.rows = activationRows(this.shape);
    this.arena = new Arena(kernels, layout, opts.memory);
    this.tensors = tensorsOf(layout, this.shape);
    const buf = this.arena.memory.buffer, t = this.tensors;
    this.rowLoss = new Float64Array(buf, t.rowLoss.ptr, this.rows);
    this.rowCorrect = new Int32Array(buf, t.rowCorrect.ptr, this.rows);
    this.outputs = new Float32Array(buf, t.layers[t.layers.length - 1].A.ptr, this.rows * this.classes);
    this.commands = new Commands(this.arena, t.control);
    this.order = t.training?.batch && this.arena.viewI32(t.training.batch.order);
    this.runner = new StepRunner(this.arena, t, this.shape, this.commands, !opts.memory, opts.wrap);
    if (!opts.memory) this.fillConstants();
  }

  /** The columns of ones after every hidden layer's outputs, and the identity row order: set once, never written by a kernel. */
  private fillConstants(): void {
    for (let l = 0; l < this.layers.length - 1; l++) {
      const { A, ldA } = this.layers[l], v = this.arena.view(A);
      for (let r = 0; r < this.rows; r++) v[r * ldA + ldA - 1] = 1;
    }
    const order = this.training?.batch?.order;
    if (order) this.arena.viewI32(order).forEach((_, i, a) => (a[i] = i));
  }

  get layers(): readonly Layer[] {
    return this.tensors.layers;
  }

  get training(): NetworkTensors["training"] {
    return this.tensors.training;
  }

  get evalSet(): DataSet | undefined {
    return this.tensors.evalSet;
  }

  /** Threads running its commands now (at most shape.threads, which the layout was planned for). */
  get threads(): number {
    return this.commands.threads;
  }

  /**
   * Runs the next commands on `threads` threads (at most shape.threads): the calling thread, and threads
   * 1..threads-1 that must each run serve() on this network's memory before the next command. The results
   * do not depend on it, so it may change between any two commands. `watch`: how a thread that waits for the
   * others learns that one has died (without it, a thread that dies mid-command leaves the others waiting).
   */
  useThreads(threads: number, watch?: Watch): void {
    if (!(threads >= 1 && threads <= this.shape.threads)) throw new Error(`${threads} threads for a network planned for ${this.shape.threads}`);
    this.commands.useThreads(threads, watch);
  }

  /** Ends the current threads' job (see close), has `pool` attach `threads` - 1 workers, and runs on them all. */
  attachThreads(pool: ThreadAttacher, threads: number): void {
    this.close();
    const watch = pool.attach(this.arena.memory, { shape: this.shape, threads }, threads);
    this.useThreads(threads, watch);
  }

  /**
   * Ends the other threads' serve() loops and goes on alone; waits until every thread has read the detach
   * (or, when one has died meanwhile, until the others have been released).
   */
  close(): void {
    this.commands.close();
  }

  /** A worker thread's loop: runs each command the calling thread posts until it detaches or a thread fails. */
  serve(thread: number): void {
    this.commands.serve(thread, (t) => this.execute(t));
  }

  /** Sizes from input to output. */
  get sizes(): readonly number[] {
    return this.shape.layers;
  }

  private get inputs(): number {
    return this.shape.layers[0];
  }

  private get classes(): number {
    return this.shape.layers[this.shape.layers.length - 1];
  }

  /** Writes the training set: X is train × inputs, floats or bytes (standardised here, with `norm`), Y is train × outputs. */
  setTrain(X: Float32Array | Uint8Array, Y: Float32Array, norm?: Standardise): void {
    this.writeSet(need(this.training, "training data").set, X, Y, norm);
  }

  /** Writes the second set; Y may be omitted for prediction. */
  setEval(X: Float32Array | Uint8Array, Y?: Float32Array, norm?: Standardise): void {
    this.writeSet(need(this.evalSet, "an evaluation set"), X, Y, norm);
  }

  /** Rows of X (floats or bytes) into a set, each with its column of ones, standardised with `norm` (see writeRows). */
  private writeSet(set: DataSet, X: Float32Array | Uint8Array, Y: Float32Array | undefined, norm: Standardise | undefined): void {
    const n = set.X.shape[0], F = this.inputs;
    if (X.length !== n * F) throw new Error(`tensor ${set.X.name} holds ${n} rows of ${F}, got ${X.length} values`);
    writeRows(this.arena.view(set.X), X, n, F, norm?.mean, norm?.divisor);
    if (Y) this.arena.write(set.Y, Y);
  }

  setParams(p: Params): void {
    this.layers.forEach((l, i) => {
      const v = this.arena.view(l.W);
      v.set(p.W[i]);
      v.set(p.b[i], l.fanIn * l.fanOut);
    });
  }

  /** A copy of the current parameters. */
  getParams(): Params {
    return { layers: [...this.sizes], W: this.layers.map((l) => this.weights(l).slice()), b: this.layers.map((l) => this.bias(l).slice()) };
  }

  /** Copies the current parameters into `into` (same shapes), allocating nothing. */
  copyParams(into: Params): void {
    this.layers.forEach((l, i) => {
      into.W[i].set(this.weights(l));
      into.b[i].set(this.bias(l));
    });
  }

  private weights(l: Layer): Float32Array {
    return this.arena.view(l.W).subarray(0, l.fanIn * l.fanOut);
  }

  private bias(l: Layer): Float32Array {
    return this.arena.view(l.W).subarray(l.fanIn * l.fanOut);
  }

  /**
   * Live views by name, for tests and inspection: W1 and b1 (a layer's weights and bias), dW1 and db1 (their
   * gradients), A1, G1, P, and any tensor of the layout by its own name.
   */
  view(name: string): Float32Array {
    const m = /^(d?)(W|b)(\d+)$/.exec(name);
    if (!m) return this.arena.view(this.arena.layout.get(name));
    const l = this.layers[Number(m[3]) - 1];
    if (!l) throw new Error(`no tensor named ${name}`);
    const all = this.arena.view(m[1] ? need(this.training, "gradients").layers[Number(m[3]) - 1].dW : l.W);
    return m[2] === "W" ? all.subarray(0, l.fanIn * l.fanOut) : all.subarray(l.fanIn * l.fanOut);
  }

  /**
   * One epoch: a single full-batch step, or a seeded shuffle and one step per mini-batch. When `stats` is
   * given it receives the loss and accuracy of the epoch's forward passes, each taken before its update
   * (for full batch, exactly the original's report).
   */
  epoch(opt: Optimizer, rng: Shuffler | undefined, stats?: Stats, between?: () => void): void {
    const tr = need(this.training, "training data"), train = this.shape.train, batch = this.shape.batch;
    let correct = 0, loss = 0;
    const withStats = stats !== undefined;
    if (tr.batch && rng) rng.shuffle(this.order!);
    for (let start = 0; start < train; start += batch) {
      if (between && start > 0) between(); // between two steps (threads may join: the bits do not change)
      const rows = Math.min(batch, train - start), set = tr.batch ?? tr.set;
      this.postStep(set, rows, start, tr.batch !== undefined, opt, withStats);
      if (withStats) { correct += this.sumCorrect(rows); loss += this.sumLoss(rows); }
    }
    if (stats) {
      stats.correct = correct;
      stats.loss = loss / train;
    }
  }

  /** Writes one step's command (its rows, where the batch comes from, the optimiser's numbers) and runs it. */
  private postStep(set: DataSet, rows: number, at: number, gather: boolean, opt: Optimizer, withStats: boolean): void {
    this.commands.writeStep(set.X.ptr, set.Y.ptr, rows, at, gather, withStats, this.steps++, opt);
    this.commands.run(this.execute);
  }

  /** Loss and accuracy over the whole training set with the current parameters. */
  trainStats(into: Stats = { correct: 0, loss: 0 }): Stats {
    return this.statsOver(need(this.training, "training data").set, this.shape.train, into);
  }

  /** Loss and accuracy on the second set, with the current parameters. */
  evaluate(into: Stats = { correct: 0, loss: 0 }): Stats {
    return this.statsOver(need(this.evalSet, "an evaluation set"), this.shape.eval, into);
  }

  /** Forward pass over rows [start, start+rows) of a set (rows ≤ activationRows): `outputs` holds theirs; returns Σ loss. */
  forwardSlice(which: "train" | "eval", start: number, rows: number): number {
    const set = which === "train" ? need(this.training, "training data").set : need(this.evalSet, "an evaluation set");
    this.postForward(set.X.ptr + 4 * start * (this.inputs + 1), set.Y.ptr + 4 * start * this.classes, rows, true);
    return this.sumLoss(rows);
  }

  /** Forward passes over n rows of a set in chunks that fit the activations, summing loss and accuracy. */
  private statsOver(set: DataSet, n: number, into: Stats): Stats {
    const inputs = this.inputs + 1, C = this.classes;
    let correct = 0, loss = 0;
    for (let start = 0; start < n; start += this.rows) {
      const rows = Math.min(this.rows, n - start);
      this.postForward(set.X.ptr + 4 * start * inputs, set.Y.ptr + 4 * start * C, rows, true);
      correct += this.sumCorrect(rows);
      loss += this.sumLoss(rows);
    }
    into.correct = correct;
    into.loss = loss / n;
    return into;
  }

  /** Forward pass over the second set; returns live views of its class probabilities (eval × classes). */
  predictEval(): Float32Array {
    this.postForward(need(this.evalSet, "an evaluation set").X.ptr, 0, this.shape.eval, false);
    return this.evalProbabilities();
  }

  /** The second set's class probabilities (eval × classes; with the mse loss its outputs) from the latest evaluate() or predictEval(). */
  evalProbabilities(): Float32Array {
    if (this.shape.loss === "mse") return this.outputs.subarray(0, this.shape.eval * this.classes);
    return this.arena.view(this.tensors.P).subarray(0, this.shape.eval * this.classes);
  }

  private postForward(x: number, y: number, rows: number, withStats: boolean): void {
    const c = this.commands.cmd;
    c[Cmd.Kind] = Kind.Forward;
    c[Cmd.X] = x;
    c[Cmd.Y] = y;
    c[Cmd.Rows] = rows;
    c[Cmd.Stats] = withStats ? 1 : 0;
    this.commands.run(this.execute);
  }

  /** Σ of the per-row losses of the latest command, in row order. */
  private sumLoss(rows: number): number {
    let s = 0;
    for (let i = 0; i < rows; i++) s += this.rowLoss[i];
    return s;
  }

  private sumCorrect(rows: number): number {
    let s = 0;
    for (let i = 0; i < rows; i++) s += this.rowCorrect[i];
    return s;
  }

  /** Thread t's share of the command in the block (every thread, the calling one included, runs this). */
  private readonly execute = (t: number): void => this.runner.run(t, this.threads);
}

function need<T>(t: T | undefined, what: string): T {
  if (t === undefined) throw new Error(`this network was built without ${what}`);
  return t;
}
