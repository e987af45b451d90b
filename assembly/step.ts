// One training step as every thread runs it, in one call: the slice loop, the layer loop and the barriers
// between phases, calling the same kernels with the same arguments in the same order as the host's
// description of the step (src/engine/step.ts, which stays as its twin and runs when the kernels are
// wrapped). Nothing of the step is left in JavaScript to tier up mid-run, and a step costs one call a thread.
//
// The host writes a descriptor of the network once (where every tensor is, the sizes, the activation, the
// optimiser) and, per step, the command block (its rows, batch and optimiser numbers). The word offsets
// below are the one source for both: scripts/kernel-api.mjs copies them into src/engine/kernel-api.ts.
//
// Threads meet at a sense-counting barrier on the same words as the host's Sync (src/engine/sync.ts): they
// spin, then sleep in slices of WAIT_NS; after a sleep times out, or when the failure word is set, they call
// the host's `step_check`, which throws when a thread has failed or died, unwinding this call.

import { gemm, INIT_ACC, EPI_STORE_Z } from "./gemm";
import { softmax_xent, xent_rows } from "./softmax";
import { mse } from "./loss";
import { sgd, momentum, adam, sgd_wd, momentum_wd, adamw } from "./optim";
import { dropout } from "./dropout";
import { gather_rows } from "./gather";

export const D_LAYERS: i32 = 0;      // dense layers
export const D_INPUTS: i32 = 1;      // features per input row (its stride is inputs + 1: the column of ones)
export const D_CLASSES: i32 = 2;     // outputs
export const D_SLICE: i32 = 3;       // rows per slice of a step
export const D_OPTIMIZER: i32 = 4;   // the optimiser: OPT_SGD, OPT_MOMENTUM or OPT_ADAM
export const D_ACT: i32 = 5;         // gemm's flag for the hidden layers' activation
export const D_GATE: i32 = 6;        // gemm's flag for its derivative's gate
export const D_GATE_Z: i32 = 7;      // 1 when the gate reads Z (the value before the activation), 0 when it reads A
export const D_SEED: i32 = 8;        // dropout's seed
export const D_LOSS: i32 = 9;        // the loss: LOSS_XENT or LOSS_MSE
export const D_P: i32 = 10;          // the probabilities P
export const D_ROW_LOSS: i32 = 11;   // per-row losses (f64)
export const D_ROW_CORRECT: i32 = 12; // per-row correctness (i32)
export const D_SYNC: i32 = 13;       // the words the threads meet on (sync.ts: count, generation, command, failed)
export const D_CMD: i32 = 14;        // the command block's i32 words
export const D_ARG: i32 = 15;        // the command block's f64 words
export const D_XT: i32 = 16;         // the training set's inputs
export const D_XB: i32 = 17;         // the gathered mini-batch's inputs (0: full batch)
export const D_YB: i32 = 18;         // the gathered mini-batch's targets
export const D_ORDER: i32 = 19;      // the mini-batch row order
export const D_YT: i32 = 20;         // the training set's targets
export const D_SPIN: i32 = 21;       // loads of a word before sleeping on it
export const D_DROPOUT: i32 = 22;    // dropout's probability (f64, words 22-23; 0: none)
export const D_HEADER: i32 = 24;     // words before the first layer's
export const L_FAN_IN: i32 = 0;      // a layer's inputs (without the column of ones)
export const L_FAN_OUT: i32 = 1;     // its outputs
export const L_LDA: i32 = 2;         // floats per row of A and G
export const L_W: i32 = 3;           // W and the bias row, [fanIn + 1, fanOut]
export const L_A: i32 = 4;           // outputs
export const L_G: i32 = 5;           // deltas
export const L_DW: i32 = 6;          // the weight gradient
export const L_Z: i32 = 7;           // the value kept beside A (0: none)
export const L_S0: i32 = 8;          // the optimiser's first state tensor (0: none)
export const L_S1: i32 = 9;          // its second
export const L_WORDS: i32 = 10;      // words per layer; after the layers, from the next multiple of T_ALIGN words, T_WORDS per thread
export const T_SCRATCH: i32 = 0;     // a thread's gemm scratch
export const T_KERNEL: i32 = 1;      // the kernel it is in (its index in the module's functions; -1: none)
export const T_WORDS: i32 = 16;      // words per thread: a cache line each, as every kernel call writes T_KERNEL
export const T_ALIGN: i32 = 16;      // the threads' words start at a multiple of this many words (a cache line)
export const OPT_SGD: i32 = 0;       // D_OPTIMIZER's values
export const OPT_MOMENTUM: i32 = 1;  // heavy-ball momentum
export const OPT_ADAM: i32 = 2;      // Adam (AdamW with weight decay)
export const LOSS_XENT: i32 = 0;     // D_LOSS's values: softmax and cross-entropy
export const LOSS_MSE: i32 = 1;      // linear outputs and mean squared error
export const SYNC_COUNT: i32 = 0;    // the sync words (sync.ts): threads arrived at the barrier
export const SYNC_GENERATION: i32 = 1; // barriers completed
export const SYNC_COMMAND: i32 = 2;  // commands posted
export const SYNC_FAILED: i32 = 3;   // 0, or which thread failed and how
export const WAIT_MS: i32 = 50;      // longest sleep before a waiting thread asks whether another has died
export const CMD_KIND: i32 = 0;      // what the command asks for (host: Kind)
export const CMD_X: i32 = 1;         // the rows' inputs
export const CMD_Y: i32 = 2;         // their targets
export const CMD_ROWS: i32 = 3;      // rows in the step
export const CMD_STATS: i32 = 4;     // 1: also each row's loss and correctness
export const CMD_GATHER: i32 = 5;    // 1: gather the mini-batch from the training set first
export const CMD_AT: i32 = 6;        // where the mini-batch starts in the row order
export const CMD_STEP_NO: i32 = 7;   // the step's number (dropout's masks)
export const CMD_WORDS: i32 = 8;     // i32 words of the command
export const ARG_LR: i32 = 0;        // the learning rate
export const ARG_P1: i32 = 1;        // momentum, or Adam's beta1
export const ARG_P2: i32 = 2;        // Adam's beta2
export const ARG_EPS: i32 = 3;       // Adam's epsilon
export const ARG_C1: i32 = 4;        // Adam's bias correction 1 - beta1^t
export const ARG_C2: i32 = 5;        // 1 - beta2^t
export const ARG_WD: i32 = 6;        // weight decay
export const ARG_WORDS: i32 = 7;     // f64 words of the command

// The kernel a thread is in, by its index in the module's function exports (KERNEL_FUNCTIONS), so that a
// trap inside the step is reported by the kernel's name (K_NONE: in the step itself).
const K_NONE = -1, K_GEMM = 0, K_SOFTMAX_XENT = 5, K_XENT_ROWS = 6, K_MSE = 7, K_SGD = 8, K_MOMENTUM = 9, K_ADAM = 10,
  K_SGD_WD = 11, K_MOMENTUM_WD = 12, K_ADAMW = 13, K_DROPOUT = 14, K_GATHER_ROWS = 15;

const S_COUNT: usize = <usize>SYNC_COUNT << 2, S_GENERATION: usize = <usize>SYNC_GENERATION << 2;
const S_FAILED: usize = <usize>SYNC_FAILED << 2;
const WAIT_NS: i64 = <i64>WAIT_MS * 1_000_000;

// Throws, in the host, when a thread has failed or (timedOut 1) when one has died.
@external("env", "step_check") declare function stepCheck(timedOut: i32): void;

// Thread t of T's share of one optimiser step on the command's rows (desc: the descriptor's address; its
// words are this file's D_, L_ and T_ constants). Per slice of rows: its rows' forward pass, softmax and
// deltas; a barrier; its rows of each dW, summed over the slice's rows in order. Then its rows of each W
// are updated. The same sequence as src/engine/step.ts.
export function train_step(desc: usize, t: i32, T: i32): void {
  const L = descWord(desc, D_LAYERS), slot = desc + (<usize>(((D_HEADER + L * L_WORDS + T_ALIGN - 1) & ~(T_ALIGN - 1)) + t * T_WORDS) << 2);
  const kin = slot + (<usize>T_KERNEL << 2);
  enter(kin, K_NONE);
  const n = cmdWord(desc, CMD_ROWS), x = cmdWord(desc, CMD_X), slice = descWord(desc, D_SLICE);
  const gatherIt = cmdWord(desc, CMD_GATHER) == 1, stats = cmdWord(desc, CMD_STATS) == 1;
  const stepNo = cmdWord(desc, CMD_STEP_NO), inputs1 = descWord(desc, D_INPUTS) + 1;
  const scratch = <usize>load<i32>(slot + (<usize>T_SCRATCH << 2));
  for (let s0 = 0; s0 < n; s0 += slice) {
    const s1 = min(n, s0 + slice), r0 = share(s0, s1, t, T), r1 = share(s0, s1, t + 1, T);
    if (r1 > r0) {
      if (gatherIt) gatherRows(desc, kin, cmdWord(desc, CMD_AT), r0, r1);
      for (let i = 0; i < L - 1; i++) hiddenForward(desc, kin, i, inputOf(desc, i, x), ldOf(desc, i, inputs1), r0, r1, scratch, stepNo);
      const top = L - 1;
      layerForward(desc, kin, top, inputOf(desc, top, x), ldOf(desc, top, inputs1), r0, r1, 0, scratch, layerWord(desc, top, L_A), 0);
      outputDelta(desc, kin, top, cmdWord(desc, CMD_Y), r0, r1, n);
      if (stats) rowStats(desc, kin, top, cmdWord(desc, CMD_Y), r0, r1);
      for (let i = L - 1; i > 0; i--) hiddenDelta(desc, kin, i, r0, r1, scratch, stepNo);
    }
    arrive(desc, T);
    for (let i = 0; i < L; i++) {
      const fanIn1 = layerWord(desc, i, L_FAN_IN) + 1;
      weightGradient(desc, kin, i, inputOf(desc, i, x), ldOf(desc, i, inputs1), s0, s1, share(0, fanIn1, t, T), share(0, fanIn1, t + 1, T), scratch);
    }
  }
  for (let i = 0; i < L; i++) {
    const fanIn1 = layerWord(desc, i, L_FAN_IN) + 1;
    update(desc, kin, i, share(0, fanIn1, t, T), share(0, fanIn1, t + 1, T));
  }
}

// Layer i's input: the rows at x (the step's inputs, inputs1 floats a row) for the first, the layer below's A after.
@inline function inputOf(desc: usize, i: i32, x: i32): i32 {
  return i > 0 ? layerWord(desc, i - 1, L_A) : x;
}

@inline function ldOf(desc: usize, i: i32, inputs1: i32): i32 {
  return i > 0 ? layerWord(desc, i - 1, L_LDA) : inputs1;
}

// Header word i of the descriptor, as a number and as an address.
@inline function descWord(desc: usize, i: i32): i32 {
  return load<i32>(desc + (<usize>i << 2));
}

@inline function word(desc: usize, i: i32): usize {
  return <usize>descWord(desc, i);
}

@inline function cmdWord(desc: usize, i: i32): i32 {
  return load<i32>(word(desc, D_CMD) + (<usize>i << 2));
}

@inline function arg(desc: usize, i: i32): f32 {
  return <f32>load<f64>(word(desc, D_ARG) + (<usize>i << 3));
}

@inline function layerWord(desc: usize, layer: i32, i: i32): i32 {
  return load<i32>(desc + (<usize>(D_HEADER + layer * L_WORDS + i) << 2));
}

@inline function enter(kin: usize, kernel: i32): void {
  store<i32>(kin, kernel);
}

@inline function leave(kin: usize): void {
  store<i32>(kin, K_NONE);
}

// Where thread t's part of [a, b) starts when T threads split it (at multiples of 4 from a: whole tiles).
@inline function share(a: i32, b: i32, t: i32, T: i32): i32 {
  if (t >= T) return b;
  return min(b, a + 4 * (((b - a) * t) / (4 * T)));
}

// out[r0:r1, :fanOut] = X[r0:r1, :fanIn+1] · W[fanIn+1, fanOut], then the epilogue in flags.
function layerForward(desc: usize, kin: usize, l: i32, x: i32, ld: i32, r0: i32, r1: i32, flags: i32, scratch: usize,
                      out: i32, aux: i32): void {
  const ldA = layerWord(desc, l, L_LDA), fanOut = layerWord(desc, l, L_FAN_OUT), o = 4 * r0 * ldA;
  enter(kin, K_GEMM);
  gemm(flags, <usize>(x + 4 * r0 * ld), <usize>(4 * ld), 4, <usize>layerWord(desc, l, L_W), <usize>(4 * fanOut), 4,
    <usize>(out + o), <usize>(4 * ldA), r1 - r0, layerWord(desc, l, L_FAN_IN) + 1, fanOut, aux != 0 ? <usize>(aux + o) : 0, scratch);
  leave(kin);
}

// Hidden layer i's rows in training: the activation (keeping Z where the gate reads it, or the undropped
// output where dropout must not touch it), then inverted dropout into A.
function hiddenForward(desc: usize, kin: usize, i: i32, x: i32, ld: i32, r0: i32, r1: i32, scratch: usize, stepNo: i32): void {
  const act = descWord(desc, D_ACT), gateZ = descWord(desc, D_GATE_Z) == 1;
  const A = layerWord(desc, i, L_A), Z = layerWord(desc, i, L_Z);
  if (gateZ) layerForward(desc, kin, i, x, ld, r0, r1, act | EPI_STORE_Z, scratch, A, Z);
  else layerForward(desc, kin, i, x, ld, r0, r1, act, scratch, Z != 0 ? Z : A, 0);
  const p = load<f64>(desc + (<usize>D_DROPOUT << 2));
  if (p > 0) {
    const ldA = layerWord(desc, i, L_LDA), o = 4 * r0 * ldA, from = !gateZ && Z != 0 ? Z : A;
    enter(kin, K_DROPOUT);
    dropout(<usize>(from + o), <usize>(4 * ldA), <usize>(A + o), <usize>(4 * ldA), r1 - r0, layerWord(desc, i, L_FAN_OUT), <f32>p,
      descWord(desc, D_SEED), dropoutStream(desc, stepNo, i), r0);
    leave(kin);
  }
}

// Which masks hidden layer i's dropout draws in a step: one stream per step and layer (step.ts's dropoutStream).
@inline function dropoutStream(desc: usize, stepNo: i32, i: i32): i32 {
  return stepNo * (descWord(desc, D_LAYERS) - 1) + i;
}

// The delta into hidden layer i - 1 through layer i and the activation below it, then through its dropout.
function hiddenDelta(desc: usize, kin: usize, i: i32, r0: i32, r1: i32, scratch: usize, stepNo: i32): void {
  const b = i - 1, ldA = layerWord(desc, i, L_LDA), ldB = layerWord(desc, b, L_LDA), fanOut = layerWord(desc, i, L_FAN_OUT);
  const Zb = layerWord(desc, b, L_Z), from = Zb != 0 ? Zb : layerWord(desc, b, L_A), Gb = layerWord(desc, b, L_G);
  enter(kin, K_GEMM);
  gemm(descWord(desc, D_GATE), <usize>(layerWord(desc, i, L_G) + 4 * r0 * ldA), <usize>(4 * ldA), 4,
    <usize>layerWord(desc, i, L_W), 4, <usize>(4 * fanOut), <usize>(Gb + 4 * r0 * ldB), <usize>(4 * ldB),
    r1 - r0, fanOut, layerWord(desc, i, L_FAN_IN), <usize>(from + 4 * r0 * ldB), scratch); leave(kin);
  const p = load<f64>(desc + (<usize>D_DROPOUT << 2));
  if (p > 0) {
    const o = 4 * r0 * ldB;
    enter(kin, K_DROPOUT);
    dropout(<usize>(Gb + o), <usize>(4 * ldB), <usize>(Gb + o), <usize>(4 * ldB), r1 - r0, layerWord(desc, b, L_FAN_OUT), <f32>p,
      descWord(desc, D_SEED), dropoutStream(desc, stepNo, b), r0);
    leave(kin);
  }
}

// The top delta of rows [r0, r1): softmax and the cross-entropy gradient, or the squared error's.
function outputDelta(desc: usize, kin: usize, top: i32, y: i32, r0: i32, r1: i32, n: i32): void {
  const C = layerWord(desc, top, L_FAN_OUT), o = 4 * r0 * C, A = layerWord(desc, top, L_A), G = layerWord(desc, top, L_G);
  if (descWord(desc, D_LOSS) == LOSS_MSE) {
    enter(kin, K_MSE);
    mse(<usize>(A + o), <usize>(y + o), <usize>(G + o), 0, r1 - r0, C, n); leave(kin);
  } else {
    enter(kin, K_SOFTMAX_XENT);
    softmax_xent(<usize>(A + o), <usize>(y + o), word(desc, D_P) + <usize>o, <usize>(G + o), r1 - r0, C, n);
    leave(kin);
  }
}

// Rows [r0, r1)'s loss (f64) and correctness (i32); with the mse loss, their mean squared error only.
function rowStats(desc: usize, kin: usize, top: i32, y: i32, r0: i32, r1: i32): void {
  const C = layerWord(desc, top, L_FAN_OUT), o = 4 * r0 * C, A = layerWord(desc, top, L_A);
  const rowLoss = word(desc, D_ROW_LOSS) + (<usize>r0 << 3);
  if (descWord(desc, D_LOSS) == LOSS_MSE) {
    enter(kin, K_MSE);
    mse(<usize>(A + o), <usize>(y + o), 0, rowLoss, r1 - r0, C, 0); leave(kin);
  } else {
    enter(kin, K_XENT_ROWS);
    xent_rows(<usize>(A + o), word(desc, D_P) + <usize>o, <usize>(y + o), rowLoss, word(desc, D_ROW_CORRECT) + (<usize>r0 << 2),
      r1 - r0, C);
    leave(kin);
  }
}

// dW[i0:i1, fanOut] (+)= X[s0:s1, i0:i1]ᵀ · G[s0:s1, fanOut], from 0 for the first slice.
function weightGradient(desc: usize, kin: usize, l: i32, x: i32, ld: i32, s0: i32, s1: i32, i0: i32, i1: i32, scratch: usize): void {
  if (i1 <= i0) return;
  const ldA = layerWord(desc, l, L_LDA), fanOut = layerWord(desc, l, L_FAN_OUT);
  enter(kin, K_GEMM);
  gemm(s0 > 0 ? INIT_ACC : 0, <usize>(x + 4 * (s0 * ld + i0)), 4, <usize>(4 * ld), <usize>(layerWord(desc, l, L_G) + 4 * s0 * ldA),
    <usize>(4 * ldA), 4, <usize>(layerWord(desc, l, L_DW) + 4 * i0 * fanOut), <usize>(4 * fanOut), i1 - i0, s1 - s0, fanOut, 0, scratch);
  leave(kin);
}

// W[i0:i1, :] updated from dW[i0:i1, :] (and the optimiser's state rows) by the command's optimiser step.
function update(desc: usize, kin: usize, l: i32, i0: i32, i1: i32): void {
  const fanOut = layerWord(desc, l, L_FAN_OUT), n = (i1 - i0) * fanOut;
  if (n <= 0) return;
  const o = 4 * i0 * fanOut, w = <usize>(layerWord(desc, l, L_W) + o), g = <usize>(layerWord(desc, l, L_DW) + o);
  const s0 = <usize>(layerWord(desc, l, L_S0) + o), s1 = <usize>(layerWord(desc, l, L_S1) + o);
  const opt = descWord(desc, D_OPTIMIZER), lr = arg(desc, ARG_LR), p1 = arg(desc, ARG_P1);
  const wdf = load<f64>(word(desc, D_ARG) + (<usize>ARG_WD << 3)), wd = <f32>wdf;
  const b2 = arg(desc, ARG_P2), eps = arg(desc, ARG_EPS), c1 = arg(desc, ARG_C1), c2 = arg(desc, ARG_C2);
  if (wdf > 0) {
    if (opt == OPT_SGD) { enter(kin, K_SGD_WD); sgd_wd(w, g, n, lr, wd); }
    else if (opt == OPT_MOMENTUM) { enter(kin, K_MOMENTUM_WD); momentum_wd(w, g, s0, n, lr, p1, wd); }
    else { enter(kin, K_ADAMW); adamw(w, g, s0, s1, n, lr, p1, b2, eps, c1, c2, wd); }
  } else if (opt == OPT_SGD) { enter(kin, K_SGD); sgd(w, g, n, lr); }
  else if (opt == OPT_MOMENTUM) { enter(kin, K_MOMENTUM); momentum(w, g, s0, n, lr, p1); }
  else { enter(kin, K_ADAM); adam(w, g, s0, s1, n, lr, p1, b2, eps, c1, c2); }
  leave(kin);
}

// Rows [r0, r1) of the mini-batch, gathered from the training set in the epoch's shuffled order.
function gatherRows(desc: usize, kin: usize, at: i32, r0: i32, r1: i32): void {
  const order = word(desc, D_ORDER) + (<usize>(at + r0) << 2), C = descWord(desc, D_CLASSES);
  const ld = descWord(desc, D_INPUTS) + 1;
  enter(kin, K_GATHER_ROWS);
  gather_rows(word(desc, D_XT), order, word(desc, D_XB) + <usize>(4 * r0 * ld), r1 - r0, ld);
  gather_rows(word(desc, D_YT), order, word(desc, D_YB) + <usize>(4 * r0 * C), r1 - r0, C);
  leave(kin);
}

// Waits until all T threads have arrived (sync.ts's arrive, in wasm).
function arrive(desc: usize, T: i32): void {
  if (T == 1) return;
  const sync = word(desc, D_SYNC), gen = atomic.load<i32>(sync + S_GENERATION);
  if (atomic.add<i32>(sync + S_COUNT, 1) == T - 1) {
    atomic.store<i32>(sync + S_COUNT, 0);
    atomic.add<i32>(sync + S_GENERATION, 1);
    atomic.notify(sync + S_GENERATION, i32.MAX_VALUE);
  } else {
    const spin = descWord(desc, D_SPIN);
    let s = 0;
    while (s < spin && atomic.load<i32>(sync + S_GENERATION) == gen) s++;
    if (s == spin) {
      if (atomic.load<i32>(sync + S_FAILED) != 0) stepCheck(0);
      while (atomic.load<i32>(sync + S_GENERATION) == gen) {
        if (atomic.wait<i32>(sync + S_GENERATION, gen, WAIT_NS) == AtomicWaitResult.TIMED_OUT) stepCheck(1);
      }
    }
  }
  if (atomic.load<i32>(sync + S_FAILED) != 0) stepCheck(0);
}
