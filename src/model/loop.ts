// How a fit's epoch loop (fit.ts) is set up: the shuffle, the best weights, a checkpoint's state put back,
// the checkpoints it takes (resume.ts), and the thread count's tuner (adapt.ts).

import type { Network } from "../engine/network.js";
import { MT19937 } from "../data/mt19937.js";
import { cloneParams, type Params } from "./init.js";
import type { FitSettings } from "./options.js";
import type { LoopHooks } from "./fit.js";
import type { Checkpoint } from "./checkpoint.js";
import { restore, takeCheckpoint, type Snapshot } from "./resume.js";
import { processClock, ThreadTuner } from "./adapt.js";

/**
 * How a fit's epoch loop starts and what it calls between epochs: the seeded shuffle for mini-batches, the best
 * weights for patience (at first `params`), a checkpoint's state put back when it continues one, and the
 * checkpoints it takes (`snapshot` gives the model file and the rest as they stand), and a tuner of the
 * thread count when the fit did not ask for one.
 */
export function loopHooks(net: Network, s: FitSettings, seed: number, params: Params, from: Checkpoint | undefined, boundary: LoopHooks["boundary"], snapshot: () => Snapshot, between?: () => void): LoopHooks {
  const rng = s.batch < net.shape.train ? new MT19937((seed + 1) >>> 0) : undefined;
  const best = s.patience !== undefined ? cloneParams(params) : undefined;
  const c = s.checkpoint, T = net.shape.threads;
  return {
    rng, best, boundary, between,
    // threads the fit chose itself ("auto") follow the machine's load; a count asked for is kept
    tuner: s.threads === undefined && T > 1 ? new ThreadTuner(T, processClock()) : undefined,
    from: from && restore(from, net, rng, best),
    checkpoint: c && { every: c.every, take: (loop) => c.write(takeCheckpoint(net, rng, best, loop, snapshot()), loop.epoch) },
  };
}
