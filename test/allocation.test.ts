// The epoch loop allocates nothing: wasm memory keeps its size and buffer (it cannot grow), and the JS heap
// stays flat across hundreds of epochs. A loop that allocated even one small object per kernel call
// (~20 calls an epoch) would add megabytes here.

import { describe, expect, it } from "vitest";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { compileKernels, KERNEL_BUILDS, loadDigits, Network, initParams, oneHot, fitNormalization, applyNormalization } from "../src/index.js";
import { DEFAULT_OPTIMIZER, type Stats } from "../src/network.js";
import { MT19937 } from "../src/mt19937.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const digits = await loadDigits();
const X = applyNormalization(fitNormalization(digits.X, digits.n, 64, "feature"), digits.X, digits.n, 64);
const Y = oneHot(digits.y, 10);

describe.each(KERNEL_BUILDS)("%s build", (build) => {
  it.each([
    ["full-batch sgd", digits.n, "sgd"],
    ["mini-batch adam", 128, "adam"],
  ] as const)("%s: no allocation in the epoch loop", async (_, batch, optimizer) => {
    const net = new Network(await compileKernels(build), { layers: [64, 32, 10], train: digits.n, batch, eval: 0, optimizer });
    net.setTrain(X, Y);
    net.setParams(initParams([64, 32, 10], 42));
    const opt = { ...DEFAULT_OPTIMIZER, kind: optimizer, lr: optimizer === "adam" ? 0.001 : 0.1 };
    const rng = new MT19937(1), stats: Stats = { correct: 0, loss: 0 };
    const epochs = batch === digits.n ? (build === "scalar" ? 300 : 1000) : 50;
    const memory = net.arena.memory, buffer = memory.buffer, bytes = buffer.byteLength;
    for (let e = 0; e < 50; e++) net.epoch(opt, rng, e % 10 === 0 ? stats : undefined); // warm up: tier-up, inline caches

    const before = heapAfterGc();
    for (let e = 0; e < epochs; e++) net.epoch(opt, rng, e % 10 === 0 ? stats : undefined);
    // without a collection in between, anything allocated (even garbage) is still counted
    const allocated = process.memoryUsage().heapUsed - before;
    const retained = heapAfterGc() - before;

    expect(memory.buffer).toBe(buffer);
    expect(memory.buffer.byteLength).toBe(bytes);
    expect(stats.loss).toBeGreaterThan(0);
    // Slack for what the isolate allocates besides the loop (vitest's worker RPC, V8's feedback and code
    // metadata: ~150 KB a second here). A JS array per kernel call, ~20 calls an epoch, is megabytes.
    expect(allocated).toBeLessThan(320 * 1024);
    expect(retained).toBeLessThan(64 * 1024);
  });
});
