// The checkpoint file: a fit stopped between two epochs, with everything it needs to continue to the bit
// (MLP.fromCheckpoint, then a fit asking for the total epochs; the CLI's --checkpoint and --resume).
// Little-endian.
//
//   offset  size       field
//   0       4          magic "WMLC"
//   4       2          format version: 1
//   6       2          zero
//   8       4 + J      J, u32, then J bytes of UTF-8 JSON, an object with the fields below
//   ...     4 + M      M, u32, then M bytes: the model as it stands, a .wmlp file (modelfile.ts)
//   ...     4·S        the optimiser's state, f32: per layer, each of its state tensors (the optimiser table,
//                      engine/optimizers.ts, says how many), fan_in + 1 rows × fan_out, the bias row last
//   ...     4·n        mini-batch only: the row order the last epoch shuffled, i32, a permutation of 0..n-1
//   ...     4·624      mini-batch only: the shuffle's MT19937 words, u32
//   ...     4·P        with patience only: the best weights so far, f32, in the model file's order
//   end-4   4          CRC-32 (IEEE) of every byte before it
//
// The JSON block:
//   "epoch"     epochs done
//   "epochs"    the total the fit was started with (the length its learning-rate schedule was planned for)
//   "steps"     steps taken: Adam's step count, and which dropout masks come next
//   "settings"  what decides the weights, which a fit that continues must ask for again (FitRecord)
//   "data"      a fingerprint of the training and held-out rows (hex), which a fit that continues must match
//   "kernels"   the kernel build that trained it (another build may round differently)
//   "rng"       mini-batch only: { index, gauss, hasGauss }, the rest of the shuffle's MT19937 state
//   "best"      with patience only: { loss (null while none), epoch, since }
//   "history"   every report so far
//   "cli"       optional: the command line's flags, so that `train --resume` can repeat them
// Readers check the checksum first, then every size against the file before anything is sized from it.

import { ModelFileError } from "../errors.js";
import { MT_WORDS, type MTState } from "../data/mt19937.js";
import { OPTIMIZER_TABLE, OPTIMIZERS, type Optimizer, type OptimizerKind } from "../engine/optimizers.js";
import { LR_SCHEDULES, type LrSchedule } from "./schedule.js";
import { crc32, decodeModel, MAX_MODEL_BYTES, type ModelData } from "./modelfile.js";
import type { Report, RegressionReport } from "./types.js";

export const CHECKPOINT_MAGIC = "WMLC";
export const CHECKPOINT_VERSION = 1;
/** The largest checkpoint read: a model file's limit, and room for its optimiser state and best weights. */
export const MAX_CHECKPOINT_BYTES = 4 * MAX_MODEL_BYTES;

/**
 * What decides a fit's weights besides the data and the model: the optimiser's numbers (engine/optimizers.ts's
 * Optimizer, its kind as "optimizer") and the rest below. A fit that continues must ask for the same.
 */
export interface FitRecord extends Omit<Optimizer, "kind"> {
  optimizer: OptimizerKind;
  batch: number;
  dropout: number;
  lrSchedule: LrSchedule;
  patience: number | null;
  /** Training and held-out rows. */
  train: number;
  eval: number;
}

/** Where an epoch loop stands between two epochs (fit.ts): what a checkpoint keeps besides the tensors. */
export interface LoopState {
  /** Epochs done. */
  epoch: number;
  /** With patience: the lowest held-out loss so far (Infinity while none), its epoch, and epochs since. */
  bestLoss: number;
  bestEpoch: number;
  sinceBest: number;
  history: (Report | RegressionReport)[];
}

export interface Checkpoint {
  model: ModelData;
  /** The model file as it was stored (fromCheckpoint reads it as fromBytes would). */
  modelBytes: Uint8Array;
  loop: LoopState;
  /** The total epochs the fit was started with. */
  epochs: number;
  steps: number;
  settings: FitRecord;
  data: string;
  kernels: string;
  /** Per layer, the optimiser's state tensors (fan_in + 1) × fan_out. */
  state: Float32Array[][];
  /** Mini-batch only. */
  order?: Int32Array;
  rng?: MTState;
  /** With patience only: the best weights so far (W1, b1, W2, ...). */
  best?: { W: Float32Array[]; b: Float32Array[] };
  cli?: string[];
}

export function encodeCheckpoint(c: Omit<Checkpoint, "model">): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({
    epoch: c.loop.epoch, epochs: c.epochs, steps: c.steps, settings: c.settings, data: c.data, kernels: c.kernels,
    ...(c.rng && { rng: { index: c.rng.index, gauss: c.rng.gauss, hasGauss: c.rng.hasGauss } }),
    ...(c.best && { best: { loss: Number.isFinite(c.loop.bestLoss) ? c.loop.bestLoss : null, epoch: c.loop.bestEpoch, since: c.loop.sinceBest } }),
    history: c.loop.history,
    ...(c.cli && { cli: c.cli }),
  }));
  const arrays: (Float32Array | Int32Array | Uint32Array)[] = [...c.state.flat(), ...(c.order ? [c.order] : []), ...(c.rng ? [c.rng.words] : [])];
  if (c.best) c.best.W.forEach((w, l) => arrays.push(w, c.best!.b[l]));
  const size = 8 + 4 + json.length + 4 + c.modelBytes.length + arrays.reduce((s, a) => s + 4 * a.length, 0) + 4;
  const bytes = new Uint8Array(size), dv = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) bytes[i] = CHECKPOINT_MAGIC.charCodeAt(i);
  dv.setUint16(4, CHECKPOINT_VERSION, true);
  let o = 8;
  for (const part of [json, c.modelBytes]) {
    dv.setUint32(o, part.length, true);
    bytes.set(part, o + 4);
    o += 4 + part.length;
  }
  for (const a of arrays) {
    const f = a instanceof Float32Array;
    for (let i = 0; i < a.length; i++, o += 4) f ? dv.setFloat32(o, a[i], true) : dv.setUint32(o, a[i] >>> 0, true);
  }
  dv.setUint32(o, crc32(bytes.subarray(0, o)), true);
  return bytes;
}

/** Reads a checkpoint, or throws a ModelFileError saying what is wrong with it. */
export function decodeCheckpoint(bytes: Uint8Array, name = "checkpoint"): Checkpoint {
  const fail = (why: string) => new ModelFileError(`${name}: ${why}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 20) throw fail(`too short to be a checkpoint (${bytes.length} bytes)`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== CHECKPOINT_MAGIC) throw fail(`not a wasm-mlp checkpoint (magic ${JSON.stringify(magic)}, expected "${CHECKPOINT_MAGIC}")${magic === "WMLP" ? "; it is a model file: continue training it with a fit, or pass a checkpoint written by --checkpoint" : ""}`);
  const version = dv.getUint16(4, true);
  if (version !== CHECKPOINT_VERSION) throw fail(version > CHECKPOINT_VERSION ? `checkpoint version ${version} is newer than this program reads (${CHECKPOINT_VERSION}); upgrade wasm-mlp` : `checkpoint version ${version} is not valid`);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== dv.getUint32(bytes.length - 4, true)) throw fail("checksum mismatch: the file is damaged");
  const end = bytes.length - 4;
  const jsonLength = dv.getUint32(8, true);
  if (12 + jsonLength + 4 > end) throw fail(`truncated: its JSON block claims ${jsonLength} bytes`);
  const head = readHead(bytes.subarray(12, 12 + jsonLength), fail);
  let o = 12 + jsonLength;
  const modelLength = dv.getUint32(o, true);
  if (modelLength > MAX_MODEL_BYTES || o + 4 + modelLength > end) throw fail(`truncated: its model claims ${modelLength} bytes`);
  const modelBytes = bytes.slice(o + 4, o + 4 + modelLength);
  const model = decodeModel(modelBytes, `${name} (its model)`);
  o += 4 + modelLength;
  const layers = model.params.layers, s = head.settings, n = s.train;
  const batched = s.batch < n, states = OPTIMIZER_TABLE[s.optimizer].state;
  let weights = 0;
  for (let l = 1; l < layers.length; l++) weights += (layers[l - 1] + 1) * layers[l];
  const expected = o + 4 * (states * weights + (batched ? n + MT_WORDS : 0) + (s.patience !== null ? weights : 0)) + 4;
  if (bytes.length !== expected) throw fail(`${bytes.length < expected ? "truncated" : "has trailing bytes"}: ${bytes.length} bytes, its header says ${expected}`);
  if (batched !== (head.rng !== undefined) || (s.patience !== null) !== (head.best !== undefined)) throw fail("its JSON block does not match its settings (rng with mini-batches, best with patience)");
  const read = arrays(dv, o, fail);
  const shapes = layers.slice(1).map((out, l) => (layers[l] + 1) * out);
  const state = shapes.map((len) => Array.from({ length: states }, () => read.f32(len)));
  if (s.optimizer === "adam" && state.some((st) => st[1].some((v) => v < 0))) throw fail("holds a negative Adam second moment");
  const order = batched ? read.order(n) : undefined, rng: MTState | undefined = batched ? { words: read.u32(MT_WORDS), ...head.rng! } : undefined;
  let best: Checkpoint["best"];
  if (s.patience !== null) {
    best = { W: [], b: [] };
    for (let l = 1; l < layers.length; l++) {
      best.W.push(read.f32(layers[l - 1] * layers[l]));
      best.b.push(read.f32(layers[l]));
    }
  }
  const b = head.best;
  const loop: LoopState = { epoch: head.epoch, bestLoss: b?.loss ?? Infinity, bestEpoch: b?.epoch ?? 0, sinceBest: b?.since ?? 0, history: head.history };
  return { model, modelBytes, loop, epochs: head.epochs, steps: head.steps, settings: s, data: head.data, kernels: head.kernels, state, order, rng, best, cli: head.cli };
}

/** Reads arrays one after another from byte `o` on, each checked for what it must hold. */
function arrays(dv: DataView, o: number, fail: (why: string) => Error) {
  return {
    f32(len: number): Float32Array {
      const a = new Float32Array(len);
      for (let i = 0; i < len; i++, o += 4) a[i] = dv.getFloat32(o, true);
      if (!a.every(Number.isFinite)) throw fail("holds an optimiser state or weight that is not a finite number");
      return a;
    },
    u32(len: number): Uint32Array {
      const a = new Uint32Array(len);
      for (let i = 0; i < len; i++, o += 4) a[i] = dv.getUint32(o, true);
      return a;
    },
    /** A permutation of 0..n-1. */
    order(n: number): Int32Array {
      const a = new Int32Array(n), seen = new Uint8Array(n);
      for (let i = 0; i < n; i++, o += 4) {
        const r = dv.getInt32(o, true);
        if (!(r >= 0 && r < n) || seen[r]) throw fail("its row order is not a permutation of the training rows");
        seen[r] = 1;
        a[i] = r;
      }
      return a;
    },
  };
}

interface Head {
  epoch: number;
  epochs: number;
  steps: number;
  settings: FitRecord;
  data: string;
  kernels: string;
  rng?: { index: number; gauss: number; hasGauss: boolean };
  best?: { loss: number | null; epoch: number; since: number };
  history: (Report | RegressionReport)[];
  cli?: string[];
}

const count = (v: unknown, max = 2 ** 31 - 1): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max;
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** The JSON block: every field present with its type and range, or a ModelFileError naming the first that is not. */
function readHead(json: Uint8Array, fail: (why: string) => Error): Head {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json));
  } catch (e) {
    throw fail(`its JSON block is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw fail("its JSON block is not an object");
  const s = v.settings as Record<string, unknown> | undefined, rng = v.rng as Record<string, unknown> | undefined, best = v.best as Record<string, unknown> | undefined;
  const checks: [string, boolean][] = [
    ["epoch", count(v.epoch)], ["epochs", count(v.epochs) && v.epochs as number >= 1], ["steps", count(v.steps)],
    ["data", typeof v.data === "string"], ["kernels", typeof v.kernels === "string"],
    ["history", Array.isArray(v.history) && v.history.every((r) => typeof r === "object" && r !== null && count((r as Report).epoch))],
    ["cli", v.cli === undefined || (Array.isArray(v.cli) && v.cli.every((a) => typeof a === "string"))],
    ["settings", typeof s === "object" && s !== null && settingsValid(s)],
    ["rng", rng === undefined || (typeof rng === "object" && rng !== null && count(rng.index, MT_WORDS) && finite(rng.gauss) && typeof rng.hasGauss === "boolean")],
    ["best", best === undefined || (typeof best === "object" && best !== null && (best.loss === null || finite(best.loss)) && count(best.epoch) && count(best.since))],
  ];
  const bad = checks.find(([, ok]) => !ok);
  if (bad) throw fail(`its JSON block's "${bad[0]}" is missing or not valid`);
  return v as unknown as Head;
}

function settingsValid(s: Record<string, unknown>): boolean {
  const rate = (x: unknown) => finite(x) && x >= 0 && x < 1;
  return (OPTIMIZERS as readonly unknown[]).includes(s.optimizer) && (LR_SCHEDULES as readonly unknown[]).includes(s.lrSchedule) &&
    finite(s.lr) && s.lr > 0 && rate(s.momentum) && rate(s.beta1) && rate(s.beta2) && finite(s.eps) && s.eps > 0 &&
    finite(s.weightDecay) && s.weightDecay >= 0 && rate(s.dropout) && count(s.train) && (s.train as number) >= 1 && count(s.eval) &&
    count(s.batch) && (s.batch as number) >= 1 && (s.batch as number) <= (s.train as number) && (s.patience === null || (count(s.patience) && (s.patience as number) >= 1));
}

/**
 * A fingerprint of arrays' bytes (hex, two 32-bit FNV-1a style hashes over 32-bit words): a fit that continues
 * a checkpoint checks it was given the same rows.
 */
export function fingerprint(arrays: readonly ArrayBufferView[]): string {
  let h1 = 0x811c9dc5, h2 = 0x01000193 ^ arrays.length;
  for (const a of arrays) {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength), whole = bytes.byteOffset % 4 === 0 ? bytes.length >> 2 : 0;
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, whole);
    for (let i = 0; i < whole; i++) {
      h1 = Math.imul(h1 ^ words[i], 16777619);
      h2 = Math.imul(h2 ^ words[i], 2246822519) ^ (h2 >>> 13);
    }
    for (let i = whole * 4; i < bytes.length; i++) {
      h1 = Math.imul(h1 ^ bytes[i], 16777619);
      h2 = Math.imul(h2 ^ bytes[i], 2246822519) ^ (h2 >>> 13);
    }
    h1 = Math.imul(h1 ^ a.byteLength, 16777619);
  }
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}
