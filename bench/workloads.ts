// The training workloads the bench runs whole epochs of, each on the real training step (src/network.ts):
// a wasm build's kernels, or the plain TypeScript twins in their place through Network's `wrap` option, so
// the "ts" baseline and the per-call breakdown time exactly what training runs. Set up as the original's scripts
// do: seed 42 NumPy weights, full-batch SGD at the default learning rate (0.1), the SLP standardised
// globally and the MLPs per feature (784-128-10 on MNIST globally, as the CLI does).

import { loadDigits, type Dataset } from "../src/data/datasets.js";
import { applyNormalization, fitNormalization, oneHot, type NormalizeKind } from "../src/model/normalize.js";
import { initParams } from "../src/model/init.js";
import { Network, SLICE_ROWS, type NetworkShape, type Stats } from "../src/engine/network.js";
import { DEFAULT_OPTIMIZER, defaultLr, type Optimizer } from "../src/engine/optimizers.js";
import type { CompiledKernels, KernelExports } from "../src/engine/kernels.js";
import { MT19937 } from "../src/data/mt19937.js";
import { referenceKernels } from "../test/reference/kernels.js";
import { mulberry32 } from "../test/reference/random.js";

export type WorkloadId = "slp" | "mlp" | "mlp-b64" | "wide" | "mnist";

export interface Workload {
  readonly id: WorkloadId;
  readonly name: string;
  readonly layers: readonly number[];
  /** Rows per step; absent: the whole training set. */
  readonly batch?: number;
  readonly data: "digits" | "mnist";
  readonly normalize: NormalizeKind;
  /** Cheap enough for the TypeScript twins and the scalar build (the others would take minutes). */
  readonly small: boolean;
}

export const WORKLOADS: readonly Workload[] = [
  { id: "slp", name: "SLP 64-10", layers: [64, 10], data: "digits", normalize: "global", small: true },
  { id: "mlp", name: "MLP 64-32-10", layers: [64, 32, 10], data: "digits", normalize: "feature", small: true },
  { id: "mlp-b64", name: "MLP 64-32-10, batch 64", layers: [64, 32, 10], batch: 64, data: "digits", normalize: "feature", small: true },
  { id: "wide", name: "MLP 64-256-256-10", layers: [64, 256, 256, 10], data: "digits", normalize: "feature", small: false },
  { id: "mnist", name: "MLP 784-128-10, batch 64", layers: [784, 128, 10], batch: 64, data: "mnist", normalize: "global", small: false },
];

export const workload = (id: WorkloadId): Workload => WORKLOADS.find((w) => w.id === id)!;

/** The original's weights and learning rate. */
export const SEED = 42;
export const OPT: Optimizer = { ...DEFAULT_OPTIMIZER, kind: "sgd", lr: defaultLr("sgd") };

/** Rows of MNIST the 784-128-10 workload trains on. */
export const MNIST_ROWS = 2000;

export interface Data extends Pick<Dataset, "X" | "y" | "n" | "features"> {
  /** Where the rows came from, for the report. */
  readonly source: string;
}

/** The digits, or the first MNIST_ROWS MNIST digits (seeded synthetic pixels when the mnist package is absent). */
export async function loadData(kind: Workload["data"]): Promise<Data> {
  if (kind === "digits") {
    const d = await loadDigits();
    return { X: d.X, y: d.y, n: d.n, features: d.features, source: `the ${d.n} digits` };
  }
  try {
    const { loadMnist } = await import("../src/data/mnist.js");
    const d = await loadMnist();
    const n = MNIST_ROWS, f = d.features;
    return { X: d.X.slice(0, n * f), y: d.y.slice(0, n), n, features: f, source: `the first ${n} MNIST digits` };
  } catch (e) {
    // the timing does not depend on the pixel values, only the report's wording does
    const n = MNIST_ROWS, f = 784, next = mulberry32(SEED);
    const X = Float32Array.from({ length: n * f }, () => next());
    const y = Uint8Array.from({ length: n }, (_, i) => i % 10);
    return { X, y, n, features: f, source: `${n} rows of synthetic pixels (MNIST unavailable: ${(e as Error).message})` };
  }
}

/** Every data set the given workloads need, loaded once. */
export async function loadAll(ws: readonly Workload[]): Promise<Map<Workload["data"], Data>> {
  const out = new Map<Workload["data"], Data>();
  for (const w of ws) if (!out.has(w.data)) out.set(w.data, await loadData(w.data));
  return out;
}

export interface NetworkOptions {
  /** Threads the network is planned for (useThreads picks how many run). */
  threads?: number;
  sliceRows?: number;
  /** Kernels in place of the build's raw exports (the twins, or timed ones). */
  wrap?: (raw: KernelExports, memory: WebAssembly.Memory) => KernelExports;
}

export function shapeOf(w: Workload, rows: number, opts: NetworkOptions = {}): NetworkShape {
  return { layers: w.layers, train: rows, batch: w.batch ?? rows, eval: 0, optimizer: "sgd", threads: opts.threads ?? 1, sliceRows: opts.sliceRows ?? SLICE_ROWS };
}

/** A Network holding the workload's standardised data and the original's initial weights. */
export function network(kernels: CompiledKernels, w: Workload, data: Data, opts: NetworkOptions = {}): Network {
  const inputs = w.layers[0], classes = w.layers[w.layers.length - 1];
  const norm = fitNormalization(data.X, data.n, inputs, w.normalize);
  const net = new Network(kernels, shapeOf(w, data.n, opts), { wrap: opts.wrap });
  net.setTrain(applyNormalization(norm, data.X, data.n, inputs), oneHot(data.y, classes));
  net.setParams(initParams(w.layers, SEED));
  return net;
}

/** The TypeScript twins over the network's memory: the bench's "ts" implementation. */
export const twins = (_raw: KernelExports, memory: WebAssembly.Memory): KernelExports => referenceKernels(memory);

/** One epoch of the network, as fit runs it (mini-batches reshuffled from fit's seed), without reports. */
export function epochOf(net: Network, w: Workload): (stats?: Stats) => void {
  const rng = w.batch !== undefined ? new MT19937((SEED + 1) >>> 0) : undefined;
  return (stats) => net.epoch(OPT, rng, stats);
}

export interface WorkingSet {
  /** Every tensor an epoch reads or writes, bytes (as the arena lays it out). */
  readonly parts: readonly { name: string; bytes: number }[];
  readonly bytes: number;
  /** Of which in the per-row tensors (X, Y, A, G, P), per row; and in the weights and their gradients. */
  readonly bytesPerRow: number;
  readonly weightBytes: number;
}

/**
 * What one full-batch epoch of a workload touches, counted once per byte: the inputs with their column of
 * ones (X), the one-hot targets (Y), every layer's outputs (A: activations with their ones column, or the
 * logits) and deltas (G, laid out as A), the probabilities (P), and every layer's weights and gradients
 * (Wb, dWb: bias row included). Left out: the packing scratch (a few KB of it at these shapes), the per-row
 * loss and correctness (written only when an epoch reports) and the command words.
 */
export function workingSet(w: Workload, rows: number): WorkingSet {
  const layout = Network.plan(shapeOf(w, rows));
  const names = ["Xt", "Yt"];
  for (let l = 1; l < w.layers.length; l++) names.push(`A${l}`, `G${l}`, `Wb${l}`, `dWb${l}`);
  names.push("P");
  const parts = names.map((name) => {
    const t = layout.get(name);
    return { name, bytes: 4 * t.length, rows: t.shape[0] === rows && !name.includes("W") };
  });
  const sum = (ps: typeof parts) => ps.reduce((a, p) => a + p.bytes, 0);
  return {
    parts: parts.map(({ name, bytes }) => ({ name, bytes })),
    bytes: sum(parts),
    bytesPerRow: sum(parts.filter((p) => p.rows)) / rows,
    weightBytes: sum(parts.filter((p) => !p.rows)),
  };
}
