// The hidden layers' activations: one row each, read by the step (which gemm epilogue applies it going
// forward, which gate multiplies the delta by its derivative going back, and what that gate reads), the
// options and the CLI (the names), and the ONNX export (its nodes). Adding an activation starts here and in
// assembly/act.ts.

import { GemmFlags } from "./kernel-api.js";

export type ActivationKind = "relu" | "leaky_relu" | "tanh" | "sigmoid" | "gelu";

interface ActivationRow {
  /** gemm's flag that applies it to a layer's outputs after their last k. */
  readonly forward: number;
  /** gemm's flag that multiplies the delta through the layer by its derivative, read from `gateReads`. */
  readonly gate: number;
  /**
   * What the derivative is computed from: "A", the activation's output (relu, leaky_relu: its sign; tanh,
   * sigmoid: its value), or "Z", the value before it (gelu), which the forward pass then stores.
   */
  readonly gateReads: "A" | "Z";
  /**
   * Whether dropout may scale A in place and the gate still read A: true where the derivative depends on A's
   * sign alone (or on Z). tanh and sigmoid need their output kept apart from the dropped copy.
   */
  readonly dropoutInPlace: boolean;
}

export const ACTIVATION_TABLE: Readonly<Record<ActivationKind, ActivationRow>> = {
  /** max(0, x), the original's */
  relu: { forward: GemmFlags.RELU, gate: GemmFlags.MASK, gateReads: "A", dropoutInPlace: true },
  /** x for x > 0, else 0.01·x */
  leaky_relu: { forward: GemmFlags.LEAKY, gate: GemmFlags.GATE_LEAKY, gateReads: "A", dropoutInPlace: true },
  tanh: { forward: GemmFlags.TANH, gate: GemmFlags.GATE_TANH, gateReads: "A", dropoutInPlace: false },
  /** 1 / (1 + e^-x) */
  sigmoid: { forward: GemmFlags.SIGMOID, gate: GemmFlags.GATE_SIGMOID, gateReads: "A", dropoutInPlace: false },
  /** x·Φ(x) in PyTorch's tanh approximation */
  gelu: { forward: GemmFlags.GELU, gate: GemmFlags.GATE_GELU, gateReads: "Z", dropoutInPlace: true },
};

export const ACTIVATIONS = Object.keys(ACTIVATION_TABLE) as readonly ActivationKind[];

/** Whether a hidden layer of this activation needs Z (training): the gate reads it, or dropout needs A kept apart. */
export function needsZ(kind: ActivationKind, dropout: number): boolean {
  const a = ACTIVATION_TABLE[kind];
  return a.gateReads === "Z" || (dropout > 0 && !a.dropoutInPlace);
}
