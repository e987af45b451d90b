// How many threads a job should use: what the machine has, and what the work per step can pay for.

import { isNode, nodeBuiltin } from "./bytes.js";
import { SLICE_ROWS } from "./network.js";

/** Cores this process may use. */
export async function availableThreads(): Promise<number> {
  if (isNode) return (await nodeBuiltin<typeof import("node:os")>("node:os")).availableParallelism();
  return Math.max(1, (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
}

/** Rates behind the rule, measured on the project's 2-core machine (a conservative one-thread GEMM rate). */
const FLOPS_PER_US = 30e3;
const BARRIER_US = 5;

/**
 * The threads (up to `available`) that finish a training step soonest: a step of W flops takes about W/T
 * at 30 GFLOP/s, and more than one thread makes every barrier a real one, about 5 µs each with the
 * imbalance it exposes (measured: 2 µs a round trip), one per slice of SLICE_ROWS rows and two per command.
 * So the original's full batch (26 Mflop, 4 slices: ~870 µs) takes 2 threads, and its mini-batches of 64
 * (0.9 Mflop: ~31 µs, of which a second thread would save ~15 µs and spend 15 µs in barriers) take one.
 */
export function threadsFor(layers: readonly number[], batch: number, available: number): number {
  let flops = 0;
  for (let l = 1; l < layers.length; l++) flops += 6 * batch * (layers[l - 1] + 1) * layers[l];
  const work = flops / FLOPS_PER_US, barriers = (Math.ceil(batch / SLICE_ROWS) + 2) * BARRIER_US;
  let best = 1, bestTime = work;
  for (let t = 2; t <= available; t++) {
    const time = work / t + barriers;
    if (time < bestTime) { best = t; bestTime = time; }
  }
  return best;
}
