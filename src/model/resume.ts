// A fit's checkpoints (checkpoint.ts is the file): what is taken from the network, the shuffle and the epoch
// loop between two epochs, and put back before a fit continues; and the check that a fit continuing one asks
// for what it was started with, on the same rows.

import type { Network } from "../engine/network.js";
import { UsageError } from "../errors.js";
import type { MT19937 } from "../data/mt19937.js";
import type { Params } from "./init.js";
import type { FitSettings } from "./options.js";
import { encodeCheckpoint, fingerprint, type Checkpoint, type FitRecord, type LoopState } from "./checkpoint.js";

/** What decides the weights of a fit with these settings on n training and nv held-out rows. */
export function fitRecord(s: FitSettings, n: number, nv: number): FitRecord {
  const { kind, ...numbers } = s.opt;
  return { optimizer: kind, ...numbers, batch: s.batch, dropout: s.dropout, lrSchedule: s.lrSchedule, patience: s.patience ?? null, train: n, eval: nv };
}

/** The fingerprint of a fit's rows: inputs and labels or targets, then the held-out ones. */
export function dataFingerprint(X: ArrayBufferView, y: ArrayBufferView, s: FitSettings): string {
  return fingerprint([X, y, ...(s.validation ? [s.validation.X, s.validation.y] : [])]);
}

/**
 * Refuses, with a UsageError naming the first difference, a fit that would not continue checkpoint `c`: other
 * settings, other rows, or fewer epochs in total than it has done.
 */
export function checkContinues(c: Checkpoint, record: FitRecord, data: string, epochs: number): void {
  for (const k of Object.keys(record) as (keyof FitRecord)[]) {
    if (c.settings[k] !== record[k]) {
      const name = k === "train" ? "training rows" : k === "eval" ? "held-out rows" : k;
      throw new UsageError(`fit: the checkpoint was trained with ${name} ${show(c.settings[k])}, and this fit asks for ${show(record[k])}; a fit that continues a checkpoint needs the settings it was started with`);
    }
  }
  if (c.data !== data) throw new UsageError("fit: these are not the rows the checkpoint was trained on (their fingerprints differ); continue it on the same training and held-out data");
  if (epochs < c.loop.epoch) throw new UsageError(`fit: epochs ${epochs} is fewer than the ${c.loop.epoch} the checkpoint has done (epochs is the total, those included)`);
}

const show = (v: unknown) => (v === null ? "none" : typeof v === "string" ? `"${v}"` : String(v));

/** Puts a checkpoint's optimiser state, step count, row order and shuffle state into a fresh fit's network and generator. */
export function restore(c: Checkpoint, net: Network, rng: MT19937 | undefined, best: Params | undefined): LoopState {
  net.layers.forEach((_, l) => net.tensors.training!.layers[l].state.forEach((t, s) => net.arena.view(t).set(c.state[l][s])));
  net.steps = c.steps;
  const order = net.training?.batch?.order;
  if (order) net.arena.viewI32(order).set(c.order!);
  if (rng) rng.setState(c.rng!);
  if (best) c.best!.W.forEach((w, l) => { best.W[l].set(w); best.b[l].set(c.best!.b[l]); });
  return { ...c.loop, history: [...c.loop.history] };
}

/** What a checkpoint holds besides the loop, taken now from the network, the shuffle and the best weights. */
export interface Snapshot {
  modelBytes: Uint8Array;
  epochs: number;
  settings: FitRecord;
  data: string;
  kernels: string;
  flags?: string[];
}

/** The checkpoint file of a fit as it stands between two epochs. */
export function takeCheckpoint(net: Network, rng: MT19937 | undefined, best: Params | undefined, loop: LoopState, s: Snapshot): Uint8Array {
  const state = net.tensors.training!.layers.map((l) => l.state.map((t) => net.arena.view(t)));
  const order = net.training?.batch?.order;
  return encodeCheckpoint({
    modelBytes: s.modelBytes, loop, epochs: s.epochs, steps: net.steps, settings: s.settings, data: s.data, kernels: s.kernels, state,
    order: order && net.arena.viewI32(order), rng: rng?.getState(), best, cli: s.flags,
  });
}
