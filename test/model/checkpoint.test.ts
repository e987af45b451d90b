// Checkpoints resume to the bit: a fit stopped part-way (by its signal, or at the end of a shorter run) and
// continued from its checkpoint with MLP.fromCheckpoint ends with the same model file, byte for byte, and the
// same history, as the fit run in one go; for every optimiser, full and mini-batch, every schedule, dropout,
// weight decay, patience, regression, and any thread count on either side. And a fit that would not continue
// it (other settings, other rows, fewer epochs) is refused.

import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDigits, MLP, ModelFileError, UsageError, type FitOptions } from "../../src/index.js";
import type { Dataset } from "../../src/data/csv.js";
import { decodeCheckpoint } from "../../src/model/checkpoint.js";

let digits: Dataset;
let X: Float32Array, y: Uint8Array, vX: Float32Array, vy: Uint8Array;
const F = 64;

beforeAll(async () => {
  digits = await loadDigits();
  // 1,400 rows to train on, the rest held out (enough for patience to matter)
  X = digits.X.subarray(0, 1400 * F);
  y = digits.y.subarray(0, 1400);
  vX = digits.X.subarray(1400 * F);
  vy = digits.y.subarray(1400);
});

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const create = (threads = 2, seed = 7) => MLP.create({ layers: [64, 20, 10], seed, threads, kernels: "simd" });

/** The fit in one go: its model file's hash and its history. */
async function straight(opts: FitOptions, threads = 1) {
  const m = await create(threads);
  const s = m.fit(X, y, opts);
  const out = { hash: sha(m.toBytes()), history: s.history, epochs: s.epochs };
  m.dispose();
  return out;
}

/** The same fit stopped by its signal after `stop` epochs (its last checkpoint kept), then continued from it. */
async function resumed(opts: FitOptions, stop: number, threads: [number, number] = [1, 1], every = 1) {
  const first = await create(threads[0]);
  const ac = new AbortController();
  let last: Uint8Array | undefined, lastEpoch = -1;
  first.fit(X, y, { ...opts, threads: threads[0], signal: ac.signal, onEpoch: (e) => e + 1 === stop && ac.abort(), checkpoint: { every, write: (b, e) => ((last = b), (lastEpoch = e)) } });
  first.dispose();
  expect(lastEpoch).toBe(stop);
  const second = await MLP.fromCheckpoint(last!, { threads: threads[1], kernels: "simd" });
  const s = second.fit(X, y, { ...opts, threads: threads[1] });
  expect(s.threads).toBe(threads[1]);
  const out = { hash: sha(second.toBytes()), history: s.history, epochs: s.epochs };
  second.dispose();
  return out;
}

const CASES: [string, FitOptions][] = [];
for (const optimizer of ["sgd", "momentum", "adam"] as const) {
  for (const batch of [undefined, 128]) {
    for (const lrSchedule of ["constant", "step", "cosine"] as const) {
      CASES.push([`${optimizer}, ${batch ? `batch ${batch}` : "full batch"}, ${lrSchedule}`, { optimizer, batch, lrSchedule, epochs: 16, every: 3, ...(optimizer === "adam" && { lr: 0.01 }) }]);
    }
  }
}

describe("a fit stopped and continued from its checkpoint is the fit in one go, to the bit", () => {
  it.each(CASES)("%s", async (_, opts) => {
    const a = await straight(opts);
    const b = await resumed(opts, 7, [1, 2]);
    expect(b.hash).toBe(a.hash);
    expect(b.history).toEqual(a.history);
    expect(b.epochs).toBe(16);
  });

  it("dropout, weight decay and patience with held-out rows (mini-batch adam), on 2 threads then 1", async () => {
    const opts: FitOptions = { optimizer: "adam", lr: 0.01, batch: 100, epochs: 30, dropout: 0.2, weightDecay: 1e-3, patience: 4, every: 1, validation: { X: vX, y: vy } };
    const a = await straight(opts);
    const b = await resumed(opts, 9, [2, 1]);
    expect(b.hash).toBe(a.hash);
    expect(b.history).toEqual(a.history);
  });

  it("a checkpoint taken every 5 epochs, interrupted at 12: the epochs after the 10th run again to the same end", async () => {
    const opts: FitOptions = { optimizer: "momentum", batch: 64, epochs: 20, lrSchedule: "cosine" };
    // the signal stops it after 12 epochs, when the loop ends it takes one more checkpoint: at 12
    const a = await straight(opts, 2);
    const b = await resumed(opts, 12, [1, 2], 5);
    expect(b.hash).toBe(a.hash);
  });

  it("a constant-rate fit of 10 epochs continued to 20 is the 20-epoch fit", async () => {
    const opts: FitOptions = { optimizer: "sgd", batch: 200, epochs: 20 };
    const a = await straight(opts);
    const first = await create(1);
    let last: Uint8Array | undefined;
    first.fit(X, y, { ...opts, epochs: 10, checkpoint: { write: (b) => (last = b) } });
    const second = await MLP.fromCheckpoint(last!, { threads: 2 });
    second.fit(X, y, opts);
    expect(sha(second.toBytes())).toBe(a.hash);
  });

  it("regression (mse), mini-batch adam with the step schedule", async () => {
    const t = new Float32Array(1400);
    for (let i = 0; i < 1400; i++) t[i] = X[i * F + 20] * 0.5 + X[i * F + 43] - 3;
    const opts: FitOptions<"regress"> = { optimizer: "adam", lr: 0.01, batch: 50, epochs: 12, lrSchedule: "step" };
    const m1 = await MLP.create<"regress">({ task: "regress", layers: [64, 12, 1], seed: 3, threads: 1 });
    m1.fit(X, t, opts);
    const m2 = await MLP.create<"regress">({ task: "regress", layers: [64, 12, 1], seed: 3, threads: 1 });
    const ac = new AbortController();
    let last: Uint8Array | undefined;
    m2.fit(X, t, { ...opts, signal: ac.signal, onEpoch: (e) => e === 4 && ac.abort(), checkpoint: { write: (b) => (last = b) } });
    const m3 = await MLP.fromCheckpoint<"regress">(last!, { threads: 2 });
    expect(m3.task).toBe("regress");
    m3.fit(X, t, opts);
    expect(sha(m3.toBytes())).toBe(sha(m1.toBytes()));
  });
});

describe("a checkpoint", () => {
  let ckpt: Uint8Array;
  const opts: FitOptions = { optimizer: "adam", batch: 128, epochs: 10, lr: 0.01 };
  beforeAll(async () => {
    const m = await create(1);
    m.fit(X, y, { ...opts, epochs: 4, checkpoint: { write: (b) => (ckpt = b), flags: ["--epochs", "4"] } });
  });

  it("holds the epoch, the settings, the seed's model and the flags it was given", () => {
    const c = decodeCheckpoint(ckpt);
    expect(c.loop.epoch).toBe(4);
    expect(c.epochs).toBe(4);
    expect(c.settings).toMatchObject({ optimizer: "adam", batch: 128, lr: 0.01, train: 1400, eval: 0, patience: null });
    expect(c.steps).toBe(4 * Math.ceil(1400 / 128));
    expect(c.model.seed).toBe(7);
    expect(c.cli).toEqual(["--epochs", "4"]);
  });

  it("is refused by a fit that asks for other settings, other rows or fewer epochs, with what differs", async () => {
    const tries: [FitOptions, Float32Array, RegExp][] = [
      [{ ...opts, batch: 64 }, X, /^fit: the checkpoint was trained with batch 128, and this fit asks for 64/],
      [{ ...opts, lr: 0.02 }, X, /^fit: the checkpoint was trained with lr 0.01, and this fit asks for 0.02/],
      [{ ...opts, optimizer: "momentum", lr: 0.01 }, X, /with optimizer "adam", and this fit asks for "momentum"/],
      [{ ...opts, epochs: 3 }, X, /^fit: epochs 3 is fewer than the 4 the checkpoint has done/],
      [opts, X.map((v, i) => (i === 5 ? v + 1 : v)), /not the rows the checkpoint was trained on/],
    ];
    for (const [o, data, message] of tries) {
      const m = await MLP.fromCheckpoint(ckpt, { threads: 1 });
      expect(() => m.fit(data, y, o)).toThrow(UsageError);
      expect(() => m.fit(data, y, o)).toThrow(message);
      // refused before anything ran: the right fit still continues it
      const s = m.fit(X, y, opts);
      expect(s.epochs).toBe(10);
      m.dispose();
    }
  });

  it("is used by one fit: the next starts afresh from the weights reached", async () => {
    const m = await MLP.fromCheckpoint(ckpt, { threads: 1 });
    m.fit(X, y, opts);
    expect(m.fit(X, y, { ...opts, epochs: 2 }).epochs).toBe(2);
  });

  it("is not a model file, and a model file is not a checkpoint: each says so", async () => {
    const m = await create(1);
    m.fit(X, y, { epochs: 2 });
    await expect(MLP.fromCheckpoint(m.toBytes())).rejects.toThrow(/not a wasm-mlp checkpoint .*it is a model file/);
    await expect(MLP.fromBytes(ckpt)).rejects.toThrow(ModelFileError);
  });
});
