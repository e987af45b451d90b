// A full-batch SGD epoch in plain TypeScript: the same forward, backward and update as Network.step (sgd)
// in src/network.ts, call for call, but with the reference kernels of src/reference/ on Float32Arrays. It is
// the "no wasm" baseline of the epoch benchmark: what the wasm builds buy over straightforward JavaScript.
//
// Per step, for layers 1..L (ReLU on all but the last):
//   A_l = dense_forward(A_{l-1}, W_l, b_l)            (A_0 = X)
//   P, G_L = softmax_xent(A_L, Y)                      (G = (P - Y) / rows)
//   for l = L..1:
//     dW_l = gemm_tn(A_{l-1}, G_l) ; db_l = colsum(G_l)
//     if l > 1: G_{l-1} = gemm_nt(G_l, W_l) ; relu_backward(G_{l-1}, A_{l-1})
//   for l = 1..L: W_l -= lr·dW_l ; b_l -= lr·db_l      (sgd)
// Everything is allocated in the constructor; an epoch allocates nothing.

import * as gemm from "../src/reference/gemm.js";
import * as act from "../src/reference/activations.js";
import * as soft from "../src/reference/softmax.js";
import * as optim from "../src/reference/optim.js";
import type { Params } from "../src/init.js";

/** One kernel call of an epoch, for the "where the time goes" breakdown. */
export interface EpochCall {
  /** Kernel and shape, e.g. "dense_forward 1797x64·64x32 +b +ReLU". */
  readonly label: string;
  readonly run: () => void;
}

/** Labels shared by the wasm and TypeScript plans, so their breakdowns line up row for row. */
export const callLabel = {
  dense: (rows: number, fanIn: number, fanOut: number, relu: boolean) =>
    `dense_forward ${rows}x${fanIn}·${fanIn}x${fanOut} +b${relu ? " +ReLU" : ""}`,
  softmax: (rows: number, C: number) => `softmax_xent ${rows}x${C}`,
  nt: (rows: number, fanOut: number, fanIn: number) => `gemm_nt ${rows}x${fanOut}·(${fanIn}x${fanOut})ᵀ`,
  reluBack: (rows: number, n: number) => `relu_backward ${rows}x${n}`,
  colsum: (rows: number, n: number) => `colsum ${rows}x${n}`,
  sgd: (name: string, n: number) => `sgd ${name} (${n})`,
  tn: (fanIn: number, rows: number, fanOut: number) => `gemm_tn dW${fanIn}x${fanOut} = (${rows}x${fanIn})ᵀ·${rows}x${fanOut}`,
};

export class ReferenceNetwork {
  readonly layers: readonly number[];
  readonly rows: number;
  readonly lr: number;
  private readonly X: Float32Array;
  private readonly Y: Float32Array;
  private readonly W: Float32Array[];
  private readonly b: Float32Array[];
  private readonly A: Float32Array[];
  private readonly G: Float32Array[];
  private readonly db: Float32Array[];
  private readonly dW: Float32Array[];
  private readonly P: Float32Array;
  private readonly plan: EpochCall[];

  /** X: rows × inputs, standardised; Y: rows × classes, one-hot; params are copied. */
  constructor(layers: readonly number[], X: Float32Array, Y: Float32Array, params: Params, lr: number) {
    const inputs = layers[0], classes = layers[layers.length - 1];
    const rows = X.length / inputs;
    if (!Number.isInteger(rows) || Y.length !== rows * classes) throw new Error("X and Y do not match the layer sizes");
    this.layers = [...layers];
    this.rows = rows;
    this.lr = lr;
    this.X = X;
    this.Y = Y;
    this.W = params.W.map((w) => w.slice());
    this.b = params.b.map((b) => b.slice());
    const outs = layers.slice(1);
    this.A = outs.map((n) => new Float32Array(rows * n));
    this.G = outs.map((n) => new Float32Array(rows * n));
    this.db = outs.map((n) => new Float32Array(n));
    this.dW = this.W.map((w) => new Float32Array(w.length));
    this.P = new Float32Array(rows * classes);
    this.plan = this.buildPlan();
  }

  /** One full-batch SGD step. */
  epoch(): void {
    const plan = this.plan;
    for (let i = 0; i < plan.length; i++) plan[i].run();
  }

  /** The epoch's kernel calls in order (the same closures epoch() runs). */
  calls(): readonly EpochCall[] {
    return this.plan;
  }

  /** Mean cross-entropy of the current weights on the training set (a forward pass; for sanity checks). */
  loss(): number {
    this.forward();
    const C = this.layers[this.layers.length - 1];
    return soft.xent_loss(this.A[this.A.length - 1], this.Y, this.rows, C) / this.rows;
  }

  /** A copy of the current parameters. */
  params(): Params {
    return { layers: [...this.layers], W: this.W.map((w) => w.slice()), b: this.b.map((b) => b.slice()) };
  }

  private forward(): void {
    const L = this.W.length;
    for (let l = 0; l < L; l++) {
      const input = l === 0 ? this.X : this.A[l - 1];
      gemm.dense_forward(input, this.W[l], this.b[l], this.A[l], this.rows, this.layers[l], this.layers[l + 1], l < L - 1 ? 1 : 0);
    }
  }

  private buildPlan(): EpochCall[] {
    const { rows, lr, layers, X, Y, W, b, A, G, db, dW, P } = this;
    const L = W.length, C = layers[L];
    const plan: EpochCall[] = [];
    for (let l = 0; l < L; l++) {
      const input = l === 0 ? X : A[l - 1], fanIn = layers[l], fanOut = layers[l + 1], relu = l < L - 1 ? 1 : 0;
      const w = W[l], bias = b[l], out = A[l];
      plan.push({ label: callLabel.dense(rows, fanIn, fanOut, relu === 1), run: () => gemm.dense_forward(input, w, bias, out, rows, fanIn, fanOut, relu) });
    }
    const logits = A[L - 1], gTop = G[L - 1];
    plan.push({ label: callLabel.softmax(rows, C), run: () => soft.softmax_xent(logits, Y, P, gTop, rows, C) });
    for (let l = L - 1; l >= 0; l--) {
      const fanIn = layers[l], fanOut = layers[l + 1], g = G[l], w = W[l], d = db[l], dw = dW[l];
      const input = l === 0 ? X : A[l - 1];
      plan.push({ label: callLabel.tn(fanIn, rows, fanOut), run: () => gemm.gemm_tn(input, g, dw, fanIn, rows, fanOut) });
      plan.push({ label: callLabel.colsum(rows, fanOut), run: () => optim.colsum(g, d, rows, fanOut) });
      if (l > 0) {
        const below = G[l - 1], act_ = A[l - 1];
        plan.push({ label: callLabel.nt(rows, fanOut, fanIn), run: () => gemm.gemm_nt(g, w, below, rows, fanOut, fanIn) });
        plan.push({ label: callLabel.reluBack(rows, fanIn), run: () => act.relu_backward(below, act_, below, rows * fanIn) });
      }
    }
    for (let l = 0; l < L; l++) {
      const w = W[l], bias = b[l], d = db[l], dw = dW[l], fanIn = layers[l], fanOut = layers[l + 1];
      plan.push({ label: callLabel.sgd(`W${l + 1}`, fanIn * fanOut), run: () => optim.sgd(w, dw, fanIn * fanOut, lr) });
      plan.push({ label: callLabel.sgd(`b${l + 1}`, fanOut), run: () => optim.sgd(bias, d, fanOut, lr) });
    }
    return plan;
  }
}
