// The optimiser table: one row per optimiser, read by the engine (its state tensors and the update it runs),
// the options (names and defaults) and the CLI (flags and the banner). Adding an optimiser starts here.

export type OptimizerKind = "sgd" | "momentum" | "adam";

export const HYPER_PARAMS = ["momentum", "beta1", "beta2", "eps"] as const;
export type HyperParam = (typeof HYPER_PARAMS)[number];

interface OptimizerRow {
  /** Tensors of state per weight tensor, each shaped as the weights. */
  readonly state: number;
  /** The learning rate when none is given. */
  readonly lr: number;
  /** The hyper-parameters it reads besides the rate. */
  readonly params: readonly HyperParam[];
}

export const OPTIMIZER_TABLE: Readonly<Record<OptimizerKind, OptimizerRow>> = {
  /** W -= lr·dW, the original's */
  sgd: { state: 0, lr: 0.1, params: [] },
  /** V = momentum·V + dW; W -= lr·V */
  momentum: { state: 1, lr: 0.1, params: ["momentum"] },
  /** Adam with bias correction; lr 0.001 is the customary default */
  adam: { state: 2, lr: 0.001, params: ["beta1", "beta2", "eps"] },
};

export const OPTIMIZERS = Object.keys(OPTIMIZER_TABLE) as readonly OptimizerKind[];

/** The optimiser that reads a hyper-parameter (each is read by one). */
export function optimizerOf(param: HyperParam): OptimizerKind {
  return OPTIMIZERS.find((k) => OPTIMIZER_TABLE[k].params.includes(param))!;
}

/** An optimiser with every hyper-parameter set (those its kind does not read are ignored). */
export interface Optimizer {
  kind: OptimizerKind;
  lr: number;
  /** Momentum coefficient (momentum). */
  momentum: number;
  /** Adam's decay rates and epsilon. */
  beta1: number;
  beta2: number;
  eps: number;
  /** L2 weight decay: added to the gradient for sgd and momentum, decoupled (AdamW) for adam; 0 for none. */
  weightDecay: number;
}

export const DEFAULT_OPTIMIZER: Optimizer = { kind: "sgd", lr: OPTIMIZER_TABLE.sgd.lr, momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/** The learning rate when none is given: the original's 0.1, or Adam's customary 0.001. */
export function defaultLr(kind: OptimizerKind): number {
  return OPTIMIZER_TABLE[kind].lr;
}
