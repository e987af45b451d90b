// Where every tensor of a network lives. `planLayout` places them all in an arena layout (nothing is
// allocated: `planLayout(shape).bytes` is what the memory would need), and `tensorsOf` hands them back as a
// typed struct, so the step names a layer's weights `l.W`, never a string. Every thread that attaches to the
// network computes the same plan from the same shape, and so sees the same tensors at the same addresses.

import { GEMM_SCRATCH_BYTES, Layout, type Tensor } from "./arena.js";
import { StepAbi } from "./kernel-api.js";
import { CONTROL_WORDS } from "./commands.js";
import { OPTIMIZER_TABLE, type OptimizerKind } from "./optimizers.js";
import { needsZ, type ActivationKind } from "./activations.js";

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
  /** The hidden layers' activation (default relu). */
  activation?: ActivationKind;
  /** Training only: the probability that dropout zeroes a hidden unit's output (default 0: no dropout). */
  dropout?: number;
  /** The seed dropout's masks are drawn from (by position: the same masks for any thread count). */
  seed?: number;
  /** The output and its loss: softmax with cross-entropy (default), or linear outputs with mean squared error. */
  loss?: LossKind;
}

/** "xent": softmax outputs, cross-entropy (classification); "mse": linear outputs, mean squared error (regression). */
export type LossKind = "xent" | "mse";

/** Parameters as they travel in and out of a network: W[l] is fan_in × fan_out row-major, b[l] has fan_out entries. */
export interface Params {
  readonly layers: readonly number[];
  readonly W: Float32Array[];
  readonly b: Float32Array[];
}

/**
 * Rows of the batch a step takes through the forward pass, softmax and deltas before adding their share to
 * the weight gradients, while their activations and deltas are still in L2 (the README's performance
 * section has the measurements behind 512). Every dW element is still summed over the rows in order from 0:
 * each slice starts from the partial sums the previous one left in dW.
 */
export const SLICE_ROWS = 512;

/**
 * One dense layer. W is [fanIn + 1, fanOut]: the weights, then the bias as the last row, because the
 * layer's input carries a column of ones. The bias is then one more weight: added last in each output's sum,
 * its gradient one more row of dW (the column sums of G, in the same order), its update part of W's.
 */
export interface Layer {
  readonly fanIn: number;
  readonly fanOut: number;
  readonly W: Tensor;
  /** Outputs: ReLU activations with their column of ones (ldA = fanOut + 1), or the logits (ldA = fanOut). */
  readonly A: Tensor;
  readonly ldA: number;
}

export interface TrainLayer extends Layer {
  /**
   * Hidden layers that need it (see activations.ts needsZ): for gelu the value before the activation, for
   * tanh and sigmoid under dropout the activation's output before dropout; laid out as A.
   */
  readonly Z: Tensor | undefined;
  /** Gradient of the loss with respect to the layer's pre-activation output, laid out as A. */
  readonly G: Tensor;
  readonly dW: Tensor;
  /** Optimiser state shaped as W: momentum's velocity, or Adam's first and second moments. */
  readonly state: readonly Tensor[];
}

/** Rows of inputs, each with a column of ones (ld = inputs + 1), and their one-hot targets. */
export interface DataSet {
  readonly X: Tensor;
  readonly Y: Tensor;
}

export interface Training {
  readonly set: DataSet;
  /** Where a shuffled mini-batch is gathered, and the order of the current epoch (absent for full batch). */
  readonly batch: (DataSet & { readonly order: Tensor }) | undefined;
  readonly layers: readonly TrainLayer[];
}

/** Every tensor of a network, by what it is. */
export interface NetworkTensors {
  readonly layers: readonly Layer[];
  readonly training: Training | undefined;
  readonly evalSet: DataSet | undefined;
  /** Class probabilities of the rows of the latest forward pass (unused with the mse loss: the outputs are A). */
  readonly P: Tensor;
  /** Per row of the latest pass: its cross-entropy (f64) and whether it was classified right (i32). */
  readonly rowLoss: Tensor;
  readonly rowCorrect: Tensor;
  /** The words the threads meet on and the command they run (see commands.ts). */
  readonly control: Tensor;
  /** Per thread: the scratch its gemm calls pack operands in. */
  readonly scratch: readonly Tensor[];
  /** Training only: the descriptor train_step reads (runner.ts writes it). */
  readonly step: Tensor | undefined;
}

/** The shape with its defaults, the batch clamped to 1..train (0 without training data) and its own layer list. */
export function fullShape(shape: NetworkShape): Required<NetworkShape> {
  return {
    ...shape,
    layers: [...shape.layers],
    batch: shape.train > 0 ? Math.min(Math.max(1, shape.batch), shape.train) : 0,
    threads: Math.max(1, shape.threads ?? 1),
    sliceRows: shape.sliceRows ?? SLICE_ROWS,
    activation: shape.activation ?? "relu",
    dropout: shape.train > 0 ? (shape.dropout ?? 0) : 0,
    seed: shape.seed ?? 0,
    loss: shape.loss ?? "xent",
  };
}

/** Rows the activation buffers hold: a batch, or the second set, whichever is larger. */
export function activationRows(shape: Required<NetworkShape>): number {
  return Math.max(shape.batch, shape.eval, 1);
}

/**
 * Where thread t's words start in train_step's descriptor of `layers` dense layers (assembly/step.ts): after
 * the header and the layers' words, on a cache line of their own.
 */
export function threadSlot(layers: number, t: number): number {
  return Math.ceil((StepAbi.D_HEADER + layers * StepAbi.L_WORDS) / StepAbi.T_ALIGN) * StepAbi.T_ALIGN + t * StepAbi.T_WORDS;
}

/** Places every tensor of a network of this shape. */
export function planLayout(shape: NetworkShape): Layout {
  const full = fullShape(shape), { layers, train, batch, eval: ne, optimizer, threads } = full;
  if (layers.length < 2) throw new Error("a network needs an input and an output layer");
  const layout = new Layout();
  const inputs = layers[0] + 1, classes = layers[layers.length - 1];
  const rows = activationRows(full);
  layout.add("control", CONTROL_WORDS);
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
      if (l < layers.length - 1 && needsZ(full.activation, full.dropout)) layout.add(`Z${l}`, batch, ldA);
      layout.add(`dWb${l}`, fanIn + 1, fanOut);
      for (let s = 0; s < OPTIMIZER_TABLE[optimizer].state; s++) layout.add(`S${s}Wb${l}`, fanIn + 1, fanOut);
    }
  }
  layout.add("P", rows, classes);
  layout.add("rowLoss", 2 * rows);
  layout.add("rowCorrect", rows);
  for (let t = 0; t < threads; t++) layout.add(`scratch${t}`, GEMM_SCRATCH_BYTES / 4);
  if (train > 0) layout.add("step", threadSlot(layers.length - 1, threads));
  return layout;
}

/** The tensors planLayout placed, as a struct. */
export function tensorsOf(layout: Layout, shape: Required<NetworkShape>): NetworkTensors {
  const { layers, train, batch, eval: ne, optimizer, threads } = shape;
  const t = (name: string) => layout.get(name);
  const dense: Layer[] = layers.slice(1).map((fanOut, i) => ({
    fanIn: layers[i], fanOut, W: t(`Wb${i + 1}`), A: t(`A${i + 1}`), ldA: i < layers.length - 2 ? fanOut + 1 : fanOut,
  }));
  const training: Training | undefined = train > 0 ? {
    set: { X: t("Xt"), Y: t("Yt") },
    batch: batch < train ? { X: t("Xb"), Y: t("Yb"), order: t("order") } : undefined,
    layers: dense.map((l, i) => ({
      ...l, G: t(`G${i + 1}`), dW: t(`dWb${i + 1}`), Z: layout.has(`Z${i + 1}`) ? t(`Z${i + 1}`) : undefined,
      state: Array.from({ length: OPTIMIZER_TABLE[optimizer].state }, (_, s) => t(`S${s}Wb${i + 1}`)),
    })),
  } : undefined;
  return {
    layers: dense,
    training,
    evalSet: ne > 0 ? { X: t("Xe"), Y: t("Ye") } : undefined,
    P: t("P"),
    rowLoss: t("rowLoss"),
    rowCorrect: t("rowCorrect"),
    control: t("control"),
    scratch: Array.from({ length: threads }, (_, i) => t(`scratch${i}`)),
    step: train > 0 ? t("step") : undefined,
  };
}
