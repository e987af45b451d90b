// A worker thread that dies in the middle of training, each way one can in Node: the pool terminates it (as
// dispose() did), someone terminates its Worker directly, it calls process.exit(), it runs out of heap, or it
// throws. fit and fitAsync end within a second with a WasmMlpError naming the worker and what happened; the
// model keeps the weights it had before that fit and trains again; the other workers are released; the
// process exits without dispose(). Each case runs in its own Node process, whose worker_threads.Worker is
// replaced by one that runs the real pool worker behind a fault injector: thread 1's train_step calls (its
// share of a step, one call each) are wrapped, and the first call after the parent arms the fault runs it,
// while thread 0 runs its own share of that step and then waits for thread 1 inside train_step's barrier.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureBuilt, removeTempDirs, ROOT, runNode, tempDir } from "./helpers.js";

let file: string;
beforeAll(async () => {
  await ensureBuilt();
  file = join(await tempDir("wmlp-death-"), "run.mjs");
  await writeFile(file, `const DIST = ${JSON.stringify(join(ROOT, "dist/src"))};\n${SCRIPT}`);
}, 240_000);
afterAll(removeTempDirs);

/**
 * The child: argv[2] is { how, mode } (mode "sync" | "async" | "engine"). It prints one JSON line: the error,
 * the milliseconds from the death to it, and what the model (or the other worker) did afterwards.
 */
const SCRIPT = String.raw`
const { MLP, loadDigits, Network, compileKernels, initParams, oneHot } = await import(DIST + "/index.js");
const { Pool } = await import(DIST + "/engine/pool.js");
const { how, mode } = JSON.parse(process.argv[2]);
const wt = process.getBuiltinModule("node:worker_threads");
// [armed, in a job per thread...] and the time of the death (ms since the epoch, either thread's clock)
const flags = new Int32Array(new SharedArrayBuffer(64)), clock = new Float64Array(new SharedArrayBuffer(8));
const now = () => performance.timeOrigin + performance.now();
const INJECTOR = ${"`"}
const wt = require("node:worker_threads");
const { fault, flags, clock, thread, script } = wt.workerData;
const now = () => performance.timeOrigin + performance.now();
const on = wt.parentPort.on.bind(wt.parentPort);
wt.parentPort.on = (event, handler) => on(event, (m) => {
  Atomics.store(flags, thread, 1);
  try { handler(m); } finally { Atomics.store(flags, thread, 0); }
});
if (thread === 1 && fault !== "terminate" && fault !== "raw-terminate") {
  const Instance = WebAssembly.Instance;
  WebAssembly.Instance = function (module, imports) {
    const inst = new Instance(module, imports), exports = {};
    for (const [k, v] of Object.entries(inst.exports)) {
      exports[k] = k !== "train_step" ? v : (...a) => {
        if (Atomics.compareExchange(flags, 0, 1, 2) === 1) {
          clock[0] = now();
          if (fault === "exit") process.exit(7);
          if (fault === "throw") throw new Error("boom");
          if (fault === "oom") { const keep = []; for (;;) keep.push(new Array(1e5).fill(1.5)); }
        }
        return v(...a);
      };
    }
    return { exports };
  };
}
import(script);
${"`"};
const Original = wt.Worker, workers = [];
wt.Worker = class extends Original {
  constructor(url, opts) {
    const limits = how === "oom" ? { resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 } } : {};
    super(INJECTOR, { ...opts, ...limits, eval: true, workerData: { ...opts.workerData, fault: how, flags, clock, script: String(url) } });
    workers.push(this);
  }
};
/** Kills worker thread 1: arms the injected fault, or terminates it (through the pool, or the Worker itself). */
function kill(pool) {
  if (how === "terminate") { clock[0] = now(); pool.ports[0].terminate(); }
  else if (how === "raw-terminate") { clock[0] = now(); workers[0].terminate(); }
  else Atomics.store(flags, 0, 1);
}
const d = await loadDigits();
const out = {};
if (mode === "engine") {
  // no model: after the error, does thread 2 leave the job (its message handler returns)?
  const kernels = await compileKernels("auto");
  const pool = Pool.start(kernels, 2);
  await pool.waitReady();
  const net = new Network(kernels, { layers: [64, 32, 10], train: d.n, batch: d.n, eval: 0, optimizer: "sgd", threads: 3 });
  net.setTrain(d.X, oneHot(d.y, 10));
  net.setParams(initParams([64, 32, 10], 42));
  net.attachThreads(pool, 3);
  const opt = { kind: "sgd", lr: 0.1, momentum: 0, beta1: 0, beta2: 0, eps: 0 };
  for (let e = 0; e < 5; e++) net.epoch(opt, undefined);
  kill(pool);
  try { for (let e = 0; e < 1e6; e++) net.epoch(opt, undefined); } catch (e) { out.error = String(e); out.ms = now() - clock[0]; }
  const t = now();
  while (Atomics.load(flags, 2) !== 0 && now() - t < 5000) Atomics.wait(flags, 15, 0, 1);
  out.released = Atomics.load(flags, 2) === 0;
  out.releasedMs = now() - t;
  net.close();
  pool.terminate();
} else {
  const m = await MLP.create({ layers: [64, 32, 10], threads: 3 });
  m.fit(d.X, d.y, { epochs: 5, threads: 3 });
  const before = m.toBytes();
  const pool = m.workers.pool; // the model's worker pool (src/model/workers.ts), reached into to kill a worker
  const opts = { epochs: 1e7, threads: 3, onEpoch: (e) => { if (e === 20 && mode === "sync") kill(pool); } };
  if (mode === "async") setTimeout(() => kill(pool), 100);
  try {
    mode === "sync" ? m.fit(d.X, d.y, opts) : await m.fitAsync(d.X, d.y, opts);
  } catch (e) {
    out.error = String(e);
    out.ms = now() - clock[0];
  }
  out.kept = Buffer.from(m.toBytes()).equals(Buffer.from(before));
  out.predicts = m.predict(d.X).length;
  const again = m.fit(d.X, d.y, { epochs: 30, threads: 3 });
  out.again = again.epochs;
}
console.log(JSON.stringify(out));
`;

const STORIES: Record<string, RegExp> = {
  terminate: /^WasmMlpError: worker thread 1 died during training \(terminated\)$/,
  "raw-terminate": /^WasmMlpError: worker thread 1 died during training \((its thread stopped|exited with code 1)\)$/,
  exit: /^WasmMlpError: worker thread 1 died during training \(exited with code 7\)$/,
  oom: /^WasmMlpError: worker thread 1 died during training \((its thread stopped|threw .*memory.*)\)$/,
  throw: /^WasmMlpError: worker thread 1 failed during training: Error: boom$/,
};

async function run(how: string, mode: string) {
  const r = await runNode(file, [JSON.stringify({ how, mode })], { timeoutMs: 30_000 });
  expect(r.timedOut, `the process hung\n${r.stderr}`).toBe(false);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  console.log(`${how} (${mode}): ${out.error}, ${out.ms.toFixed(1)} ms after the death${out.releasedMs !== undefined ? `; thread 2 released ${out.releasedMs.toFixed(1)} ms after the error` : ""}`);
  expect(out.error).toMatch(STORIES[how]);
  expect(out.ms).toBeLessThan(1000);
  return out;
}

describe.each([["fit", "sync"], ["fitAsync", "async"]])("%s", (_, mode) => {
  it.each(Object.keys(STORIES))("worker thread 1 %s: a typed error within a second; the model keeps its weights and trains again; the process exits", async (how) => {
    const out = await run(how, mode);
    expect(out.kept).toBe(true);
    expect(out.predicts).toBe(1797);
    expect(out.again).toBe(30);
  });
});

describe("the other workers", () => {
  it.each(["exit", "terminate"])("worker thread 1 %s mid-step: thread 2 leaves the job at once", async (how) => {
    const out = await run(how, "engine");
    expect(out.released).toBe(true);
    expect(out.releasedMs).toBeLessThan(1000);
  });
});
