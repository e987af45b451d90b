// A dense ReLU network with a softmax output whose every tensor lives in one arena: parameters, gradients,
// optimiser state, activations, the training data (and a gathered mini-batch of it), a second data set for
// evaluation or prediction, per-thread packing scratch, and the words its threads meet on. Everything is
// placed once at construction; a training step is a fixed sequence of kernel calls on fixed pointers, so an
// epoch allocates nothing and copies nothing outside wasm memory.
//
// One description of a step serves any number of threads: each call takes the thread's share of the outputs
// (rows of the batch for the forward pass, softmax and deltas; rows of each layer's dW for the weight
// gradients and the update), and every sum is taken in an order that does not depend on the thread count,
// so the weights and every report are the same bits for 1, 2 or 8 threads. With one thread the barriers are
// no-ops. The network does not know what a worker is: the calling thread runs `command`, and a worker that
// has attached to the same memory runs `serve` (see pool.ts).

import { Arena, GEMM_SCRATCH_BYTES, Layout, MAX_BYTES, tooBig, type Tensor } from "./arena.js";
import { UsageError } from "../errors.js";
import { GemmFlags, KernelTrap, type CompiledKernels, type KernelExports } from "./kernels.js";
import type { Params } from "../model/init.js";
import type { MT19937 } from "../data/mt19937.js";
import { Sync, SYNC_WORDS, ThreadFailure } from "./sync.js";

export type OptimizerKind = "sgd" | "momentum" | "adam";
export const OPTIMIZERS: readonly OptimizerKind[] = ["sgd", "momentum", "adam"];

export interface Optimizer {
  kind: OptimizerKind;
  lr: number;
  /** Momentum coefficient (momentum). */
  momentum: number;
  /** Adam's decay rates and epsilon. */
  beta1: number;
  beta2: number;
  eps: number;
}

export const DEFAULT_OPTIMIZER: Optimizer = { kind: "sgd", lr: 0.1, momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** The learning rate when none is given: the original's 0.1, or Adam's customary 0.001. */
export function defaultLr(kind: OptimizerKind): number {
  return kind === "adam" ? 0.001 : DEFAULT_OPTIMIZER.lr;
}

export interface NetworkShape {
  /** Sizes from input to output, e.g. [64, 32, 10]. */
  layers: readonly number[];
  /** Training rows held in the arena (0: inference only). */
  train: number;
  /** Rows per step (train for full batch). */
  batch: number;
  /** Rows of the second set: held-out data or inputs to predict (0: none). */
  eval: number;
  optimizer: OptimizerKind;
  /** Threads that run it (default 1). */
  threads?: number;
  /** Rows per slice of a step (default SLICE_ROWS; the bench compares it with one slice of the whole batch). */
  sliceRows?: number;
}

export interface NetworkOptions {
  memory?: WebAssembly.Memory;
  wrap?: (raw: KernelExports, memory: WebAssembly.Memory) => KernelExports;
}

/** What a worker thread needs to attach to a network: its shape (which fixes its layout) and the thread count. */
export interface NetworkJob {
  shape: NetworkShape;
  threads: number;
}

/** What hands a job to threads 1..threads-1 and returns once they have attached to it (a Pool, see pool.ts). */
export interface ThreadAttacher {
  attach(memory: WebAssembly.Memory, job: NetworkJob, threads: number): void;
}

export interface Stats {
  /** Rows whose predicted class is the true one. */
  correct: number;
  /** Mean cross-entropy. */
  loss: number;
}

/**
 * Rows of the batch a step takes through the forward pass, softmax and deltas before adding their share to
 * the weight gradients, while their activations and deltas are still in L2: the original MLP needs ~0.7 KB a
 * row, so 512 rows and the weights take ~370 KB, inside a 512 KB L2 (the smallest here; measured on the
 * original MLP, 512 beat 128, 256, 1024 and the whole batch of 1797, with one thread and with two). Every dW
 * element is still summed over the rows in order from 0: each slice starts from the partial sums the
 * previous one left in dW.
 */
export const SLICE_ROWS = 512;

/**
 * One dense layer. W is [fanIn + 1, fanOut]: the weights, then the bias as the last row, because the
 * layer's input carries a column of ones. The bias is then one more weight: added last in each output's sum
 * (as the bias add was), its gradient one more row of dW (the column sums of G, in the same order), its
 * update part of W's.
 */
interface Layer {
  readonly fanIn: number;
  readonly fanOut: number;
  readonly W: Tensor;
  /** Outputs: ReLU activations with their column of ones (ldA = fanOut + 1), or the logits (ldA = fanOut). */
  readonly A: Tensor;
  readonly ldA: number;
}

interface TrainLayer extends Layer {
  /** Gradient of the loss with respect to the layer's pre-activation output, laid out as A. */
  readonly G: Tensor;
  readonly dW: Tensor;
  /** Optimiser state shaped as W: momentum's velocity, or Adam's first and second moments. */
  readonly state: readonly Tensor[];
}

/** Rows of inputs, each with a column of ones (ld = inputs + 1), and their one-hot targets. */
interface DataSet {
  readonly X: Tensor;
  readonly Y: Tensor;
}

interface Training {
  readonly set: DataSet;
  /** Where a shuffled mini-batch is gathered, and the order of the current epoch (absent for full batch). */
  readonly batch: (DataSet & { readonly order: Tensor }) | undefined;
  readonly layers: readonly TrainLayer[];
}

// The command block after the sync words: what every thread runs next, written by the calling thread.
// Integers in Int32 words and the optimiser's numbers in f64 words (reading a float boxes it in V8's
// unoptimised code; an integer does not).
const enum Cmd { Kind, X, Y, Rows, Stats, Gather, At, Words }
const enum Arg { Lr, P1, P2, Eps, C1, C2, Words }
const enum Kind { Step = 1, Forward = 2, Detach = 3 }
const OPT_CODE: Record<OptimizerKind, number> = { sgd: 0, momentum: 1, adam: 2 };

export class Network {
  readonly arena: Arena;
  readonly shape: Required<NetworkShape>;
  /** Threads running its commands now (at most shape.threads, which the layout was planned for). */
  private _threads = 1;
  readonly layers: readonly Layer[];
  readonly training: Training | undefined;
  readonly evalSet: DataSet | undefined;
  /** The kernels the step calls: the arena's unwrapped exports (see the constructor), or the wrap option's. */
  private readonly kernels: KernelExports;
  private readonly scratch: readonly Tensor[];
  private readonly P: Tensor;
  private readonly rowLoss: Float64Array;
  private readonly rowCorrect: Int32Array;
  private sync: Sync;
  private readonly syncWords: Int32Array;
  private readonly cmd: Int32Array;
  private readonly arg: Float64Array;
  /** Rows the activation buffers hold: a forward pass over more runs in chunks of this many. */
  private readonly rows: number;
  private readonly optCode: number;
  private adamStep = 0;

  /**
   * Places every tensor of a network of this shape, without creating any memory: `plan(shape).bytes` is what
   * it would need, so a caller can refuse a shape before allocating anything.
   */
  static plan(shape: NetworkShape): Layout {
    const full = fullShape(shape), { layers, train, batch, eval: ne, optimizer, threads } = full;
    if (layers.length < 2) throw new Error("a network needs an input and an output layer");
    const layout = new Layout();
    const inputs = layers[0] + 1, classes = layers[layers.length - 1];
    const rows = activationRows(full);
    layout.add("control", SYNC_WORDS + Cmd.Words + 1 + 2 * Arg.Words);
    if (train > 0) {
      layout.add("Xt", train, inputs);
      layout.add("Yt", train, classes);
      if (batch < train) {
        layout.add("Xb", batch, inputs);
        layout.add("Yb", batch, classes);
        layout.add("order", train);
      }
    }
    if (ne > 0) {
      layout.add("Xe", ne, inputs);
      layout.add("Ye", ne, classes);
    }
    for (let l = 1; l < layers.length; l++) {
      const fanIn = layers[l - 1], fanOut = layers[l], ldA = l < layers.length - 1 ? fanOut + 1 : fanOut;
      layout.add(`Wb${l}`, fanIn + 1, fanOut);
      layout.add(`A${l}`, rows, ldA);
      if (train > 0) {
        layout.add(`G${l}`, batch, ldA);
        layout.add(`dWb${l}`, fanIn + 1, fanOut);
        for (let s = 0; s < STATE_TENSORS[optimizer]; s++) layout.add(`S${s}Wb${l}`, fanIn + 1, fanOut);
      }
    }
    layout.add("P", rows, classes);
    layout.add("rowLoss", 2 * rows);
    layout.add("rowCorrect", rows);
    for (let t = 0; t < threads; t++) layout.add(`scratch${t}`, GEMM_SCRATCH_BYTES / 4);
    return layout;
  }

  /** Refuses, before anything is allocated, a shape whose arena would not fit in wasm32 memory. */
  static assertFits(shape: NetworkShape): void {
    const bytes = Network.plan(shape).bytes;
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
    const memory = opts.memory;
    this.shape = fullShape(shape);
    const layout = Network.plan(this.shape);
    const { layers, train, batch, eval: ne, optimizer } = this.shape;
    this.rows = activationRows(this.shape);
    this.optCode = OPT_CODE[optimizer];
    this.arena = new Arena(kernels, layout, memory);
    const t = (name: string) => layout.get(name);
    this.layers = layers.slice(1).map((fanOut, i) => ({
      fanIn: layers[i], fanOut, W: t(`Wb${i + 1}`), A: t(`A${i + 1}`), ldA: i < layers.length - 2 ? fanOut + 1 : fanOut,
    }));
    if (train > 0) {
      this.training = {
        set: { X: t("Xt"), Y: t("Yt") },
        batch: batch < train ? { X: t("Xb"), Y: t("Yb"), order: t("order") } : undefined,
        layers: this.layers.map((l, i) => ({
          ...l, G: t(`G${i + 1}`), dW: t(`dWb${i + 1}`),
          state: Array.from({ length: STATE_TENSORS[optimizer] }, (_, s) => t(`S${s}Wb${i + 1}`)),
        })),
      };
    }
    this.evalSet = ne > 0 ? { X: t("Xe"), Y: t("Ye") } : undefined;
    this.P = t("P");
    this.scratch = Array.from({ length: this.shape.threads }, (_, i) => t(`scratch${i}`));
    const buf = this.arena.memory.buffer, rl = t("rowLoss"), rc = t("rowCorrect"), control = t("control");
    this.rowLoss = new Float64Array(buf, rl.ptr, this.rows);
    this.rowCorrect = new Int32Array(buf, rc.ptr, this.rows);
    this.syncWords = new Int32Array(buf, control.ptr, SYNC_WORDS);
    this.sync = new Sync(this.syncWords, 1);
    this.cmd = new Int32Array(buf, control.ptr + 4 * SYNC_WORDS, Cmd.Words);
    this.arg = new Float64Array(buf, control.ptr + 8 * Math.ceil((SYNC_WORDS + Cmd.Words) / 2), Arg.Words);
    // unwrapped kernels (the trap-naming wrapper would box float arguments every call); command() and
    // serve() catch traps and name the kernel instead
    this.kernels = opts.wrap ? opts.wrap(this.arena.raw, this.arena.memory) : this.arena.raw;
    if (memory) return;
    // the columns of ones: set once, never written by a kernel (each layer writes fanOut columns)
    for (let l = 0; l < this.layers.length - 1; l++) {
      const { A, ldA } = this.layers[l], v = this.arena.view(A);
      for (let r = 0; r < this.rows; r++) v[r * ldA + ldA - 1] = 1;
    }
    const order = this.training?.batch?.order;
    if (order) {
      const idx = this.arena.viewI32(order);
      for (let i = 0; i < train; i++) idx[i] = i;
    }
  }

  get threads(): number {
    return this._threads;
  }

  /**
   * Runs the next commands on `threads` threads (at most shape.threads): the calling thread, and threads
   * 1..threads-1 that must each run serve() on this network's memory before the next command. The results
   * do not depend on it, so it may change between any two commands.
   */
  useThreads(threads: number): void {
    if (!(threads >= 1 && threads <= this.shape.threads)) throw new Error(`${threads} threads for a network planned for ${this.shape.threads}`);
    this._threads = threads;
    this.sync = new Sync(this.syncWords, threads);
  }

  /** Ends the current threads' job (see close), has `pool` attach `threads` - 1 workers, and runs on them all. */
  attachThreads(pool: ThreadAttacher, threads: number): void {
    this.close();
    pool.attach(this.arena.memory, { shape: this.shape, threads }, threads);
    this.useThreads(threads);
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

  /** Writes the training set: X is train × inputs (standardised), Y is train × classes one-hot. */
  setTrain(X: Float32Array, Y: Float32Array): void {
    this.writeSet(need(this.training, "training data").set, X, Y);
  }

  /** Writes the second set; Y may be omitted for prediction. */
  setEval(X: Float32Array, Y?: Float32Array): void {
    this.writeSet(need(this.evalSet, "an evaluation set"), X, Y);
  }

  private writeSet(set: DataSet, X: Float32Array, Y: Float32Array | undefined): void {
    const n = set.X.shape[0], inputs = this.inputs, v = this.arena.view(set.X);
    if (X.length !== n * inputs) throw new Error(`tensor ${set.X.name} holds ${n} rows of ${inputs}, got ${X.length} values`);
    for (let r = 0; r < n; r++) {
      v.set(X.subarray(r * inputs, (r + 1) * inputs), r * (inputs + 1));
      v[r * (inputs + 1) + inputs] = 1;
    }
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
    return {
      layers: [...this.sizes],
      W: this.layers.map((l) => this.weights(l).slice()),
      b: this.layers.map((l) => this.bias(l).slice()),
    };
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
    if (m) {
      const l = this.layers[Number(m[3]) - 1];
      if (!l) throw new Error(`no tensor named ${name}`);
      const all = this.arena.view(m[1] ? need(this.training, "gradients").layers[Number(m[3]) - 1].dW : l.W);
      return m[2] === "W" ? all.subarray(0, l.fanIn * l.fanOut) : all.subarray(l.fanIn * l.fanOut);
    }
    return this.arena.view(this.arena.layout.get(name));
  }

  // ---- the calling thread -------------------------------------------------------------------------------

  /**
   * One epoch: a single full-batch step, or a seeded shuffle and one step per mini-batch. When `stats` is
   * given it receives the loss and accuracy of the epoch's forward passes, each taken before its update
   * (for full batch, exactly the original's report).
   */
  epoch(opt: Optimizer, rng: MT19937 | undefined, stats?: Stats): void {
    const tr = need(this.training, "training data"), train = this.shape.train, batch = this.shape.batch;
    let correct = 0, loss = 0;
    const withStats = stats !== undefined;
    if (!tr.batch) {
      this.step(tr.set, train, 0, false, opt, withStats);
      if (withStats) { correct += this.sumCorrect(train); loss += this.sumLoss(train); }
    } else {
      if (rng) rng.shuffle(this.arena.viewI32(tr.batch.order));
      for (let start = 0; start < train; start += batch) {
        const rows = Math.min(batch, train - start);
        this.step(tr.batch, rows, start, true, opt, withStats);
        if (withStats) { correct += this.sumCorrect(rows); loss += this.sumLoss(rows); }
      }
    }
    if (stats) {
      stats.correct = correct;
      stats.loss = loss / train;
    }
  }

  private step(set: DataSet, rows: number, at: number, gather: boolean, opt: Optimizer, withStats: boolean): void {
    const c = this.cmd;
    c[Cmd.Kind] = Kind.Step;
    c[Cmd.X] = set.X.ptr;
    c[Cmd.Y] = set.Y.ptr;
    c[Cmd.Rows] = rows;
    c[Cmd.Stats] = withStats ? 1 : 0;
    c[Cmd.Gather] = gather ? 1 : 0;
    c[Cmd.At] = at;
    const a = this.arg;
    a[Arg.Lr] = opt.lr;
    a[Arg.P1] = opt.kind === "adam" ? opt.beta1 : opt.momentum;
    a[Arg.P2] = opt.beta2;
    a[Arg.Eps] = opt.eps;
    if (opt.kind === "adam") {
      const t = ++this.adamStep;
      a[Arg.C1] = 1 - Math.pow(opt.beta1, t);
      a[Arg.C2] = 1 - Math.pow(opt.beta2, t);
    }
    this.command();
  }

  /** Loss and accuracy over the whole training set with the current parameters. */
  trainStats(into: Stats = { correct: 0, loss: 0 }): Stats {
    const tr = need(this.training, "training data");
    return this.statsOver(tr.set, this.shape.train, into);
  }

  /** Loss and accuracy on the second set, with the current parameters. */
  evaluate(into: Stats = { correct: 0, loss: 0 }): Stats {
    return this.statsOver(need(this.evalSet, "an evaluation set"), this.shape.eval, into);
  }

  /** Forward passes over n rows of a set in chunks that fit the activations, summing loss and accuracy. */
  private statsOver(set: DataSet, n: number, into: Stats): Stats {
    const inputs = this.inputs + 1, C = this.classes;
    let correct = 0, loss = 0;
    for (let start = 0; start < n; start += this.rows) {
      const rows = Math.min(this.rows, n - start);
      this.forward(set.X.ptr + 4 * start * inputs, set.Y.ptr + 4 * start * C, rows, true);
      correct += this.sumCorrect(rows);
      loss += this.sumLoss(rows);
    }
    into.correct = correct;
    into.loss = loss / n;
    return into;
  }

  /** Forward pass over the second set; returns live views of its class probabilities (eval × classes). */
  predictEval(): Float32Array {
    const set = need(this.evalSet, "an evaluation set");
    this.forward(set.X.ptr, 0, this.shape.eval, false);
    return this.evalProbabilities();
  }

  /** The second set's class probabilities (eval × classes) from the latest evaluate() or predictEval(). */
  evalProbabilities(): Float32Array {
    return this.arena.view(this.P).subarray(0, this.shape.eval * this.classes);
  }

  private forward(x: number, y: number, rows: number, withStats: boolean): void {
    const c = this.cmd;
    c[Cmd.Kind] = Kind.Forward;
    c[Cmd.X] = x;
    c[Cmd.Y] = y;
    c[Cmd.Rows] = rows;
    c[Cmd.Stats] = withStats ? 1 : 0;
    this.command();
  }

  /** Σ of the per-row losses of the latest command, in row order (xent_loss's order). */
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

  /** Runs the command in the block on every thread (this one is thread 0) and waits for all of them. */
  private command(): void {
    try {
      this.sync.post();
      this.execute(0);
      this.sync.arrive();
    } catch (e) {
      throw this.failure(0, e);
    }
  }

  /**
   * Ends the other threads' serve() loops (they return to their pool) and goes on with this thread alone.
   * Waits until every thread has read the detach, so the next command cannot overwrite it first.
   */
  close(): void {
    if (this._threads === 1) return;
    if (!this.sync.failed) {
      this.cmd[Cmd.Kind] = Kind.Detach;
      this.sync.post();
      try {
        this.sync.arrive();
      } catch (e) {
        if (!(e instanceof ThreadFailure)) throw e;
      }
    }
    this.useThreads(1);
  }

  // ---- every thread -----------------------------------------------------------------------------------------

  /** A worker thread's loop: runs each command the calling thread posts until it detaches or a thread fails. */
  serve(thread: number): void {
    for (;;) {
      try {
        this.sync.next();
        if (this.cmd[Cmd.Kind] === Kind.Detach) {
          this.sync.arrive();
          return;
        }
        this.execute(thread);
        this.sync.arrive();
      } catch (e) {
        if (!(e instanceof ThreadFailure)) this.failure(thread, e);
        return;
      }
    }
  }

  /** Tells every thread that this one failed, and the error to throw for it. */
  private failure(thread: number, e: unknown): unknown {
    if (e instanceof ThreadFailure) {
      const name = e.detail >= 0 ? this.arena.kernelNames[e.detail] : "(unknown)";
      return new KernelTrap(`kernel ${name} trapped (thread ${e.thread})`);
    }
    const explained = this.arena.explainTrap(e);
    if (!this.sync.failed) this.sync.fail(thread, explained instanceof KernelTrap ? this.arena.kernelIndex(explained) : -1);
    return explained;
  }

  private execute(t: number): void {
    const kind = this.cmd[Cmd.Kind];
    if (kind === Kind.Step) this.runStep(t);
    else if (kind === Kind.Forward) this.runForward(t);
  }

  /**
   * This thread's share of one optimiser step on the rows of the command. Per slice of rows: forward,
   * softmax and deltas of the thread's rows; a barrier (every row's deltas are in); the thread's rows of each
   * dW, summed over the slice's rows in order. Then the thread's rows of each W are updated. Barriers per
   * step: one per slice, and the one command() ends with (the original's full batch of 1797 rows in slices
   * of 512: 4 + 1). No barrier between the last dW and the update: a thread updates only its own rows of W,
   * and nothing reads W again before the next step's command.
   */
  private runStep(t: number): void {
    const c = this.cmd, tr = need(this.training, "training data"), T = this.threads, n = c[Cmd.Rows];
    const x = c[Cmd.X], y = c[Cmd.Y], gather = c[Cmd.Gather] === 1, slice = this.shape.sliceRows;
    for (let s0 = 0; s0 < n; s0 += slice) {
      const s1 = Math.min(n, s0 + slice), r0 = share(s0, s1, t, T), r1 = share(s0, s1, t + 1, T);
      if (r1 > r0) {
        if (gather) this.gather(tr, c[Cmd.At], r0, r1);
        this.rowsForward(x, r0, r1, t);
        this.rowsBackward(tr, y, r0, r1, n, c[Cmd.Stats] === 1, t);
      }
      this.sync.arrive();
      this.gradients(tr, x, t, s0, s1);
    }
    this.update(tr, t);
  }

  /** Forward pass of rows [r0, r1), and P = softmax of the logits (plus the rows' stats when asked). */
  private runForward(t: number): void {
    const c = this.cmd, n = c[Cmd.Rows], r0 = share(0, n, t, this.threads), r1 = share(0, n, t + 1, this.threads);
    if (r1 <= r0) return;
    const C = this.classes, z = this.layers[this.layers.length - 1].A.ptr + 4 * r0 * C, p = this.P.ptr + 4 * r0 * C;
    this.rowsForward(c[Cmd.X], r0, r1, t);
    this.kernels.softmax_rows(z, p, r1 - r0, C);
    if (c[Cmd.Stats] === 1) this.rowStats(z, p, c[Cmd.Y] + 4 * r0 * C, r0, r1);
  }

  /** Rows [r0, r1) of the mini-batch from the training set, in the epoch's shuffled order. */
  private gather(tr: Training, at: number, r0: number, r1: number): void {
    const b = need(tr.batch, "a mini-batch"), order = b.order.ptr + 4 * (at + r0), C = this.classes, ld = this.inputs + 1;
    this.kernels.gather_rows(tr.set.X.ptr, order, b.X.ptr + 4 * r0 * ld, r1 - r0, ld);
    this.kernels.gather_rows(tr.set.Y.ptr, order, b.Y.ptr + 4 * r0 * C, r1 - r0, C);
  }

  /** Every layer's outputs for rows [r0, r1) of the inputs at x: ReLU(input·W) for hidden layers, logits last. */
  private rowsForward(x: number, r0: number, r1: number, t: number): void {
    const k = this.kernels, L = this.layers, scratch = this.scratch[t].ptr;
    let input = x + 4 * r0 * (this.inputs + 1), ld = this.inputs + 1;
    for (let i = 0; i < L.length; i++) {
      const l = L[i], out = l.A.ptr + 4 * r0 * l.ldA;
      k.gemm(i < L.length - 1 ? GemmFlags.RELU : 0, input, 4 * ld, 4, l.W.ptr, 4 * l.fanOut, 4, out, 4 * l.ldA,
        r1 - r0, l.fanIn + 1, l.fanOut, 0, scratch);
      input = out;
      ld = l.ldA;
    }
  }

  /**
   * For rows [r0, r1) after the forward pass: P = softmax, the top delta G = (P - Y) / n, each layer's delta
   * below it, G_below = (G · Wᵀ) ⊙ (A_below > 0), and the rows' loss and correctness when asked.
   */
  private rowsBackward(tr: Training, y: number, r0: number, r1: number, n: number, withStats: boolean, t: number): void {
    const k = this.kernels, L = tr.layers, top = L[L.length - 1], C = this.classes, scratch = this.scratch[t].ptr;
    const z = top.A.ptr + 4 * r0 * C, p = this.P.ptr + 4 * r0 * C, yr = y + 4 * r0 * C;
    k.softmax_xent(z, yr, p, top.G.ptr + 4 * r0 * C, r1 - r0, C, n);
    if (withStats) this.rowStats(z, p, yr, r0, r1);
    for (let i = L.length - 1; i > 0; i--) {
      const l = L[i], below = L[i - 1];
      k.gemm(GemmFlags.MASK, l.G.ptr + 4 * r0 * l.ldA, 4 * l.ldA, 4, l.W.ptr, 4, 4 * l.fanOut,
        below.G.ptr + 4 * r0 * below.ldA, 4 * below.ldA, r1 - r0, l.fanOut, l.fanIn, below.A.ptr + 4 * r0 * below.ldA, scratch);
    }
  }

  /** Rows [r0, r1)'s cross-entropy and correctness, from their logits z, probabilities p and targets y. */
  private rowStats(z: number, p: number, y: number, r0: number, r1: number): void {
    this.kernels.xent_rows(z, p, y, this.rowLoss.byteOffset + 8 * r0, this.rowCorrect.byteOffset + 4 * r0, r1 - r0, this.classes);
  }

  /** This thread's rows of every dWb, plus Σ over rows [s0, s1) of input_rowᵀ · G_row (from 0 when s0 == 0). */
  private gradients(tr: Training, x: number, t: number, s0: number, s1: number): void {
    const k = this.kernels, L = tr.layers, T = this.threads, scratch = this.scratch[t].ptr;
    for (let i = 0; i < L.length; i++) {
      const l = L[i], i0 = share(0, l.fanIn + 1, t, T), i1 = share(0, l.fanIn + 1, t + 1, T);
      if (i1 <= i0) continue;
      const input = i > 0 ? L[i - 1].A.ptr : x, ld = i > 0 ? L[i - 1].ldA : this.inputs + 1;
      k.gemm(s0 > 0 ? GemmFlags.INIT_ACC : 0, input + 4 * (s0 * ld + i0), 4, 4 * ld, l.G.ptr + 4 * s0 * l.ldA, 4 * l.ldA, 4,
        l.dW.ptr + 4 * i0 * l.fanOut, 4 * l.fanOut, i1 - i0, s1 - s0, l.fanOut, 0, scratch);
    }
  }

  /** The optimiser's update of this thread's rows of every W (bias row included), from its rows of dW. */
  private update(tr: Training, t: number): void {
    const k = this.kernels, a = this.arg, T = this.threads, lr = a[Arg.Lr];
    for (let i = 0; i < tr.layers.length; i++) {
      const l = tr.layers[i], i0 = share(0, l.fanIn + 1, t, T), i1 = share(0, l.fanIn + 1, t + 1, T), n = (i1 - i0) * l.fanOut;
      if (n <= 0) continue;
      const o = 4 * i0 * l.fanOut, w = l.W.ptr + o, g = l.dW.ptr + o;
      if (this.optCode === 0) k.sgd(w, g, n, lr);
      else if (this.optCode === 1) k.momentum(w, g, l.state[0].ptr + o, n, lr, a[Arg.P1]);
      else k.adam(w, g, l.state[0].ptr + o, l.state[1].ptr + o, n, lr, a[Arg.P1], a[Arg.P2], a[Arg.Eps], a[Arg.C1], a[Arg.C2]);
    }
  }
}

/** Optimiser state tensors per weight tensor. */
const STATE_TENSORS: Record<OptimizerKind, number> = { sgd: 0, momentum: 1, adam: 2 };

/** The shape with its defaults, the batch clamped to 1..train (0 without training data) and its own layer list. */
function fullShape(shape: NetworkShape): Required<NetworkShape> {
  return {
    ...shape,
    layers: [...shape.layers],
    batch: shape.train > 0 ? Math.min(Math.max(1, shape.batch), shape.train) : 0,
    threads: Math.max(1, shape.threads ?? 1),
    sliceRows: shape.sliceRows ?? SLICE_ROWS,
  };
}

/** Rows the activation buffers hold: a batch, or the second set, whichever is larger. */
function activationRows(shape: Required<NetworkShape>): number {
  return Math.max(shape.batch, shape.eval, 1);
}

/** Where thread t's part of [a, b) starts when T threads split it (at multiples of 4 from a: whole tiles). */
export function share(a: number, b: number, t: number, T: number): number {
  if (t >= T) return b;
  return Math.min(b, a + 4 * Math.floor(((b - a) * t) / (4 * T)));
}

function need<T>(t: T | undefined, what: string): T {
  if (t === undefined) throw new Error(`this network was built without ${what}`);
  return t;
}
