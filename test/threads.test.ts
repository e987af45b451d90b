// Training on several threads over one shared memory: the same weights and reports, bit for bit, for 1, 2, 3
// and 8 threads (more threads than this machine's cores still give the same bits), with every optimiser and
// with mini-batches; a trap in any thread is one KernelTrap naming the kernel, and no thread hangs; workers
// end with dispose(), never keep Node from exiting, and 200 create/fit/dispose cycles keep memory and the
// thread count flat.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDigits, type Dataset } from "../src/data/datasets.js";
import { KernelTrap } from "../src/engine/kernels.js";
import { MLP, type FitOptions, type MLPOptions, type Report } from "../src/model/mlp.js";
import { Network } from "../src/engine/network.js";
import { DEFAULT_OPTIMIZER } from "../src/engine/optimizers.js";
import { Pool } from "../src/engine/pool.js";
import { compileKernels } from "../src/engine/kernels.js";
import { availableThreads, threadsFor } from "../src/engine/threads.js";
import { startWorkersEarly } from "../src/model/workers.js";

const root = fileURLToPath(new URL("..", import.meta.url));

let data: Dataset;
beforeAll(async () => {
  data = await loadDigits();
});

function fingerprint(model: MLP, reports: Report[]): string {
  const h = createHash("sha256"), p = model.getParams();
  p.W.forEach((w, l) => {
    h.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
    h.update(new Uint8Array(p.b[l].buffer, p.b[l].byteOffset, p.b[l].byteLength));
  });
  for (const r of reports) h.update(new Float64Array([r.epoch, r.accuracy, r.loss, r.test_accuracy ?? -1, r.test_loss ?? -1]));
  return h.digest("hex");
}

async function train(create: MLPOptions, fit: FitOptions, threads: number): Promise<{ hash: string; ran: number; bytes: Uint8Array }> {
  const model = await MLP.create({ ...create, threads });
  try {
    const reports: Report[] = [];
    const s = model.fit(data.X, data.y, { ...fit, threads, onReport: (r) => reports.push(r) });
    return { hash: fingerprint(model, reports), ran: s.threads, bytes: model.toBytes() };
  } finally {
    model.dispose();
  }
}

const CONFIGS: { name: string; create: MLPOptions; fit: (d: Dataset) => FitOptions }[] = [
  { name: "the original's full-batch SGD", create: { layers: [64, 32, 10], seed: 42 }, fit: () => ({ epochs: 60, every: 10 }) },
  { name: "momentum, mini-batches of 100, two hidden layers", create: { layers: [64, 24, 12, 10], seed: 5, init: "he" }, fit: () => ({ epochs: 3, every: 1, batch: 100, optimizer: "momentum", lr: 0.05 }) },
  { name: "Adam, mini-batches of 64", create: { layers: [64, 32, 10], seed: 9 }, fit: () => ({ epochs: 2, every: 1, batch: 64, optimizer: "adam" }) },
  { name: "wide layers, held-out data", create: { layers: [64, 130, 70, 10], seed: 3 }, fit: (d) => ({ epochs: 4, every: 1, validation: { X: d.X.subarray(0, 640), y: d.y.subarray(0, 10) } }) },
];

describe.each(["simd", "relaxed", "scalar"] as const)("%s kernels", (kernels) => {
  it.each(CONFIGS.map((c) => [c.name, c] as const))("%s: the same bits for 1, 2, 3 and 8 threads", async (_, c) => {
    const fit = c.fit(data);
    const results = [];
    for (const threads of [1, 2, 3, 8]) results.push(await train({ ...c.create, kernels }, fit, threads));
    expect(results.map((r) => r.ran)).toEqual([1, 2, 3, 8]);
    for (const r of results.slice(1)) expect(r.hash).toBe(results[0].hash);
    for (const r of results.slice(1)) expect(Buffer.from(r.bytes).equals(Buffer.from(results[0].bytes))).toBe(true);
  });
});

describe("how many threads a fit uses by default", () => {
  it("two where a step has work to split, one where barriers would eat the gain (the cases threads.ts names)", () => {
    // the original's full batch and SLP, the wide and MNIST networks, the original MLP's mini-batches of 64
    // (0.65x measured on two with the step in wasm): two; the SLP's mini-batches of 32 (0.83-1.09x on two):
    // one with SIMD, two with the scalar build (7x the work per step)
    expect(threadsFor([64, 32, 10], 1797, 2, "relaxed")).toBe(2);
    expect(threadsFor([64, 10], 1797, 2, "relaxed")).toBe(2);
    expect(threadsFor([64, 256, 256, 10], 1797, 2, "relaxed")).toBe(2);
    expect(threadsFor([784, 128, 10], 64, 2, "relaxed")).toBe(2);
    expect(threadsFor([64, 32, 10], 64, 2, "relaxed")).toBe(2);
    expect(threadsFor([64, 10], 32, 2, "relaxed")).toBe(1);
    expect(threadsFor([64, 10], 32, 2, "simd")).toBe(1);
    expect(threadsFor([64, 10], 32, 2, "scalar")).toBe(2);
    // never more than the cores, and one core gives one thread
    expect(threadsFor([784, 4096, 10], 1797, 8, "relaxed")).toBe(8);
    expect(threadsFor([784, 4096, 10], 1797, 1, "relaxed")).toBe(1);
  });
});

describe("faults and lifecycle", () => {
  it("a trap in a worker thread is one KernelTrap naming the kernel, on the calling thread, and nothing hangs", async () => {
    const kernels = await compileKernels("simd");
    const pool = Pool.start(kernels, 1);
    await pool.waitReady();
    try {
      const shape = { layers: [4, 3, 2], train: 64, batch: 32, eval: 0, optimizer: "sgd" as const, threads: 2 };
      const net = new Network(kernels, shape);
      net.setTrain(new Float32Array(64 * 4).fill(0.5), new Float32Array(64 * 2).map((_, i) => (i % 2 === 0 ? 1 : 0)));
      net.attachThreads(pool, 2);
      net.epoch(DEFAULT_OPTIMIZER, undefined); // fine as laid out
      // row 20 of the first mini-batch belongs to thread 1 (rows 16..31): its gather traps there
      net.arena.viewI32(net.arena.layout.get("order"))[20] = 50_000_000;
      let err: unknown;
      try {
        net.epoch(DEFAULT_OPTIMIZER, undefined);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KernelTrap);
      expect((err as Error).message).toMatch(/^kernel gather_rows trapped \(thread 1\)/);
      // the worker is free again: a new job attaches to it and trains
      const again = new Network(kernels, shape);
      again.setTrain(new Float32Array(64 * 4).fill(0.5), new Float32Array(64 * 2).map((_, i) => (i % 2 === 0 ? 1 : 0)));
      again.attachThreads(pool, 2);
      again.epoch(DEFAULT_OPTIMIZER, undefined);
      again.close();
    } finally {
      pool.terminate();
    }
  });

  it("a pool whose workers are still booting is not lost (a booting worker's handle looks like a stopped one's)", async () => {
    const pool = Pool.start(await compileKernels("simd"), 1);
    try {
      expect(pool.started).toBe(0);
      expect(pool.lost).toBeUndefined();
      await pool.waitReady();
      expect(pool.lost).toBeUndefined();
    } finally {
      pool.terminate();
    }
  });

  it("workers started early (the CLI starts them while it loads the data) serve the next auto model's first epoch", async () => {
    const kernels = await compileKernels("simd"), pool = await startWorkersEarly(kernels, "auto");
    if ((await availableThreads()) < 2) return expect(pool).toBeUndefined(); // one core: nothing to start
    await pool!.waitReady();
    const model = await MLP.create({ layers: [64, 32, 10], kernels: "simd", threads: "auto" });
    try {
      // without them, a one-epoch fit ends long before its own workers have booted, on one thread
      const summary = model.fit(data.X, data.y, { epochs: 1 });
      expect(summary.threads).toBe(2);
      expect(pool!.lost).toBeUndefined();
    } finally {
      model.dispose();
    }
    expect(pool!.started).toBe(0); // the model's dispose ended the workers it took
  });

  it("a finished fit leaves nothing that keeps Node from exiting (no dispose)", () => {
    const script = `
      import { MLP, loadDigits } from "./dist/src/index.js";
      const d = await loadDigits();
      const m = await MLP.create({ layers: [64, 32, 10], threads: 2 });
      const s = m.fit(d.X, d.y, { epochs: 20, threads: 2 });
      console.log(s.threads);`;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8", timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("2");
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it("200 create/fit/dispose cycles keep memory and the thread count flat", () => {
    const script = `
      import { readFileSync } from "node:fs";
      import { MLP, loadDigits } from "./dist/src/index.js";
      const d = await loadDigits();
      const X = d.X.subarray(0, 200 * 64), y = d.y.subarray(0, 200);
      const status = () => Object.fromEntries(readFileSync("/proc/self/status", "utf8").split("\\n").map((l) => l.split(":\\t")));
      const sample = () => { globalThis.gc(); return { threads: Number(status().Threads), rss: process.memoryUsage().rss }; };
      const out = [];
      for (let i = 1; i <= 200; i++) {
        const m = await MLP.create({ layers: [64, 16, 10], threads: 2 });
        m.fit(X, y, { epochs: 3, threads: 2 });
        m.dispose();
        if (i === 20 || i === 200) { await new Promise((r) => setTimeout(r, 200)); out.push(sample()); }
      }
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { cwd: root, encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const [early, late] = JSON.parse(r.stdout.trim().split("\n").pop()!) as { threads: number; rss: number }[];
    expect(late.threads, JSON.stringify({ early, late })).toBeLessThanOrEqual(early.threads);
    expect(late.rss - early.rss, JSON.stringify({ early, late })).toBeLessThan(64 * 2 ** 20);
  }, 150_000);
});

describe("close", () => {
  it("a network closed after running on two threads goes on alone, and its worker attaches to the next job at once", async () => {
    const kernels = await compileKernels("simd");
    const pool = Pool.start(kernels, 1);
    await pool.waitReady();
    try {
      const shape = { layers: [64, 8, 10], train: 64, batch: 64, eval: 0, optimizer: "sgd" as const, threads: 2 };
      const fill = (net: Network) => net.setTrain(data.X.subarray(0, 64 * 64), new Float32Array(64 * 10).map((_, i) => (i % 10 === data.y[Math.floor(i / 10)] ? 1 : 0)));
      for (let round = 0; round < 20; round++) {
        const net = new Network(kernels, shape);
        fill(net);
        net.attachThreads(pool, 2);
        net.epoch(DEFAULT_OPTIMIZER, undefined);
        net.close();
        // straight after close, a step on one thread: the worker must have taken the detach, not this
        net.epoch(DEFAULT_OPTIMIZER, undefined);
      }
      const t0 = Date.now();
      const last = new Network(kernels, shape);
      fill(last);
      last.attachThreads(pool, 2);
      expect(Date.now() - t0).toBeLessThan(2000);
      last.epoch(DEFAULT_OPTIMIZER, undefined);
      last.close();
    } finally {
      pool.terminate();
    }
  });
});
