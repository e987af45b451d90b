// train_step (assembly/step.ts), the whole training step in one wasm call, against its twin: the same step
// described in TypeScript (src/engine/step.ts), which calls the same wasm kernels one by one. A Network on
// wrapped kernels runs the twin, so the two are compared to the bit: weights, optimiser state, per-row loss
// and correctness, on random shapes (sizes not multiples of 4), every activation, optimiser and loss, with and
// without dropout and weight decay, full batch and mini-batches over several slices, on one and two threads.
// Also: a trap inside the step names the kernel it was in, and a corrupted descriptor traps in train_step.

import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileKernels, KernelTrap, KERNEL_BUILDS, type CompiledKernels, type KernelBuild, type KernelExports } from "../../src/engine/kernels.js";
import { Network, type NetworkShape } from "../../src/engine/network.js";
import { Pool } from "../../src/engine/pool.js";
import { ACTIVATIONS } from "../../src/engine/activations.js";
import { OPTIMIZERS, type Optimizer, type OptimizerKind } from "../../src/engine/optimizers.js";
import { KERNEL_FUNCTIONS, StepAbi } from "../../src/engine/kernel-api.js";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A small seeded generator for the cases (not the library's: the cases must not depend on it). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function optimizer(kind: OptimizerKind, wd: number): Optimizer {
  return { kind, lr: kind === "adam" ? 0.01 : 0.1, momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd };
}

/** SHA-256 over every tensor of the arena a step writes (weights, gradients, state, activations, losses). */
function stateHash(net: Network): string {
  const h = createHash("sha256"), buf = net.arena.memory.buffer;
  for (const t of net.arena.layout.tensors) {
    if (/^(control|step|scratch)/.test(t.name)) continue;
    h.update(new Uint8Array(buf, t.ptr, 4 * t.length));
  }
  return h.digest("hex");
}

interface Case {
  shape: NetworkShape;
  opt: Optimizer;
}

function randomCase(r: () => number, i: number): Case {
  const depth = 1 + Math.floor(r() * 3), sizes = [1 + Math.floor(r() * 23)];
  for (let d = 0; d < depth; d++) sizes.push(1 + Math.floor(r() * 37));
  const loss = i % 4 === 3 ? "mse" : "xent";
  sizes.push(loss === "mse" ? 1 + Math.floor(r() * 3) : 2 + Math.floor(r() * 11));
  const train = 5 + Math.floor(r() * 90), batch = i % 2 === 0 ? train : 1 + Math.floor(r() * train);
  return {
    shape: {
      layers: sizes, train, batch, eval: 0, optimizer: OPTIMIZERS[i % 3], sliceRows: 1 + Math.floor(r() * 40),
      activation: ACTIVATIONS[i % ACTIVATIONS.length], dropout: i % 5 >= 3 ? 0.3 : 0, seed: i * 7 + 1, loss,
    },
    opt: optimizer(OPTIMIZERS[i % 3], i % 6 >= 4 ? 1e-3 : 0),
  };
}

/** Trains a network of the case for a few epochs on `threads` threads; the wasm step, or the twin with `twin`. */
function run(kernels: CompiledKernels, c: Case, threads: number, pool: Pool, twin: boolean): string {
  const wrap = twin ? (raw: KernelExports) => raw : undefined;
  const net = new Network(kernels, { ...c.shape, threads: 2 }, { wrap });
  const r = lcg(99), { layers, train } = c.shape, F = layers[0], C = layers[layers.length - 1];
  const X = new Float32Array(train * F).map(() => r() * 2 - 1);
  const Y = new Float32Array(train * C).map((_, j) => (c.shape.loss === "mse" ? r() : Math.floor(j / C) % C === j % C ? 1 : 0));
  net.setTrain(X, Y);
  net.setParams({
    layers,
    W: layers.slice(1).map((n, l) => new Float32Array(layers[l] * n).map(() => r() - 0.5)),
    b: layers.slice(1).map((n) => new Float32Array(n).map(() => r() * 0.1)),
  });
  if (threads > 1) net.attachThreads(pool, threads);
  const order = { shuffle: (o: Int32Array) => o.reverse() };
  try {
    for (let e = 0; e < 3; e++) net.epoch(c.opt, c.shape.batch < train ? order : undefined, { correct: 0, loss: 0 });
  } finally {
    net.close();
  }
  return stateHash(net);
}

const pools = new Map<KernelBuild, Pool>();
beforeAll(async () => {
  for (const build of KERNEL_BUILDS) pools.set(build, Pool.start(await compileKernels(build), 1));
  for (const p of pools.values()) await p.waitReady();
});
afterAll(() => {
  for (const p of pools.values()) p.terminate();
});

describe.each(KERNEL_BUILDS)("train_step, %s build", (build) => {
  it("is bit for bit its TypeScript twin on 48 random networks, on one and two threads", async () => {
    const kernels = await compileKernels(build), r = lcg(build.length * 31);
    for (let i = 0; i < 48; i++) {
      // the twin on one thread (a pool worker always runs train_step): any thread count gives the same bits
      const c = randomCase(r, i), threads = 1 + (i % 2), pool = pools.get(build)!;
      expect(run(kernels, c, threads, pool, false), `case ${i}: ${JSON.stringify(c)} on ${threads} threads`).toBe(run(kernels, c, 1, pool, true));
    }
  });

  it("a trap inside the step names the kernel it was in; a descriptor pointing past the memory traps in train_step", async () => {
    const kernels = await compileKernels(build);
    const net = new Network(kernels, { layers: [5, 6, 3], train: 9, batch: 9, eval: 0, optimizer: "sgd" });
    net.setTrain(new Float32Array(45).fill(0.5), new Float32Array(27).map((_, i) => (i % 3 === 0 ? 1 : 0)));
    const desc = net.arena.viewI32(net.arena.layout.get("step")), far = net.arena.memory.buffer.byteLength + 4096;
    const dW = StepAbi.D_HEADER + StepAbi.L_WORDS + StepAbi.L_DW;
    desc[dW] = far;
    let err: unknown;
    try {
      net.epoch(optimizer("sgd", 0), undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelTrap);
    expect((err as Error).message).toMatch(/^kernel gemm trapped/);
    // a trap in the step's own loads (the command block's address corrupted) names train_step, not the
    // kernel the previous step ended in
    desc[dW] = net.arena.layout.get("dWb2").ptr;
    net.epoch(optimizer("sgd", 0), undefined);
    desc[StepAbi.D_CMD] = far;
    expect(() => net.epoch(optimizer("sgd", 0), undefined)).toThrow(/^kernel train_step trapped/);
    expect(() => net.arena.k.train_step(far, 0, 1)).toThrow(/^kernel train_step trapped/);
  });
});

describe("train_step's kernel numbers", () => {
  it("are the kernels' indices in KERNEL_FUNCTIONS (assembly/step.ts's K_ constants)", () => {
    const text = readFileSync(fileURLToPath(new URL("../../assembly/step.ts", import.meta.url)), "utf8");
    const ids = [...text.matchAll(/\bK_(\w+) = (\d+)/g)].map((m) => [m[1].toLowerCase(), Number(m[2])] as const);
    expect(ids.length).toBeGreaterThan(10);
    for (const [name, id] of ids) expect(KERNEL_FUNCTIONS.indexOf(name as (typeof KERNEL_FUNCTIONS)[number]), name).toBe(id);
  });
});
