// One training step and one forward pass, as every thread does them: a fixed list of kernel calls on the
// network's tensors. Each layer's maths is a named function with its shapes in a comment; `trainStep` and
// `forwardPass` are the whole step, in order. The forward pass runs from here; the training step runs as the
// module's train_step (assembly/step.ts), the same calls in the same order in one wasm call a thread, and
// from here only on wrapped kernels (the twins, the bench's per-call timer), which is how the two are held
// to the same bits (test/kernels/train-step.test.ts).
//
// Work is split by outputs, never by a sum, so any thread count gives the same bits: thread t of T owns rows
// [r0, r1) of the batch for the forward pass, softmax and deltas, and rows [i0, i1) of each weight gradient
// (the weights leaving a group of inputs), which it sums over the whole batch in row order and then updates.
// Shapes: n rows in the step; a layer maps fanIn inputs (+1, the column of ones) to fanOut outputs; strides
// in the kernel calls are bytes.

import type { KernelExports } from "./kernels.js";
import { GemmFlags } from "./kernels.js";
import { Arg, Cmd } from "./commands.js";
import type { OptimizerKind } from "./optimizers.js";
import type { ACTIVATION_TABLE, ActivationKind } from "./activations.js";
import type { Layer, LossKind, NetworkTensors, Training, TrainLayer } from "./plan.js";

/** What a thread needs to run the step here: the kernels, the tensors, and the barrier it meets the others at. */
export interface StepContext {
  readonly k: KernelExports;
  readonly net: NetworkTensors;
  /** Features per input row (its stride is inputs + 1: the column of ones). */
  readonly inputs: number;
  readonly classes: number;
  readonly sliceRows: number;
  readonly optimizer: OptimizerKind;
  /** The hidden layers' activation, and dropout's probability and seed (training only; p 0: none). */
  readonly act: (typeof ACTIVATION_TABLE)[ActivationKind];
  readonly dropout: number;
  readonly seed: number;
  /** Softmax and cross-entropy, or linear outputs and mean squared error. */
  readonly loss: LossKind;
  readonly barrier: () => void;
}

/**
 * Thread t's share of one optimiser step on the command's rows. Per slice of rows: its rows' forward pass,
 * softmax and deltas; a barrier (every row's deltas are in); its rows of each dW, summed over the slice's
 * rows in order. Then its rows of each W are updated: no barrier is needed before that, since a thread
 * updates only its own rows of W and nothing reads W again before the next command.
 */
export function trainStep(s: StepContext, c: Int32Array, a: Float64Array, t: number, T: number): void {
  const tr = s.net.training!, L = tr.layers, scratch = s.net.scratch[t].ptr, n = c[Cmd.Rows], x = c[Cmd.X];
  for (let s0 = 0; s0 < n; s0 += s.sliceRows) {
    const s1 = Math.min(n, s0 + s.sliceRows), r0 = share(s0, s1, t, T), r1 = share(s0, s1, t + 1, T);
    if (r1 > r0) {
      if (c[Cmd.Gather] === 1) gatherRows(s, tr, c[Cmd.At], r0, r1);
      for (let i = 0; i < L.length - 1; i++) hiddenForward(s, L[i], i, i > 0 ? L[i - 1].A.ptr : x, i > 0 ? L[i - 1].ldA : s.inputs + 1, r0, r1, scratch, c[Cmd.StepNo]);
      layerForward(s.k, L[L.length - 1], L.length > 1 ? L[L.length - 2].A.ptr : x, L.length > 1 ? L[L.length - 2].ldA : s.inputs + 1, r0, r1, 0, scratch);
      outputDelta(s.k, L[L.length - 1], s.net.P.ptr, c[Cmd.Y], r0, r1, n, s.loss);
      if (c[Cmd.Stats] === 1) rowStats(s, c[Cmd.Y], r0, r1);
      for (let i = L.length - 1; i > 0; i--) hiddenDelta(s, L[i], L[i - 1], i - 1, r0, r1, scratch, c[Cmd.StepNo]);
    }
    s.barrier();
    for (let i = 0; i < L.length; i++) {
      const input = i > 0 ? L[i - 1].A.ptr : x, ld = i > 0 ? L[i - 1].ldA : s.inputs + 1;
      weightGradient(s.k, L[i], input, ld, s0, s1, share(0, L[i].fanIn + 1, t, T), share(0, L[i].fanIn + 1, t + 1, T), scratch);
    }
  }
  for (let i = 0; i < L.length; i++) update(s.k, s.optimizer, L[i], a, share(0, L[i].fanIn + 1, t, T), share(0, L[i].fanIn + 1, t + 1, T));
}

/**
 * Thread t's rows of a forward pass over the command's rows: P = softmax of the logits (with the mse loss the
 * outputs stay in the output layer's A), and the rows' stats when asked.
 */
export function forwardPass(s: StepContext, c: Int32Array, t: number, T: number): void {
  const n = c[Cmd.Rows], r0 = share(0, n, t, T), r1 = share(0, n, t + 1, T);
  if (r1 <= r0) return;
  const C = s.classes, z = s.net.layers[s.net.layers.length - 1].A.ptr + 4 * r0 * C;
  forwardRows(s, c[Cmd.X], r0, r1, s.net.scratch[t].ptr);
  if (s.loss === "xent") s.k.softmax_rows(z, s.net.P.ptr + 4 * r0 * C, r1 - r0, C);
  if (c[Cmd.Stats] === 1) rowStats(s, c[Cmd.Y], r0, r1);
}

/** Every layer's outputs for rows [r0, r1) of the inputs at x (no dropout): act(input·W) for hidden layers, logits last. */
function forwardRows(s: StepContext, x: number, r0: number, r1: number, scratch: number): void {
  const L = s.net.layers;
  let input = x, ld = s.inputs + 1;
  for (let i = 0; i < L.length; i++) {
    layerForward(s.k, L[i], input, ld, r0, r1, i < L.length - 1 ? s.act.forward : 0, scratch);
    input = L[i].A.ptr;
    ld = L[i].ldA;
  }
}

/**
 * out[r0:r1, :fanOut] (A unless given) = X[r0:r1, :fanIn+1] · W[fanIn+1, fanOut], then the epilogue in
 * `flags` (a hidden layer's activation; STORE_Z also keeps the value before it in the tensor at aux, laid
 * out as A).  X: rows ld floats apart.
 */
export function layerForward(k: KernelExports, l: Layer, x: number, ld: number, r0: number, r1: number, flags: number, scratch: number, out = l.A.ptr, aux = 0): void {
  const o = 4 * r0 * l.ldA;
  k.gemm(flags, x + 4 * r0 * ld, 4 * ld, 4, l.W.ptr, 4 * l.fanOut, 4, out + o, 4 * l.ldA, r1 - r0, l.fanIn + 1, l.fanOut, aux && aux + o, scratch);
}

/**
 * Hidden layer i's rows [r0, r1) in training: the activation (keeping Z where the gate reads it, or the
 * undropped output where dropout must not touch it), then inverted dropout into A, its mask drawn from
 * (seed, step, layer) by row and column.
 */
function hiddenForward(s: StepContext, l: TrainLayer, i: number, x: number, ld: number, r0: number, r1: number, scratch: number, stepNo: number): void {
  const act = s.act, Z = l.Z?.ptr ?? 0;
  if (act.gateReads === "Z") layerForward(s.k, l, x, ld, r0, r1, act.forward | GemmFlags.STORE_Z, scratch, l.A.ptr, Z);
  else layerForward(s.k, l, x, ld, r0, r1, act.forward, scratch, Z || l.A.ptr);
  if (s.dropout > 0) {
    const o = 4 * r0 * l.ldA, from = act.gateReads === "A" && Z ? Z : l.A.ptr;
    s.k.dropout(from + o, 4 * l.ldA, l.A.ptr + o, 4 * l.ldA, r1 - r0, l.fanOut, s.dropout, s.seed, dropoutStream(s, stepNo, i), r0);
  }
}

/** The delta into hidden layer `below` (its index i) through layer l, then through its dropout (the same mask). */
function hiddenDelta(s: StepContext, l: TrainLayer, below: TrainLayer, i: number, r0: number, r1: number, scratch: number, stepNo: number): void {
  layerDelta(s.k, l, below, r0, r1, scratch, s.act.gate, below.Z?.ptr ?? below.A.ptr);
  if (s.dropout > 0) {
    const o = 4 * r0 * below.ldA;
    s.k.dropout(below.G.ptr + o, 4 * below.ldA, below.G.ptr + o, 4 * below.ldA, r1 - r0, below.fanOut, s.dropout, s.seed, dropoutStream(s, stepNo, i), r0);
  }
}

/** Which masks a hidden layer's dropout draws in a step: one stream per step and layer. */
function dropoutStream(s: StepContext, stepNo: number, layer: number): number {
  return (stepNo * (s.net.layers.length - 1) + layer) | 0;
}

/**
 * The top delta of rows [r0, r1). xent: P[r0:r1, C] = softmax(Z[r0:r1, C]) and G = (P - Y) / n, Z the output
 * layer's A. mse: the outputs are A itself (linear) and G = 2·(A - Y) / (n·C), the mean squared error's gradient.
 */
export function outputDelta(k: KernelExports, top: TrainLayer, P: number, y: number, r0: number, r1: number, n: number, loss: LossKind = "xent"): void {
  const C = top.fanOut, o = 4 * r0 * C;
  if (loss === "mse") k.mse(top.A.ptr + o, y + o, top.G.ptr + o, 0, r1 - r0, C, n);
  else k.softmax_xent(top.A.ptr + o, y + o, P + o, top.G.ptr + o, r1 - r0, C, n);
}

/**
 * G_below[r0:r1, :fanIn] = (G[r0:r1, fanOut] · W[:fanIn, fanOut]ᵀ) ⊙ act'(·): the delta through a layer and
 * the activation below it; `gate` is the activation's gate flag, reading the tensor at `from` (laid out as A).
 */
export function layerDelta(k: KernelExports, l: TrainLayer, below: TrainLayer, r0: number, r1: number, scratch: number, gate: number = GemmFlags.MASK, from = below.A.ptr): void {
  k.gemm(gate, l.G.ptr + 4 * r0 * l.ldA, 4 * l.ldA, 4, l.W.ptr, 4, 4 * l.fanOut,
    below.G.ptr + 4 * r0 * below.ldA, 4 * below.ldA, r1 - r0, l.fanOut, l.fanIn, from + 4 * r0 * below.ldA, scratch);
}

/**
 * dW[i0:i1, fanOut] (+)= X[s0:s1, i0:i1]ᵀ · G[s0:s1, fanOut]: rows [i0, i1) of the weight gradient, summed
 * over the slice's rows in order, from 0 for the first slice and from the previous slice's sums after it.
 */
export function weightGradient(k: KernelExports, l: TrainLayer, x: number, ld: number, s0: number, s1: number, i0: number, i1: number, scratch: number): void {
  if (i1 <= i0) return;
  k.gemm(s0 > 0 ? GemmFlags.INIT_ACC : 0, x + 4 * (s0 * ld + i0), 4, 4 * ld, l.G.ptr + 4 * s0 * l.ldA, 4 * l.ldA, 4,
    l.dW.ptr + 4 * i0 * l.fanOut, 4 * l.fanOut, i1 - i0, s1 - s0, l.fanOut, 0, scratch);
}

/** W[i0:i1, :] updated from dW[i0:i1, :] (and the optimiser's state rows) by the command's optimiser step. */
export function update(k: KernelExports, optimizer: OptimizerKind, l: TrainLayer, a: Float64Array, i0: number, i1: number): void {
  const n = (i1 - i0) * l.fanOut;
  if (n <= 0) return;
  const o = 4 * i0 * l.fanOut, w = l.W.ptr + o, g = l.dW.ptr + o, wd = a[Arg.Wd];
  if (wd > 0) updateDecayed(k, optimizer, l, a, o, n, wd);
  else if (optimizer === "sgd") k.sgd(w, g, n, a[Arg.Lr]);
  else if (optimizer === "momentum") k.momentum(w, g, l.state[0].ptr + o, n, a[Arg.Lr], a[Arg.P1]);
  else k.adam(w, g, l.state[0].ptr + o, l.state[1].ptr + o, n, a[Arg.Lr], a[Arg.P1], a[Arg.P2], a[Arg.Eps], a[Arg.C1], a[Arg.C2]);
}

/** update with weight decay wd: L2 added to the gradient for sgd and momentum, decoupled (AdamW) for adam; the bias row too. */
function updateDecayed(k: KernelExports, optimizer: OptimizerKind, l: TrainLayer, a: Float64Array, o: number, n: number, wd: number): void {
  const w = l.W.ptr + o, g = l.dW.ptr + o;
  if (optimizer === "sgd") k.sgd_wd(w, g, n, a[Arg.Lr], wd);
  else if (optimizer === "momentum") k.momentum_wd(w, g, l.state[0].ptr + o, n, a[Arg.Lr], a[Arg.P1], wd);
  else k.adamw(w, g, l.state[0].ptr + o, l.state[1].ptr + o, n, a[Arg.Lr], a[Arg.P1], a[Arg.P2], a[Arg.Eps], a[Arg.C1], a[Arg.C2], wd);
}

/** Rows [r0, r1) of the mini-batch, gathered from the training set in the epoch's shuffled order. */
function gatherRows(s: StepContext, tr: Training, at: number, r0: number, r1: number): void {
  const b = tr.batch!, order = b.order.ptr + 4 * (at + r0), C = s.classes, ld = s.inputs + 1;
  s.k.gather_rows(tr.set.X.ptr, order, b.X.ptr + 4 * r0 * ld, r1 - r0, ld);
  s.k.gather_rows(tr.set.Y.ptr, order, b.Y.ptr + 4 * r0 * C, r1 - r0, C);
}

/**
 * Rows [r0, r1)'s cross-entropy (f64) and correctness (i32), from their logits, probabilities and targets at y;
 * with the mse loss, their squared error averaged over the outputs (f64; correctness is not written).
 */
function rowStats(s: StepContext, y: number, r0: number, r1: number): void {
  const C = s.classes, L = s.net.layers, o = 4 * r0 * C;
  if (s.loss === "mse") return s.k.mse(L[L.length - 1].A.ptr + o, y + o, 0, s.net.rowLoss.ptr + 8 * r0, r1 - r0, C, 0);
  s.k.xent_rows(L[L.length - 1].A.ptr + o, s.net.P.ptr + o, y + o, s.net.rowLoss.ptr + 8 * r0, s.net.rowCorrect.ptr + 4 * r0, r1 - r0, C);
}

/** Where thread t's part of [a, b) starts when T threads split it (at multiples of 4 from a: whole tiles). */
export function share(a: number, b: number, t: number, T: number): number {
  if (t >= T) return b;
  return Math.min(b, a + 4 * Math.floor(((b - a) * t) / (4 * T)));
}
