// Plain TypeScript references for the hidden-layer activations of assembly/act.ts (gemm's activation and gate
// epilogues) in f64: the functions, and each derivative as the backward pass computes it, from what the
// forward pass stored (the output A for leaky_relu, tanh and sigmoid; the pre-activation Z for gelu). Written
// in forms that do not cancel (sigmoid of a negative argument as e^x/(1 + e^x); gelu as x·σ(2u)), so they
// are accurate where the f32 kernels are; pytorchGelu and pytorchGeluGrad are PyTorch's own formulas, which
// the tests check these equal.

/** The activation codes of gemm's flags (assembly/gemm.ts: bits 4-6; the gates' codes in bits 7-9). */
export const ACT = { LEAKY: 1, TANH: 2, SIGMOID: 3, GELU: 4 } as const;

/** leaky_relu's negative slope (PyTorch's default). */
export const SLOPE = 0.01;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const KAPPA = 0.044715;

export function leaky(x: number): number {
  return x < 0 ? SLOPE * x : x;
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** gelu(approximate="tanh") = 0.5·x·(1 + tanh(u)) = x·σ(2u), u = √(2/π)·(x + 0.044715·x³). */
export function gelu(x: number): number {
  return x * sigmoid(2 * SQRT_2_OVER_PI * (x + KAPPA * x * x * x));
}

/** gelu's derivative: σ(2u) + x·σ(2u)·(1 - σ(2u))·2u'. */
export function geluGrad(x: number): number {
  const w = 2 * SQRT_2_OVER_PI * (x + KAPPA * x * x * x);
  const s = sigmoid(w), e = Math.exp(-Math.abs(w));
  const s1s = e / ((1 + e) * (1 + e)); // σ(w)·(1 - σ(w)), without cancellation
  return s + x * s1s * 2 * SQRT_2_OVER_PI * (1 + 3 * KAPPA * x * x);
}

/** PyTorch's forward (aten GeluKernel, approximate tanh). */
export function pytorchGelu(x: number): number {
  const inner = SQRT_2_OVER_PI * (x + KAPPA * x * x * x);
  return 0.5 * x * (1 + Math.tanh(inner));
}

/** PyTorch's backward (aten GeluBackwardKernel, approximate tanh), per unit of the incoming gradient. */
export function pytorchGeluGrad(x: number): number {
  const inner = SQRT_2_OVER_PI * (x + KAPPA * x * x * x);
  const t = Math.tanh(inner);
  const left = 0.5 * x, right = 1 + t;
  return 0.5 * right + left * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * KAPPA * x * x);
}

/** The activation of code `kind` (0: x itself). */
export function activate(kind: number, x: number): number {
  switch (kind) {
    case ACT.LEAKY: return leaky(x);
    case ACT.TANH: return Math.tanh(x);
    case ACT.SIGMOID: return sigmoid(x);
    case ACT.GELU: return gelu(x);
    default: return x;
  }
}

/** The derivative of activation `kind` from what the forward stored: A = act(z) (leaky, tanh, sigmoid) or Z (gelu). */
export function derivative(kind: number, stored: number): number {
  switch (kind) {
    case ACT.LEAKY: return stored > 0 ? 1 : SLOPE;
    case ACT.TANH: return 1 - stored * stored;
    case ACT.SIGMOID: return stored * (1 - stored);
    case ACT.GELU: return geluGrad(stored);
    default: return 1;
  }
}

/** The exact derivative at the pre-activation z, for the finite-difference checks. */
export function derivativeAt(kind: number, z: number): number {
  switch (kind) {
    case ACT.LEAKY: return z > 0 ? 1 : SLOPE;
    case ACT.TANH: return 1 - Math.tanh(z) ** 2;
    case ACT.SIGMOID: return sigmoid(z) * sigmoid(-z);
    case ACT.GELU: return geluGrad(z);
    default: return 1;
  }
}
