// The kernel × shape cases: each names its tensors and how to fill them, how to call the wasm kernel (byte
// pointers into an arena) and its TypeScript twin (the Float32Arrays themselves), and what the first call
// must produce from freshly filled tensors, by the twin, with the kernel tests' tolerance (check.ts compares
// every case before anything is timed).
//
// CASES, the default run: the matrix forms at the shapes the training step runs (K = fan-in + 1: the bias
// is the last row of W and the inputs carry a column of ones; one 256-row slice of a full batch, as the
// step takes it, and whole batches), softmax_xent and sgd as the step calls them. SWEEP_CASES (--sweep):
// the three forms over square sizes and over every product of three networks at batch 64 and 1797.
//
// Rates: a matmul does 2·M·K·N flops. softmax_xent and sgd report GB/s over the bytes they must read and
// write at least once (4 bytes per f32 element of every input and output).

import type { CompiledKernels, KernelExports } from "../src/engine/kernels.js";
import { Arena, GEMM_SCRATCH_BYTES, Layout } from "../src/engine/arena.js";
import * as gemm from "../test/reference/gemm.js";
import * as soft from "../test/reference/softmax.js";
import * as optim from "../test/reference/optim.js";
import { mulberry32, seedOf } from "../test/reference/random.js";
import { sgdTolerance, softmaxTolerance, sumTolerance, xentGradTolerance } from "../test/reference/tolerance.js";
import { product } from "./breakdown.js";
import { OPT } from "./workloads.js";

/** How a tensor is filled before the first call. */
export type Fill =
  | "uniform" //  U(-1, 1)
  | "small" //    U(-0.01, 0.01): gradients, so repeated updates stay bounded
  | "logits" //   U(-4, 4)
  | "onehot" //   one 1 per row (the last dimension is the class)
  | "zero";

export interface TensorSpec {
  readonly shape: readonly number[];
  readonly fill: Fill;
  /** Only the wasm kernel uses it (packing scratch). */
  readonly wasmOnly?: boolean;
}

export type Ptrs = Record<string, number>;
export type Arrays = Record<string, Float32Array>;

/** An output of the first call as the twin computes it, and the allowed error per element. */
export interface Expected {
  readonly tensor: string;
  readonly want: Float32Array;
  readonly tol: (i: number) => number;
}

export interface KernelCase {
  /** Stable id, matched by --filter: "gemm_nn/256x65x32", "softmax_xent/256x10", "sgd/2080". */
  readonly id: string;
  /** Table: the kernel's family by default, the group heading in the sweep. */
  readonly family: string;
  readonly kernel: string;
  /** Human shape, e.g. "256x65·65x32". */
  readonly shape: string;
  /** Where training uses it. */
  readonly use: string;
  /** 2·M·K·N for matmuls, else 0. */
  readonly flops: number;
  /** Bytes read + written, each input and output element once (0 for matmuls). */
  readonly bytes: number;
  readonly tensors: Readonly<Record<string, TensorSpec>>;
  readonly wasm: (k: KernelExports, p: Ptrs) => () => void;
  readonly ts: (a: Arrays) => () => void;
  /** From tensors as fillTensor left them (not modified). */
  readonly expect: (a: Arrays) => Expected[];
}

const T = (fill: Fill, ...shape: number[]): TensorSpec => ({ shape, fill });
const SCRATCH: TensorSpec = { shape: [GEMM_SCRATCH_BYTES / 4], fill: "zero", wasmOnly: true };
const abs = (a: Float32Array) => a.map(Math.abs);

export type Form = "nn" | "tn" | "nt";

/**
 * C[M,N] = A·B in one of the three forms training uses: nn A[M,K]·B[K,N] (forward), tn A[K,M]ᵀ·B[K,N]
 * (weight gradients: M is fan-in + 1, K the batch), nt A[M,K]·B[N,K]ᵀ (deltas through the weights).
 */
export function matmul(form: Form, M: number, K: number, N: number, use: string, family = `gemm_${form}`): KernelCase {
  const kernel = `gemm_${form}` as const;
  const A = form === "tn" ? T("uniform", K, M) : T("uniform", M, K);
  const B = form === "nt" ? T("uniform", N, K) : T("uniform", K, N);
  return {
    id: `${kernel}/${M}x${K}x${N}`, family, kernel, shape: product(M, K, N, form === "tn", form === "nt"), use,
    flops: 2 * M * K * N, bytes: 0,
    tensors: { A, B, C: T("zero", M, N), S: SCRATCH },
    wasm: (k, p) => () => k[kernel](p.A, p.B, p.C, M, K, N, p.S),
    ts: (a) => () => gemm[kernel](a.A, a.B, a.C, M, K, N),
    expect: (a) => {
      const want = new Float32Array(M * N), bound = new Float32Array(M * N), c = sumTolerance(K);
      gemm[kernel](a.A, a.B, want, M, K, N);
      gemm[kernel](abs(a.A), abs(a.B), bound, M, K, N);
      return [{ tensor: "C", want, tol: (i) => c * bound[i] }];
    },
  };
}

/** P = softmax(Z) and G = (P - Y) / batch for M rows of a batch. */
function softmaxXent(M: number, N: number, batch: number, use: string): KernelCase {
  return {
    id: `softmax_xent/${M}x${N}`, family: "softmax_xent", kernel: "softmax_xent", shape: `${M}x${N}`, use, flops: 0, bytes: 16 * M * N,
    tensors: { Z: T("logits", M, N), Y: T("onehot", M, N), P: T("zero", M, N), G: T("zero", M, N) },
    wasm: (k, p) => () => k.softmax_xent(p.Z, p.Y, p.P, p.G, M, N, batch),
    ts: (a) => () => soft.softmax_xent(a.Z, a.Y, a.P, a.G, M, N, batch),
    expect: (a) => {
      const P = new Float32Array(M * N), G = new Float32Array(M * N);
      soft.softmax_xent(a.Z, a.Y, P, G, M, N, batch);
      const tolP = softmaxTolerance(a.Z, P, M, N);
      return [{ tensor: "P", want: P, tol: (i) => tolP[i] }, { tensor: "G", want: G, tol: xentGradTolerance(tolP, P, a.Y, batch) }];
    },
  };
}

/** W -= lr·G over n weights, at the training learning rate (G small, so timed repeats keep W bounded). */
function sgd(n: number, use: string): KernelCase {
  const lr = OPT.lr;
  return {
    id: `sgd/${n}`, family: "sgd", kernel: "sgd", shape: String(n), use, flops: 0, bytes: 12 * n,
    tensors: { W: T("uniform", n), G: T("small", n) },
    wasm: (k, p) => () => k.sgd(p.W, p.G, n, lr),
    ts: (a) => () => optim.sgd(a.W, a.G, n, lr),
    expect: (a) => {
      const want = a.W.slice();
      optim.sgd(want, a.G, n, lr);
      return [{ tensor: "W", want, tol: sgdTolerance(a.W, a.G, lr) }];
    },
  };
}

/** The default run's cases, in table order (grouped by family). */
export const CASES: readonly KernelCase[] = [
  matmul("nn", 256, 65, 32, "64-32-10 hidden layer, forward, one 256-row slice"),
  matmul("nn", 256, 33, 10, "64-32-10 output layer, forward, one slice"),
  matmul("nn", 1797, 65, 32, "64-32-10 hidden layer, forward, whole batch"),
  matmul("nn", 256, 257, 256, "64-256-256-10 second layer, forward, one slice"),
  matmul("nn", 64, 785, 128, "784-128-10 hidden layer, forward, batch 64"),

  matmul("tn", 65, 256, 32, "64-32-10 dW1 = Xᵀ·G1, one slice"),
  matmul("tn", 33, 256, 10, "64-32-10 dW2 = A1ᵀ·G2, one slice"),
  matmul("tn", 65, 1797, 32, "64-32-10 dW1, whole batch"),
  matmul("tn", 257, 256, 256, "64-256-256-10 dW2, one slice"),
  matmul("tn", 785, 64, 128, "784-128-10 dW1, batch 64"),

  matmul("nt", 256, 10, 32, "64-32-10 G1 = G2·W2ᵀ, one slice"),
  matmul("nt", 256, 256, 256, "64-256-256-10 G1 = G2·W2ᵀ, one slice"),

  softmaxXent(256, 10, 1797, "one slice of the digits' full batch"),
  softmaxXent(64, 10, 64, "a mini-batch of 64"),

  sgd(65 * 32, "64-32-10 W1 update (bias row included)"),
  sgd(257 * 256, "64-256-256-10 W2 update"),
];

const SQUARES = [16, 32, 64, 128, 256, 512, 1024];
const FORM_NAMES: Record<Form, string> = { nn: "A·B (nn)", tn: "Aᵀ·B (tn)", nt: "A·Bᵀ (nt)" };
const SWEEP_NETWORKS = [[64, 32, 10], [64, 256, 256, 10], [784, 128, 10]];
const SWEEP_BATCHES = [64, 1797];

/**
 * Every product of one training step: each layer's forward product, then from the top layer down the delta
 * through its weights (layers above the first) and its dW.
 */
function stepProducts(layers: readonly number[], batch: number): KernelCase[] {
  const group = `${layers.join("-")}, batch ${batch}`, L = layers.length - 1, out: KernelCase[] = [];
  for (let l = 1; l <= L; l++) out.push(matmul("nn", batch, layers[l - 1] + 1, layers[l], `forward, layer ${l}`, group));
  for (let l = L; l >= 1; l--) {
    if (l > 1) out.push(matmul("nt", batch, layers[l], layers[l - 1], `delta through W${l}`, group));
    out.push(matmul("tn", layers[l - 1] + 1, batch, layers[l], `dW${l}`, group));
  }
  return out;
}

/** --sweep: square sizes per form, then the training products (ids may repeat across groups: kept once). */
export const SWEEP_CASES: readonly KernelCase[] = (() => {
  const all: KernelCase[] = [];
  for (const form of ["nn", "tn", "nt"] as const) for (const n of SQUARES) all.push(matmul(form, n, n, n, "square", `${FORM_NAMES[form]}, square sizes`));
  for (const layers of SWEEP_NETWORKS) for (const batch of SWEEP_BATCHES) all.push(...stepProducts(layers, batch));
  const seen = new Set<string>();
  return all.filter((c) => !seen.has(c.id) && seen.add(c.id));
})();

/** Deterministic data: mulberry32 seeded per case and tensor. */
export function fillTensor(out: Float32Array, spec: TensorSpec, seed: number): void {
  const next = mulberry32(seed);
  const n = out.length;
  const scaled = (s: number) => { for (let i = 0; i < n; i++) out[i] = (next() * 2 - 1) * s; };
  switch (spec.fill) {
    case "zero":
      out.fill(0);
      break;
    case "uniform":
      scaled(1);
      break;
    case "small":
      scaled(0.01);
      break;
    case "logits":
      scaled(4);
      break;
    case "onehot": {
      const C = spec.shape[spec.shape.length - 1], rows = n / C;
      out.fill(0);
      for (let r = 0; r < rows; r++) out[r * C + Math.floor(next() * C)] = 1;
      break;
    }
  }
}

/** Every tensor of the cases in one arena (a fixed memory: nothing is allocated once timing starts), filled. */
export function placeCases(kernels: CompiledKernels, cases: readonly KernelCase[]): { arena: Arena; ptrs: Ptrs[] } {
  const layout = new Layout();
  const ptrs = cases.map((c) => {
    const p: Ptrs = {};
    for (const [name, spec] of Object.entries(c.tensors)) p[name] = layout.add(`${c.id}:${name}`, ...spec.shape).ptr;
    return p;
  });
  const arena = new Arena(kernels, layout);
  for (const c of cases) {
    for (const [name, spec] of Object.entries(c.tensors)) fillTensor(arena.view(layout.get(`${c.id}:${name}`)), spec, seedOf(c.id, name));
  }
  return { arena, ptrs };
}

/** The case's tensors as Float32Arrays (the twin's), filled with the same data as placeCases. */
export function caseArrays(c: KernelCase): Arrays {
  const a: Arrays = {};
  for (const [name, spec] of Object.entries(c.tensors)) {
    if (spec.wasmOnly) continue;
    a[name] = new Float32Array(spec.shape.reduce((x, y) => x * y, 1));
    fillTensor(a[name], spec, seedOf(c.id, name));
  }
  return a;
}
