// The kernel × shape cases: every kernel at the shapes training uses (the digits SLP and MLP, full batch of
// 1797 rows) plus a larger 784→128 layer at batch 64 and 1000. Each case names its tensors and how to fill
// them, and how to call the wasm kernel (byte pointers into one arena) and its TypeScript reference (the
// Float32Arrays themselves) on them.
//
// Rates: a matmul does 2·M·K·N flops (the fused bias, ReLU or update epilogues are not counted). An
// elementwise or reduction kernel reports GB/s over the bytes it must read and write at least once
// (4 bytes per f32 element of every input and output) and elements per second over its element count.

import type { KernelExports } from "../src/kernels.js";
import { GEMM_SCRATCH_BYTES } from "../src/arena.js";
import * as gemm from "../src/reference/gemm.js";
import * as act from "../src/reference/activations.js";
import * as soft from "../src/reference/softmax.js";
import * as optim from "../src/reference/optim.js";
import { mulberry32 } from "../src/reference/random.js";

/** How a tensor is filled before timing. */
export type Fill =
  | "uniform" //  U(-1, 1)
  | "small" //    U(-0.01, 0.01): gradients, so repeated updates stay bounded
  | "logits" //   U(-4, 4)
  | "onehot" //   one 1 per row (the last dimension is the class)
  | "relu" //     max(0, U(-1, 1)): a ReLU's output, about half zeros
  | "zero";

export interface TensorSpec {
  readonly shape: readonly number[];
  readonly fill: Fill;
  /** Only the wasm kernel uses it (scratch such as gemm_nt's Bᵀ). */
  readonly wasmOnly?: boolean;
}

export type Ptrs = Record<string, number>;
export type Arrays = Record<string, Float32Array>;

export interface KernelCase {
  /** Stable id, matched by --filter: "gemm_nn/1797x64x32", "relu_backward/57504", ... */
  readonly id: string;
  /** Table group. */
  readonly family: string;
  readonly kernel: string;
  /** Human shape, e.g. "1797x64·64x32". */
  readonly shape: string;
  /** Where training uses it. */
  readonly use: string;
  readonly matmul: boolean;
  /** 2·M·K·N for matmuls, else 0. */
  readonly flops: number;
  /** Elements processed (the output's, or the input's for reductions). */
  readonly elements: number;
  /** Bytes read + written, each input and output element once (elementwise kernels; 0 for matmuls). */
  readonly bytes: number;
  readonly tensors: Readonly<Record<string, TensorSpec>>;
  readonly wasm: (k: KernelExports, p: Ptrs) => () => void;
  readonly ts: (a: Arrays) => () => void;
}

/** The same lr for every update case: small, so thousands of timed updates keep the weights bounded. */
const LR = 1e-4;

const T = (fill: Fill, ...shape: number[]): TensorSpec => ({ shape, fill });
/** The scratch the matrix kernels pack their operands in. */
const SCRATCH: TensorSpec = { shape: [GEMM_SCRATCH_BYTES / 4], fill: "zero", wasmOnly: true };

function mm(
  kernel: string, M: number, K: number, N: number, shape: string, use: string,
  c: Pick<KernelCase, "tensors" | "wasm" | "ts">, idSuffix = "",
): KernelCase {
  return { id: `${kernel}/${M}x${K}x${N}${idSuffix}`, family: kernel, kernel, shape, use, matmul: true, flops: 2 * M * K * N, elements: M * N, bytes: 0, ...c };
}

const gemmNN = (M: number, K: number, N: number, use: string) =>
  mm("gemm_nn", M, K, N, `${M}x${K}·${K}x${N}`, use, {
    tensors: { A: T("uniform", M, K), B: T("uniform", K, N), C: T("zero", M, N), S: SCRATCH },
    wasm: (k, p) => () => k.gemm_nn(p.A, p.B, p.C, M, K, N, p.S),
    ts: (a) => () => gemm.gemm_nn(a.A, a.B, a.C, M, K, N),
  });

const dense = (M: number, K: number, N: number, relu: 0 | 1, use: string) =>
  mm("dense_forward", M, K, N, `${M}x${K}·${K}x${N}${relu ? " +b +ReLU" : " +b"}`, use, {
    tensors: { X: T("uniform", M, K), W: T("uniform", K, N), b: T("uniform", N), Y: T("zero", M, N), S: SCRATCH },
    wasm: (k, p) => () => k.dense_forward(p.X, p.W, p.b, p.Y, M, K, N, relu, p.S),
    ts: (a) => () => gemm.dense_forward(a.X, a.W, a.b, a.Y, M, K, N, relu),
  }, relu ? "+relu" : "");

// Shapes are (M, K, N) of C[M,N] = A[K,M]ᵀ·B[K,N]: M is fan-in, K the batch, N fan-out.
const gemmTN = (M: number, K: number, N: number, use: string) =>
  mm("gemm_tn", M, K, N, `(${K}x${M})ᵀ·${K}x${N}`, use, {
    tensors: { A: T("uniform", K, M), B: T("small", K, N), C: T("zero", M, N), S: SCRATCH },
    wasm: (k, p) => () => k.gemm_tn(p.A, p.B, p.C, M, K, N, p.S),
    ts: (a) => () => gemm.gemm_tn(a.A, a.B, a.C, M, K, N),
  });

// C[M,N] = A[M,K]·B[N,K]ᵀ; the wasm kernel packs Bᵀ into scratch (timed: it is part of the call).
const gemmNT = (M: number, K: number, N: number, use: string) =>
  mm("gemm_nt", M, K, N, `${M}x${K}·(${N}x${K})ᵀ`, use, {
    tensors: { A: T("small", M, K), B: T("uniform", N, K), C: T("zero", M, N), S: SCRATCH },
    wasm: (k, p) => () => k.gemm_nt(p.A, p.B, p.C, M, K, N, p.S),
    ts: (a) => () => gemm.gemm_nt(a.A, a.B, a.C, M, K, N),
  });

function ew(kernel: string, family: string, dims: string, elements: number, bytes: number, use: string, c: Pick<KernelCase, "tensors" | "wasm" | "ts">): KernelCase {
  return { id: `${kernel}/${dims}`, family, kernel, shape: dims, use, matmul: false, flops: 0, elements, bytes, ...c };
}

const softmaxXent = (M: number, N: number, use: string) =>
  ew("softmax_xent", "softmax", `${M}x${N}`, M * N, 16 * M * N, use, {
    tensors: { Z: T("logits", M, N), Y: T("onehot", M, N), P: T("zero", M, N), G: T("zero", M, N) },
    wasm: (k, p) => () => k.softmax_xent(p.Z, p.Y, p.P, p.G, M, N),
    ts: (a) => () => soft.softmax_xent(a.Z, a.Y, a.P, a.G, M, N),
  });

const softmaxRows = (M: number, N: number, use: string) =>
  ew("softmax_rows", "softmax", `${M}x${N}`, M * N, 8 * M * N, use, {
    tensors: { Z: T("logits", M, N), P: T("zero", M, N) },
    wasm: (k, p) => () => k.softmax_rows(p.Z, p.P, M, N),
    ts: (a) => () => soft.softmax_rows(a.Z, a.P, M, N),
  });

const reluForward = (n: number, use: string) =>
  ew("relu_forward", "relu", String(n), n, 8 * n, use, {
    tensors: { X: T("uniform", n), Y: T("zero", n) },
    wasm: (k, p) => () => k.relu_forward(p.X, p.Y, n),
    ts: (a) => () => act.relu_forward(a.X, a.Y, n),
  });

const reluBackward = (n: number, use: string) =>
  ew("relu_backward", "relu", String(n), n, 12 * n, use, {
    tensors: { dY: T("small", n), Y: T("relu", n), dX: T("zero", n) },
    wasm: (k, p) => () => k.relu_backward(p.dY, p.Y, p.dX, n),
    ts: (a) => () => act.relu_backward(a.dY, a.Y, a.dX, n),
  });

const biasAdd = (M: number, N: number, use: string) =>
  ew("bias_add", "bias_add / colsum / sgd", `${M}x${N}`, M * N, 8 * M * N + 4 * N, use, {
    tensors: { X: T("uniform", M, N), b: T("small", N) },
    wasm: (k, p) => () => k.bias_add(p.X, p.b, M, N),
    ts: (a) => () => act.bias_add(a.X, a.b, M, N),
  });

const colsum = (M: number, N: number, use: string) =>
  ew("colsum", "bias_add / colsum / sgd", `${M}x${N}`, M * N, 4 * M * N + 4 * N, use, {
    tensors: { G: T("small", M, N), out: T("zero", N) },
    wasm: (k, p) => () => k.colsum(p.G, p.out, M, N),
    ts: (a) => () => optim.colsum(a.G, a.out, M, N),
  });

const sgd = (n: number, use: string) =>
  ew("sgd", "bias_add / colsum / sgd", String(n), n, 12 * n, use, {
    tensors: { W: T("uniform", n), G: T("small", n) },
    wasm: (k, p) => () => k.sgd(p.W, p.G, n, LR),
    ts: (a) => () => optim.sgd(a.W, a.G, n, LR),
  });

/** Every case, in table order (grouped by family). */
export const CASES: readonly KernelCase[] = [
  gemmNN(1797, 64, 32, "MLP hidden layer, forward"),
  gemmNN(1797, 32, 10, "MLP output layer, forward"),
  gemmNN(1797, 64, 10, "SLP, forward"),
  gemmNN(64, 784, 128, "784→128 layer, batch 64"),
  gemmNN(1000, 784, 128, "784→128 layer, batch 1000"),

  dense(1797, 64, 32, 1, "MLP hidden layer (bias + ReLU fused)"),
  dense(1797, 32, 10, 0, "MLP output layer (bias fused)"),
  dense(1797, 64, 10, 0, "SLP (bias fused)"),

  gemmTN(64, 1797, 32, "MLP dW1 = Xᵀ·G1"),
  gemmTN(32, 1797, 10, "MLP dW2 = A1ᵀ·G2"),
  gemmTN(64, 1797, 10, "SLP dW = Xᵀ·G"),
  gemmTN(784, 64, 128, "784→128 dW, batch 64"),
  gemmTN(784, 1000, 128, "784→128 dW, batch 1000"),


  gemmNT(1797, 10, 32, "MLP G1 = G2·W2ᵀ (incl. transpose)"),

  softmaxXent(1797, 10, "softmax + xent gradient, fused"),
  softmaxRows(1797, 10, "softmax only (inference)"),

  reluForward(1797 * 32, "MLP hidden ReLU (1797x32)"),
  reluBackward(1797 * 32, "MLP hidden ReLU mask (1797x32)"),

  biasAdd(1797, 32, "MLP hidden bias (unfused)"),
  colsum(1797, 32, "MLP db1"),
  colsum(1797, 10, "MLP db2"),
  sgd(64 * 32, "MLP W1 update (64x32)"),
];

/** Deterministic data: mulberry32 seeded per case and tensor. */
export function fillTensor(out: Float32Array, spec: TensorSpec, seed: number): void {
  const next = mulberry32(seed);
  const n = out.length;
  switch (spec.fill) {
    case "zero":
      out.fill(0);
      break;
    case "uniform":
      for (let i = 0; i < n; i++) out[i] = next() * 2 - 1;
      break;
    case "small":
      for (let i = 0; i < n; i++) out[i] = (next() * 2 - 1) * 0.01;
      break;
    case "logits":
      for (let i = 0; i < n; i++) out[i] = (next() * 2 - 1) * 4;
      break;
    case "relu":
      for (let i = 0; i < n; i++) out[i] = Math.max(0, next() * 2 - 1);
      break;
    case "onehot": {
      const C = spec.shape[spec.shape.length - 1], rows = n / C;
      out.fill(0);
      for (let r = 0; r < rows; r++) out[r * C + Math.floor(next() * C)] = 1;
      break;
    }
  }
}
