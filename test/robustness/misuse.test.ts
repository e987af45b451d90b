// A model used the wrong way while it trains, as people do: dispose() during a fit (from a callback, or while
// a fitAsync awaits) stops it at the next epoch with a UsageError, the workers end and the process can exit;
// a fit started from a fit's callback (or beside a running one) is a UsageError; predict, predictProba,
// evaluate, toBytes and getParams from a callback work on that epoch's weights, byte for byte what a fit of
// that many epochs gives.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadDigits, type Dataset } from "../../src/data/datasets.js";
import { MLP, type FitOptions, type MLPOptions } from "../../src/model/mlp.js";
import { UsageError } from "../../src/errors.js";
import { ensureBuilt, removeTempDirs, ROOT, runNode, tempDir } from "./helpers.js";

let data: Dataset;
beforeAll(async () => {
  data = await loadDigits();
  await ensureBuilt();
}, 240_000);
afterAll(removeTempDirs);

/** Runs an ES module script (importing the built library as `LIB`) in its own Node process. */
async function script(body: string, timeoutMs = 30_000) {
  const file = join(await tempDir("wmlp-misuse-"), "run.mjs");
  await writeFile(file, `const LIB = ${JSON.stringify(join(ROOT, "dist/src/index.js"))};\n${body}`);
  return runNode(file, [], { timeoutMs });
}

describe("dispose() while a model trains", () => {
  it.each([2, 1])("30 ms into fitAsync with threads: %i: the fit rejects at the next epoch, no epoch after, and the process exits", async (threads) => {
    const r = await script(`
      const { MLP, loadDigits } = await import(LIB);
      const d = await loadDigits();
      const m = await MLP.create({ layers: [64, 32, 10], threads: ${threads} });
      let last = -1, atDispose = -1;
      setTimeout(() => { atDispose = last; m.dispose(); }, 30);
      try {
        await m.fitAsync(d.X, d.y, { epochs: 1e7, threads: ${threads}, onEpoch: (e) => (last = e) });
        console.log(JSON.stringify({ resolved: true }));
      } catch (e) {
        let predict; try { m.predict(d.X); } catch (p) { predict = p.message; }
        console.log(JSON.stringify({ name: e.name, message: e.message, atDispose, last, predict }));
      }`);
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out.name).toBe("UsageError");
    expect(out.atDispose).toBeGreaterThanOrEqual(0);
    // disposed between epochs atDispose and atDispose + 1: not one more epoch ran
    expect(out.last).toBe(out.atDispose);
    expect(out.message).toBe(`fit: the model was disposed during training, at epoch ${out.atDispose + 1}`);
    expect(out.predict).toMatch(/disposed/);
  });

  it.each([1, 2])("from onEpoch of a sync fit on %i threads: a UsageError at the next epoch, and the model is disposed", async (threads) => {
    const m = await MLP.create({ layers: [64, 16, 10], threads });
    let last = -1;
    expect(() =>
      m.fit(data.X, data.y, {
        epochs: 50,
        threads,
        onEpoch: (e) => {
          last = e;
          if (e === 4) m.dispose();
        },
      }),
    ).toThrow(new UsageError("fit: the model was disposed during training, at epoch 5"));
    expect(last).toBe(4);
    expect(() => m.predict(data.X)).toThrow(/disposed/);
    expect(() => m.toBytes()).toThrow(/disposed/);
    expect(() => m.fit(data.X, data.y, { epochs: 1 })).toThrow(/disposed/);
  });

  it("in the last epoch's callback: the fit still throws, and does not hand weights to the disposed model", async () => {
    const m = await MLP.create({ layers: [64, 16, 10], threads: 1 });
    expect(() => m.fit(data.X, data.y, { epochs: 3, onEpoch: (e) => e === 2 && m.dispose() })).toThrow(/disposed during training, at epoch 3$/);
    expect(m.getParams().W).toEqual([]);
  });
});

describe("a fit inside a fit", () => {
  const opts: FitOptions = { epochs: 12, every: 3 };

  it("fit from onEpoch is a UsageError that ends the outer fit, whose model keeps its weights", async () => {
    const m = await MLP.create({ layers: [64, 16, 10], threads: 1 });
    const before = m.getParams();
    expect(() => m.fit(data.X, data.y, { ...opts, onEpoch: () => m.fit(data.X, data.y, { epochs: 1 }) })).toThrow(UsageError);
    expect(() => m.fit(data.X, data.y, { ...opts, onEpoch: () => m.fit(data.X, data.y, { epochs: 1 }) })).toThrow(/^fit: this model is already training/);
    expect(m.getParams()).toEqual(before);
  });

  it("refused and caught in the callback (fit from onEpoch, fitAsync from onReport): the outer fit trains as if nothing had been tried", async () => {
    const plain = await MLP.create({ layers: [64, 16, 10], threads: 1 });
    plain.fit(data.X, data.y, opts);
    const m = await MLP.create({ layers: [64, 16, 10], threads: 1 });
    const refused: unknown[] = [];
    const rejections: Promise<unknown>[] = [];
    m.fit(data.X, data.y, {
      ...opts,
      onEpoch: () => {
        try {
          m.fit(data.X, data.y, { epochs: 1 });
        } catch (e) {
          refused.push(e);
        }
      },
      onReport: () => void rejections.push(m.fitAsync(data.X, data.y, { epochs: 1 }).catch((e: unknown) => e)),
    });
    expect(refused).toHaveLength(12);
    expect(refused.every((e) => e instanceof UsageError)).toBe(true);
    const rejected = await Promise.all(rejections);
    expect(rejected).toHaveLength(4);
    for (const e of rejected) expect(String(e)).toMatch(/^UsageError: fitAsync: this model is already training/);
    expect(m.toBytes()).toEqual(plain.toBytes());
  });

  it("fit beside a running fitAsync is a UsageError; the fitAsync goes on", async () => {
    const m = await MLP.create({ layers: [64, 16, 10], threads: 1 });
    const c = new AbortController();
    const running = m.fitAsync(data.X, data.y, { epochs: 1e7, signal: c.signal });
    await new Promise((r) => setTimeout(r, 30));
    expect(() => m.fit(data.X, data.y, { epochs: 1 })).toThrow(/^fit: this model is already training/);
    c.abort();
    expect((await running).interrupted).toBe(true);
  });
});

describe("reading the model from a callback while it trains", () => {
  const K = 9;

  /** What a callback of a 2K-epoch fit sees at epoch K, and what a fit of K + 1 epochs leaves. */
  async function compare(create: MLPOptions, fit: FitOptions, warmup?: FitOptions) {
    const X = data.X, y = data.y, head = data.X.subarray(0, 50 * 64);
    const seen: Record<string, unknown> = {};
    const live = await MLP.create(create);
    if (warmup) live.fit(X, y, warmup);
    live.fit(X, y, {
      ...fit,
      epochs: 2 * K,
      onEpoch: (e) => {
        if (e !== K) return;
        seen.bytes = live.toBytes();
        seen.params = live.getParams();
        seen.proba = live.predictProba(head);
        seen.labels = live.predict(head);
        seen.evaluation = live.evaluate(X, y);
        seen.normalization = live.normalization;
        seen.range = live.range;
        seen.threadsFor = live.threadsFor(64);
      },
    });
    const after = await MLP.create(create);
    if (warmup) after.fit(X, y, warmup);
    after.fit(X, y, { ...fit, epochs: K + 1 });
    const want = {
      bytes: after.toBytes(),
      params: after.getParams(),
      proba: after.predictProba(head),
      labels: after.predict(head),
      evaluation: after.evaluate(X, y),
      normalization: after.normalization,
      range: after.range,
      threadsFor: after.threadsFor(64),
    };
    expect(Buffer.from(seen.bytes as Uint8Array).equals(Buffer.from(want.bytes))).toBe(true);
    expect(seen).toEqual(want);
    // and the run went on to its end: the model holds the 2K-epoch weights, not the ones read
    expect(Buffer.from(live.toBytes()).equals(Buffer.from(want.bytes))).toBe(false);
    live.dispose();
    after.dispose();
  }

  it("the first fit (the standardisation fitted by it): toBytes at epoch K equals a (K+1)-epoch fit's, byte for byte", async () => {
    await compare({ layers: [64, 32, 10], seed: 7, threads: 1 }, { lr: 0.1 });
  });

  it("on two threads, with mini-batches and Adam", async () => {
    await compare({ layers: [64, 32, 10], seed: 3, threads: 2 }, { batch: 256, optimizer: "adam", lr: 0.01, threads: 2 });
  });

  it("a later fit of a trained model", async () => {
    await compare({ layers: [64, 24, 10], seed: 5, threads: 1 }, { optimizer: "momentum", lr: 0.05 }, { epochs: 4 });
  });

  it("from onReport, and from a timer while a fitAsync awaits", async () => {
    const m = await MLP.create({ layers: [64, 16, 10], seed: 11, threads: 1 });
    const reports: { epoch: number; bytes: Uint8Array }[] = [];
    m.fit(data.X, data.y, { epochs: 7, every: 3, onReport: (r) => reports.push({ epoch: r.epoch, bytes: m.toBytes() }) });
    for (const { epoch, bytes } of reports) {
      const ref = await MLP.create({ layers: [64, 16, 10], seed: 11, threads: 1 });
      ref.fit(data.X, data.y, { epochs: epoch + 1 });
      expect(Buffer.from(bytes).equals(Buffer.from(ref.toBytes()))).toBe(true);
    }

    const a = await MLP.create({ layers: [64, 16, 10], seed: 11, threads: 1 });
    const c = new AbortController();
    let last = -1;
    const read = new Promise<{ epoch: number; labels: Uint8Array }>((resolve) => setTimeout(() => resolve({ epoch: last, labels: a.predict(data.X) }), 40));
    const running = a.fitAsync(data.X, data.y, { epochs: 1e7, signal: c.signal, onEpoch: (e) => (last = e) });
    const { epoch, labels } = await read;
    c.abort();
    await running;
    const ref = await MLP.create({ layers: [64, 16, 10], seed: 11, threads: 1 });
    ref.fit(data.X, data.y, { epochs: epoch + 1 });
    expect(labels).toEqual(ref.predict(data.X));
  });

  it("a fit that fails after a read leaves the model as it was: the read did not change it", async () => {
    const m = await MLP.create({ layers: [64, 16, 10], threads: 1 });
    m.fit(data.X, data.y, { epochs: 3 });
    const before = m.toBytes();
    expect(() =>
      m.fit(data.X, data.y, {
        epochs: 10,
        onEpoch: (e) => {
          m.toBytes();
          if (e === 5) throw new Error("stop here");
        },
      }),
    ).toThrow("stop here");
    expect(Buffer.from(m.toBytes()).equals(Buffer.from(before))).toBe(true);
  });
});
