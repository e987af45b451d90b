// How many threads a job should use: what the machine has, and what the work per step can pay for.

import { isNode, nodeBuiltin } from "./bytes.js";
import { SLICE_ROWS } from "./network.js";
import type { KernelBuild } from "./kernels.js";

/** Cores this process may use. */
export async function availableThreads(): Promise<number> {
  if (isNode) return (await nodeBuiltin<typeof import("node:os")>("node:os")).availableParallelism();
  return Math.max(1, (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
}

/**
 * One thread's rate on a training step, in flops per microsecond, per kernel build: what `npm run bench`
 * measured for whole epochs of the original MLP on the project's 2-core machine (scalar 6, simd 34-41,
 * relaxed 42-47 GFLOP/s).
 */
const FLOPS_PER_US: Record<KernelBuild, number> = { scalar: 6e3, simd: 35e3, relaxed: 45e3 };
/** What each meeting of the threads costs a step, with the imbalance it exposes: measured 2.5-9 µs. */
const BARRIER_US = 8;

/**
 * The threads (up to `available`) that finish a training step soonest: a step of W flops takes about W/T
 * at the build's rate, and more than one thread makes every barrier a real one, one per slice of
 * SLICE_ROWS rows and two per command. So, with the relaxed build, the original's full batch (26 Mflop, 4
 * slices: ~580 µs, of which a second thread saves ~290 and spends ~50) takes 2 threads, and its
 * mini-batches of 64 (0.9 Mflop: ~21 µs, of which a second thread would save ~10 and spend 24) take one.
 */
export function threadsFor(layers: readonly number[], batch: number, available: number, build: KernelBuild): number {
  let flops = 0;
  for (let l = 1; l < layers.length; l++) flops += 6 * batch * (layers[l - 1] + 1) * layers[l];
  const work = flops / FLOPS_PER_US[build], barriers = (Math.ceil(batch / SLICE_ROWS) + 2) * BARRIER_US;
  let best = 1, bestTime = work;
  for (let t = 2; t <= available; t++) {
    const time = work / t + barriers;
    if (time < bestTime) { best = t; bestTime = time; }
  }
  return best;
}
