// A dense ReLU network with a softmax output whose every tensor lives in one arena: parameters, gradients,
// optimiser state, activations, the training data (and a shuffled mini-batch of it), and an optional second
// data set for evaluation or prediction. Everything is placed once at construction; a training step is a
// fixed sequence of kernel calls on fixed pointers, so an epoch allocates nothing and copies nothing outside
// wasm memory.

import { Arena, GEMM_SCRATCH_BYTES, Layout, MAX_BYTES, tooBig, type Tensor } from "./arena.js";
import { UsageError } from "./errors.js";
import type { CompiledKernels, KernelExports } from "./kernels.js";
import type { Params } from "./init.js";
import type { MT19937 } from "./mt19937.js";

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

/** The learning rate when none is given: the seed's 0.1, or Adam's customary 0.001. */
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
}

export interface Stats {
  /** Rows whose predicted class is the true one. */
  correct: number;
  /** Mean cross-entropy. */
  loss: number;
}

interface Layer {
  readonly fanIn: number;
  readonly fanOut: number;
  readonly W: Tensor;
  readonly b: Tensor;
  /** Output: ReLU activations for hidden layers, logits for the last. */
  readonly A: Tensor;
  /** Gradient of the loss with respect to this layer's pre-activation output. */
  readonly G: Tensor | undefined;
  readonly dW: Tensor | undefined;
  readonly db: Tensor | undefined;
  /** Optimiser state: momentum's velocity, or Adam's first moment. */
  readonly sW: Tensor | undefined;
  readonly sb: Tensor | undefined;
  /** Adam's second moment. */
  readonly s2W: Tensor | undefined;
  readonly s2b: Tensor | undefined;
}

export class Network {
  readonly arena: Arena;
  readonly shape: NetworkShape;
  private readonly k: KernelExports;
  private readonly L: Layer[] = [];
  readonly Xt: Tensor | undefined;
  readonly Yt: Tensor | undefined;
  readonly Xe: Tensor | undefined;
  readonly Ye: Tensor | undefined;
  private readonly Xb: Tensor | undefined;
  private readonly Yb: Tensor | undefined;
  private readonly idx: Tensor | undefined;
  /** The view of idx: the row order of the current epoch's mini-batches. */
  private readonly order: Int32Array | undefined;
  private readonly P: Tensor;
  /** Where the matrix kernels pack their operands. */
  private readonly scratch: Tensor;
  private readonly acc: Stats = { correct: 0, loss: 0 };
  /** Rows the activation buffers hold: a forward pass over more runs in chunks of this many. */
  private readonly rows: number;
  private adamStep = 0;

  /**
   * Places every tensor of a network of this shape, without creating any memory: `plan(shape).bytes` is what
   * it would need, so a caller can refuse a shape before allocating anything.
   */
  static plan(shape: NetworkShape): Layout {
    const { layers, train, eval: ne, optimizer } = shape;
    if (layers.length < 2) throw new Error("a network needs an input and an output layer");
    const batch = train > 0 ? Math.min(Math.max(1, shape.batch), train) : 0;
    const layout = new Layout();
    const inputs = layers[0], classes = layers[layers.length - 1];
    const rows = Math.max(batch, ne, 1);
    if (train > 0) {
      layout.add("Xt", train, inputs);
      layout.add("Yt", train, classes);
      if (batch < train) {
        layout.add("Xb", batch, inputs);
        layout.add("Yb", batch, classes);
        layout.add("idx", train);
      }
    }
    if (ne > 0) {
      layout.add("Xe", ne, inputs);
      layout.add("Ye", ne, classes);
    }
    for (let l = 1; l < layers.length; l++) {
      const fanIn = layers[l - 1], fanOut = layers[l];
      layout.add(`W${l}`, fanIn, fanOut);
      layout.add(`b${l}`, fanOut);
      layout.add(`A${l}`, rows, fanOut);
      if (train > 0) {
        layout.add(`G${l}`, batch, fanOut);
        layout.add(`dW${l}`, fanIn, fanOut);
        layout.add(`db${l}`, fanOut);
        if (optimizer !== "sgd") {
          layout.add(`sW${l}`, fanIn, fanOut);
          layout.add(`sb${l}`, fanOut);
        }
        if (optimizer === "adam") {
          layout.add(`s2W${l}`, fanIn, fanOut);
          layout.add(`s2b${l}`, fanOut);
        }
      }
    }
    layout.add("P", rows, classes);
    layout.add("scratch", GEMM_SCRATCH_BYTES / 4);
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

  constructor(kernels: CompiledKernels, shape: NetworkShape) {
    const layout = Network.plan(shape);
    const { layers, train, eval: ne } = shape;
    const batch = train > 0 ? Math.min(Math.max(1, shape.batch), train) : 0;
    this.shape = { ...shape, layers: [...layers], batch };
    this.rows = Math.max(batch, ne, 1);
    const t = (name: string) => (layout.has(name) ? layout.get(name) : undefined);
    this.Xt = t("Xt");
    this.Yt = t("Yt");
    this.Xb = t("Xb");
    this.Yb = t("Yb");
    this.idx = t("idx");
    this.Xe = t("Xe");
    this.Ye = t("Ye");
    for (let l = 1; l < layers.length; l++) {
      this.L.push({
        fanIn: layers[l - 1],
        fanOut: layers[l],
        W: layout.get(`W${l}`),
        b: layout.get(`b${l}`),
        A: layout.get(`A${l}`),
        G: t(`G${l}`),
        dW: t(`dW${l}`),
        db: t(`db${l}`),
        sW: t(`sW${l}`),
        sb: t(`sb${l}`),
        s2W: t(`s2W${l}`),
        s2b: t(`s2b${l}`),
      });
    }
    this.P = layout.get("P");
    this.scratch = layout.get("scratch");
    this.arena = new Arena(kernels, layout);
    // unwrapped kernels (the trap-naming wrapper would box float arguments every call); the public
    // methods below catch traps and name the kernel with explainTrap instead
    this.k = this.arena.raw;
    if (this.idx) {
      this.order = this.arena.viewI32(this.idx);
      for (let i = 0; i < train; i++) this.order[i] = i;
    }
  }

  get layers(): readonly number[] {
    return this.shape.layers;
  }

  /** Writes the training set: X is train × inputs (standardised), Y is train × classes one-hot. */
  setTrain(X: Float32Array, Y: Float32Array): void {
    this.arena.write(need(this.Xt, "training data"), X);
    this.arena.write(need(this.Yt, "training data"), Y);
  }

  /** Writes the second set; Y may be omitted for prediction. */
  setEval(X: Float32Array, Y?: Float32Array): void {
    this.arena.write(need(this.Xe, "an evaluation set"), X);
    if (Y) this.arena.write(need(this.Ye, "an evaluation set"), Y);
  }

  setParams(p: Params): void {
    this.L.forEach((layer, i) => {
      this.arena.write(layer.W, p.W[i]);
      this.arena.write(layer.b, p.b[i]);
    });
  }

  /** A copy of the current parameters. */
  getParams(): Params {
    return {
      layers: [...this.layers],
      W: this.L.map((l) => this.arena.view(l.W).slice()),
      b: this.L.map((l) => this.arena.view(l.b).slice()),
    };
  }

  /** Copies the current parameters into `into` (same shapes), allocating nothing. */
  copyParams(into: Params): void {
    this.L.forEach((l, i) => {
      into.W[i].set(this.arena.view(l.W));
      into.b[i].set(this.arena.view(l.b));
    });
  }

  /** Hidden layers A = relu(input·W + b); the last layer's A holds the logits of `rows` rows from x. */
  private logits(x: number, rows: number): void {
    const k = this.k, L = this.L, last = L.length - 1;
    let input = x;
    for (let i = 0; i <= last; i++) {
      const l = L[i];
      k.dense_forward(input, l.W.ptr, l.b.ptr, l.A.ptr, rows, l.fanIn, l.fanOut, i < last ? 1 : 0, this.scratch.ptr);
      input = l.A.ptr;
    }
  }

  /** Forward pass of `rows` rows at x: logits, then P = softmax. */
  private forwardAt(x: number, rows: number): void {
    const out = this.L[this.L.length - 1];
    this.logits(x, rows);
    this.k.softmax_rows(out.A.ptr, this.P.ptr, rows, out.fanOut);
  }

  /** Adds the correct count and the summed loss of the latest forward pass (rows rows, targets at y). */
  private accumulate(y: number, rows: number): void {
    const k = this.k, out = this.L[this.L.length - 1];
    this.acc.correct += k.count_correct(this.P.ptr, y, rows, out.fanOut);
    this.acc.loss += k.xent_loss(out.A.ptr, y, rows, out.fanOut);
  }

  /** Loss and accuracy over the whole training set with the current parameters. */
  trainStats(into: Stats = { correct: 0, loss: 0 }): Stats {
    try {
      return this.statsOver(need(this.Xt, "training data"), need(this.Yt, "training data"), this.shape.train, into);
    } catch (e) {
      throw this.arena.explainTrap(e);
    }
  }

  /** Forward passes over n rows of x in chunks that fit the activations, summing loss and accuracy against y. */
  private statsOver(x: Tensor, y: Tensor, n: number, into: Stats): Stats {
    const inputs = this.layers[0], C = this.layers[this.layers.length - 1];
    this.clearAcc();
    for (let start = 0; start < n; start += this.rows) {
      const rows = Math.min(this.rows, n - start);
      this.forwardAt(x.ptr + start * inputs * 4, rows);
      this.accumulate(y.ptr + start * C * 4, rows);
    }
    return this.collect(into, n);
  }

  private clearAcc(): void {
    this.acc.correct = 0;
    this.acc.loss = 0;
  }

  /** The accumulated counts as accuracy and mean loss over n rows. */
  private collect(into: Stats, n: number): Stats {
    into.correct = this.acc.correct;
    into.loss = this.acc.loss / n;
    return into;
  }

  /** Forward pass over the second set; returns live views of its class probabilities (eval × classes). */
  predictEval(): Float32Array {
    try {
      const ne = this.shape.eval, C = this.layers[this.layers.length - 1];
      this.forwardAt(need(this.Xe, "an evaluation set").ptr, ne);
      return this.evalProbabilities();
    } catch (e) {
      throw this.arena.explainTrap(e);
    }
  }

  /** The second set's class probabilities (eval × classes) from the latest evaluate() or predictEval(). */
  evalProbabilities(): Float32Array {
    return this.arena.view(this.P).subarray(0, this.shape.eval * this.layers[this.layers.length - 1]);
  }

  /** Loss and accuracy on the second set, with the current parameters. */
  evaluate(into: Stats = { correct: 0, loss: 0 }): Stats {
    try {
      return this.statsOver(need(this.Xe, "an evaluation set"), need(this.Ye, "an evaluation set"), this.shape.eval, into);
    } catch (e) {
      throw this.arena.explainTrap(e);
    }
  }

  /**
   * One epoch: a single full-batch step, or a seeded shuffle and one step per mini-batch. When `stats` is
   * given it receives the loss and accuracy of the epoch's forward passes, each taken before its update
   * (for full batch, exactly the seed's report).
   */
  epoch(opt: Optimizer, rng: MT19937 | undefined, stats?: Stats): void {
    try {
      const train = this.shape.train, batch = this.shape.batch;
      const Xt = need(this.Xt, "training data"), Yt = need(this.Yt, "training data");
      this.clearAcc();
      if (batch >= train) {
        this.step(Xt.ptr, Yt.ptr, train, opt, stats !== undefined);
      } else {
        const k = this.k, inputs = this.layers[0], C = this.layers[this.layers.length - 1];
        const idx = this.order!;
        if (rng) rng.shuffle(idx);
        for (let start = 0; start < train; start += batch) {
          const rows = Math.min(batch, train - start), at = this.idx!.ptr + start * 4;
          k.gather_rows(Xt.ptr, at, this.Xb!.ptr, rows, inputs);
          k.gather_rows(Yt.ptr, at, this.Yb!.ptr, rows, C);
          this.step(this.Xb!.ptr, this.Yb!.ptr, rows, opt, stats !== undefined);
        }
      }
      if (stats) this.collect(stats, train);
    } catch (e) {
      throw this.arena.explainTrap(e);
    }
  }

  /** One optimiser step on `rows` rows at x (inputs) and y (one-hot targets). */
  private step(x: number, y: number, rows: number, opt: Optimizer, withStats: boolean): void {
    const k = this.k, L = this.L, out = L[L.length - 1];
    this.logits(x, rows);
    k.softmax_xent(out.A.ptr, y, this.P.ptr, out.G!.ptr, rows, out.fanOut);
    if (withStats) this.accumulate(y, rows);
    this.gradients(x, rows);
    if (opt.kind === "sgd") {
      for (let i = 0; i < L.length; i++) {
        const l = L[i];
        k.sgd(l.W.ptr, l.dW!.ptr, l.fanIn * l.fanOut, opt.lr);
        k.sgd(l.b.ptr, l.db!.ptr, l.fanOut, opt.lr);
      }
    } else if (opt.kind === "momentum") {
      for (let i = 0; i < L.length; i++) {
        const l = L[i];
        k.momentum(l.W.ptr, l.dW!.ptr, l.sW!.ptr, l.fanIn * l.fanOut, opt.lr, opt.momentum);
        k.momentum(l.b.ptr, l.db!.ptr, l.sb!.ptr, l.fanOut, opt.lr, opt.momentum);
      }
    } else {
      const t = ++this.adamStep;
      const c1 = 1 - Math.pow(opt.beta1, t), c2 = 1 - Math.pow(opt.beta2, t);
      for (let i = 0; i < L.length; i++) {
        const l = L[i];
        k.adam(l.W.ptr, l.dW!.ptr, l.sW!.ptr, l.s2W!.ptr, l.fanIn * l.fanOut, opt.lr, opt.beta1, opt.beta2, opt.eps, c1, c2);
        k.adam(l.b.ptr, l.db!.ptr, l.sb!.ptr, l.s2b!.ptr, l.fanOut, opt.lr, opt.beta1, opt.beta2, opt.eps, c1, c2);
      }
    }
  }

  /** dW and db of every layer, given the top layer's G, for `rows` rows of input x. */
  private gradients(x: number, rows: number): void {
    const k = this.k, L = this.L;
    for (let i = L.length - 1; i >= 0; i--) {
      const l = L[i];
      k.gemm_tn(i > 0 ? L[i - 1].A.ptr : x, l.G!.ptr, l.dW!.ptr, l.fanIn, rows, l.fanOut, this.scratch.ptr);
      k.colsum(l.G!.ptr, l.db!.ptr, rows, l.fanOut);
      if (i > 0) this.deltaBelow(l, L[i - 1], rows);
    }
  }

  /** G_below = (G · Wᵀ) ⊙ (A_below > 0) */
  private deltaBelow(l: Layer, below: Layer, rows: number): void {
    this.k.gemm_nt(l.G!.ptr, l.W.ptr, below.G!.ptr, rows, l.fanOut, l.fanIn, this.scratch.ptr);
    this.k.relu_backward(below.G!.ptr, below.A.ptr, below.G!.ptr, rows * l.fanIn);
  }

  /** Live views by tensor name (W1, dW1, A1, P, ...), for tests and inspection. */
  view(name: string): Float32Array {
    return this.arena.view(this.arena.layout.get(name));
  }
}

function need(t: Tensor | undefined, what: string): Tensor {
  if (!t) throw new Error(`this network was built without ${what}`);
  return t;
}
