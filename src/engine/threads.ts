// How many threads a job should use: what the machine has, and what the work per step can pay for.

import { isNode, nodeBuiltin } from "../bytes.js";
import { SLICE_ROWS } from "./plan.js";
import type { KernelBuild } from "./kernels.js";

/** Cores this process may use. */
export async function availableThreads(): Promise<number> {
  if (isNode) return (await nodeBuiltin<typeof import("node:os")>("node:os")).availableParallelism();
  return Math.max(1, (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
}

/**
 * Multiply-add flops of the matrix products of a step over `rows` rows: per layer the forward product and
 * the weight gradient (2·rows·(fanIn+1)·fanOut each, the +1 being the bias row), and the delta through the
 * weights for every layer but the first (2·rows·fanOut·fanIn). The bench reports its GFLOP/s from the same
 * count over an epoch's rows.
 */
export function stepFlops(layers: readonly number[], rows: number): number {
  let f = 0;
  for (let l = 1; l < layers.length; l++) {
    f += 4 * rows * (layers[l - 1] + 1) * layers[l];
    if (l > 1) f += 2 * rows * layers[l] * layers[l - 1];
  }
  return f;
}

/**
 * One thread's rate on a training step, in flops (stepFlops) per microsecond, per kernel build: whole epochs
 * of the original MLP as `npm run bench` measures them on the project's machine (the README's performance
 * section has the figures).
 */
const FLOPS_PER_US: Record<KernelBuild, number> = { scalar: 6e3, simd: 35e3, relaxed: 45e3 };
/**
 * What each meeting of the threads costs a step (the README's performance section has the measurement: with
 * the step's barriers in wasm, 0.4-1 µs for the small networks whose thread count it decides).
 */
const BARRIER_US = 1;

/**
 * The threads (up to `available`) that finish a training step soonest: a step takes about stepFlops / T at
 * the build's rate, and more than one thread makes every barrier a real one, one per slice of SLICE_ROWS
 * rows and two per command. So, with the relaxed build, the original's full batch (18.5 Mflop, 4 slices:
 * ~410 µs, of which a second thread saves ~205 and spends ~6) takes 2 threads, as do its mini-batches of 64
 * (0.66 Mflop: ~15 µs, of which a second thread saves ~7 and spends 3); the SLP's mini-batches of 32
 * (0.08 Mflop: ~2 µs, a second thread would save ~1 and spend 3) take one.
 */
export function threadsFor(layers: readonly number[], batch: number, available: number, build: KernelBuild): number {
  const work = stepFlops(layers, batch) / FLOPS_PER_US[build], barriers = (Math.ceil(batch / SLICE_ROWS) + 2) * BARRIER_US;
  let best = 1, bestTime = work;
  for (let t = 2; t <= available; t++) {
    const time = work / t + barriers;
    if (time < bestTime) { best = t; bestTime = time; }
  }
  return best;
}
