// Stopping a fit early through an AbortSignal (FitOptions.signal): fit and fitAsync stop between two epochs,
// keep the weights reached (the best ones with patience) and say so in the summary. fit is synchronous, so
// only code running during it can abort it: here an onEpoch that reads a SharedArrayBuffer flag set by
// another thread. fitAsync yields to the event loop, so a timer, a message or a signal handler can.

import { describe, expect, it } from "vitest";
import { Worker } from "node:worker_threads";
import { loadDigits, MLP, UsageError, type FitOptions, type Params } from "../src/index.js";
import { stratifiedSplit } from "../src/data/split.js";

const digits = await loadDigits();
const { train, test } = stratifiedSplit(digits, 0.2, 42);
const create = () => MLP.create({ layers: [64, 16, 10], seed: 7 });

async function trainedFor(epochs: number, opts: FitOptions = {}): Promise<Params> {
  const m = await create();
  m.fit(train.X, train.y, { ...opts, epochs });
  return m.getParams();
}

describe("fit with a signal", () => {
  it("aborted during epoch 4: stops after it, with the weights of 5 epochs, bit for bit", async () => {
    const m = await create();
    const c = new AbortController();
    const reports: number[] = [];
    const s = m.fit(train.X, train.y, {
      epochs: 1000, every: 1, signal: c.signal,
      onReport: (r) => reports.push(r.epoch),
      onEpoch: (e) => { if (e === 4) c.abort(); },
    });
    expect(s.interrupted).toBe(true);
    expect(s.epochs).toBe(5);
    expect(reports).toEqual([0, 1, 2, 3, 4]);
    expect(m.getParams()).toEqual(await trainedFor(5));
    expect(s.epochs_per_s).toBeGreaterThan(0);
  });

  it("never aborted: all epochs, no interrupted field, the same weights as without a signal", async () => {
    const m = await create();
    const s = m.fit(train.X, train.y, { epochs: 6, signal: new AbortController().signal });
    expect(s.epochs).toBe(6);
    expect("interrupted" in s).toBe(false);
    expect(m.getParams()).toEqual(await trainedFor(6));
  });

  it("already aborted: no epoch runs and the weights stay the initial ones", async () => {
    const m = await create();
    const before = m.getParams();
    const s = m.fit(train.X, train.y, { epochs: 10, signal: AbortSignal.abort() });
    expect(s).toMatchObject({ epochs: 0, interrupted: true, epochs_per_s: 0 });
    expect(m.getParams()).toEqual(before);
  });

  it("with patience: the best weights seen are kept, as in an uninterrupted run of as many epochs", async () => {
    const opts: FitOptions = { batch: 32, optimizer: "adam", lr: 0.01, validation: test, patience: 1000, every: 1 };
    const m = await create();
    const c = new AbortController();
    const losses: number[] = [];
    const s = m.fit(train.X, train.y, {
      ...opts, epochs: 1000, signal: c.signal,
      onReport: (r) => losses.push(r.test_loss!),
      onEpoch: (e) => { if (e === 29) c.abort(); },
    });
    expect(s).toMatchObject({ interrupted: true, epochs: 30 });
    const whole = await create();
    const w = whole.fit(train.X, train.y, { ...opts, epochs: 30 });
    expect(s.best_epoch).toBe(w.best_epoch);
    expect(m.getParams()).toEqual(whole.getParams());
    expect(s.test_loss!).toBeLessThanOrEqual(Math.min(...losses) + 1e-6);
  });

  it("a sync fit stops when another thread sets a SharedArrayBuffer flag that onEpoch reads", async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(
      `const { workerData } = require("node:worker_threads");
       setTimeout(() => { Atomics.store(workerData.flag, 0, 1); }, 150);`,
      { eval: true, workerData: { flag } },
    );
    await new Promise((r) => worker.once("online", r));
    const m = await create();
    const c = new AbortController();
    const t0 = performance.now();
    const s = m.fit(train.X, train.y, {
      epochs: 10_000_000, signal: c.signal,
      onEpoch: () => { if (Atomics.load(flag, 0) !== 0) c.abort(); },
    });
    const ms = performance.now() - t0;
    await worker.terminate();
    expect(s.interrupted).toBe(true);
    expect(s.epochs).toBeGreaterThan(0);
    expect(s.epochs).toBeLessThan(10_000_000);
    expect(ms).toBeLessThan(20_000);
    expect(m.getParams()).toEqual(await trainedFor(s.epochs));
  });
});

describe("fitAsync", () => {
  it("trains the same weights as fit, and reports the same", async () => {
    const opts: FitOptions = { epochs: 40, every: 3, batch: 50, optimizer: "momentum", lr: 0.05, validation: test };
    const a = await create(), b = await create();
    const ra: unknown[] = [], rb: unknown[] = [];
    const sa = a.fit(train.X, train.y, { ...opts, onReport: (r) => ra.push(r) });
    const sb = await b.fitAsync(train.X, train.y, { ...opts, onReport: (r) => rb.push(r) });
    expect(rb).toEqual(ra);
    expect(b.getParams()).toEqual(a.getParams());
    expect({ ...sb, train_ms: 0, epochs_per_s: 0 }).toEqual({ ...sa, train_ms: 0, epochs_per_s: 0 });
  });

  it("yields to the event loop while it trains: a timer aborts it within a few epochs, weights as of that epoch", async () => {
    const m = await create();
    const c = new AbortController();
    let abortedAt = -1, lastEpoch = -1;
    setTimeout(() => { abortedAt = lastEpoch; c.abort(); }, 100);
    const s = await m.fitAsync(train.X, train.y, { epochs: 10_000_000, signal: c.signal, onEpoch: (e) => (lastEpoch = e) });
    expect(s.interrupted).toBe(true);
    // the timer ran between two epochs, and training stopped right after it
    expect(abortedAt).toBeGreaterThanOrEqual(0);
    expect(s.epochs).toBe(abortedAt + 1);
    expect(m.getParams()).toEqual(await trainedFor(s.epochs));
  });

  it("errors are rejections; another fit on the same model meanwhile is refused", async () => {
    const m = await create();
    await expect(m.fitAsync(train.X, train.y, { epochs: 0 })).rejects.toThrow(UsageError);
    const c = new AbortController();
    const running = m.fitAsync(train.X, train.y, { epochs: 10_000_000, signal: c.signal });
    await new Promise((r) => setTimeout(r, 30));
    expect(() => m.fit(train.X, train.y, { epochs: 1 })).toThrow(/already training/);
    await expect(m.fitAsync(train.X, train.y, { epochs: 1 })).rejects.toThrow(/already training/);
    c.abort();
    expect((await running).interrupted).toBe(true);
    expect(m.fit(train.X, train.y, { epochs: 1 }).epochs).toBe(1);
  });
});
