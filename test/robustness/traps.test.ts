// A wasm trap (an out-of-bounds access) surfaces as a KernelTrap that names the kernel and its arguments,
// on every build, and never as a silent result.

import { describe, expect, it } from "vitest";
import { compileKernels, GemmFlags, KERNEL_BUILDS, KERNEL_FUNCTIONS, KernelTrap, type KernelBuild, type KernelExports } from "../../src/engine/kernels.js";
import { Arena, Layout } from "../../src/engine/arena.js";
import { WasmMlpError } from "../../src/errors.js";
import { Network } from "../../src/engine/network.js";
import { DEFAULT_OPTIMIZER } from "../../src/engine/optimizers.js";

async function smallArena(build: KernelBuild) {
  const layout = new Layout();
  const a = layout.add("a", 4, 4), b = layout.add("b", 4, 4), c = layout.add("c", 4, 4);
  const idx = layout.add("idx", 4);
  const arena = new Arena(await compileKernels(build), layout);
  const end = arena.memory.buffer.byteLength;
  return { arena, k: arena.k, a: a.ptr, b: b.ptr, c: c.ptr, idx, end };
}

type KernelFunction = (typeof KERNEL_FUNCTIONS)[number];

/** For every function the module exports, a call with one pointer `far` past the end of memory. */
function pastTheEnd(k: KernelExports, a: number, b: number, c: number, far: number): Record<KernelFunction, () => unknown> {
  return {
    gemm: () => k.gemm(0, a, 16, 4, b, 16, 4, far, 16, 4, 4, 4, 0, 0),
    gemm_nn: () => k.gemm_nn(a, b, far, 4, 4, 4, 0),
    gemm_tn: () => k.gemm_tn(far, b, c, 4, 4, 4, 0),
    gemm_nt: () => k.gemm_nt(a, far, c, 4, 4, 4, 0),
    softmax_rows: () => k.softmax_rows(a, far, 4, 4),
    softmax_xent: () => k.softmax_xent(a, b, c, far, 4, 4, 0),
    xent_rows: () => k.xent_rows(a, b, c, far, c, 4, 4),
    mse: () => k.mse(a, b, far, c, 4, 4, 0),
    sgd: () => k.sgd(far, b, 16, 0.1),
    momentum: () => k.momentum(a, b, far, 16, 0.1, 0.9),
    adam: () => k.adam(a, b, c, far, 16, 0.001, 0.9, 0.999, 1e-8, 0.1, 0.001),
    sgd_wd: () => k.sgd_wd(far, b, 16, 0.1, 0.01),
    momentum_wd: () => k.momentum_wd(a, b, far, 16, 0.1, 0.9, 0.01),
    adamw: () => k.adamw(a, b, c, far, 16, 0.001, 0.9, 0.999, 1e-8, 0.1, 0.001, 0.01),
    dropout: () => k.dropout(a, 16, far, 16, 4, 4, 0.5, 1, 2, 0),
    gather_rows: () => k.gather_rows(a, far, c, 4, 4),
    train_step: () => k.train_step(far, 0, 1),
  };
}

function expectTrap(name: keyof KernelExports, call: () => unknown): KernelTrap {
  let err: unknown, result: unknown;
  try {
    result = call();
  } catch (e) {
    err = e;
  }
  expect(err, `${String(name)} returned ${String(result)} instead of trapping`).toBeInstanceOf(KernelTrap);
  expect(err).toBeInstanceOf(WasmMlpError); // so the CLI prints it as one line
  const msg = (err as Error).message;
  expect(msg).toMatch(new RegExp(`^kernel ${String(name)}\\b`));
  expect(msg).toMatch(/out of bounds/i);
  expect(msg).not.toContain("\n");
  return err as KernelTrap;
}

describe.each(KERNEL_BUILDS)("%s kernels", (build) => {
  it("every function the module exports has a trap case (KERNEL_FUNCTIONS is the module's function exports)", async () => {
    const { k, a, b, c, end } = await smallArena(build);
    const exported = WebAssembly.Module.exports((await compileKernels(build)).module).filter((e) => e.kind === "function").map((e) => e.name);
    expect([...KERNEL_FUNCTIONS].sort()).toEqual(exported.sort());
    expect(Object.keys(pastTheEnd(k, a, b, c, end + 4096)).sort()).toEqual([...KERNEL_FUNCTIONS].sort());
  });

  it("a pointer past the end of memory traps, naming the kernel", async () => {
    const { k, a, b, c, end } = await smallArena(build);
    const cases = pastTheEnd(k, a, b, c, end + 4096);
    for (const name of KERNEL_FUNCTIONS) expectTrap(name, cases[name]);
  });

  it("a size that runs past the end of memory traps", async () => {
    const { k, a, b, c, end } = await smallArena(build);
    const rows = Math.ceil(end / 16) + 1; // rows of 4 floats reaching beyond the memory from c
    expectTrap("gemm_nn", () => k.gemm_nn(a, b, c, rows, 4, 4, 0));
    expectTrap("sgd", () => k.sgd(a, b, end, 0.1));
    expectTrap("softmax_rows", () => k.softmax_rows(a, c, rows, 4));
  });

  it("a gate or Z pointer past the end (gemm's activation epilogues and gates), and mse's loss pointer, trap", async () => {
    const { k, a, b, c, end } = await smallArena(build);
    const far = end + 4096;
    for (const flags of [GemmFlags.GELU | GemmFlags.STORE_Z, GemmFlags.TANH | GemmFlags.STORE_Z, GemmFlags.GATE_LEAKY, GemmFlags.GATE_TANH, GemmFlags.GATE_SIGMOID, GemmFlags.GATE_GELU]) {
      // with scratch (the SIMD builds' blocked path and its epilogue pass; a 4x4 product packs nothing) and without
      for (const scratch of [c, 0]) expectTrap("gemm", () => k.gemm(flags, a, 16, 4, b, 16, 4, c, 16, 4, 4, 4, far, scratch));
    }
    expectTrap("mse", () => k.mse(a, b, 0, far, 4, 4, 0));
  });

  it("a row index far beyond the source tensor (gather_rows) traps", async () => {
    const { arena, k, a, c, idx } = await smallArena(build);
    arena.viewI32(idx).set([0, 1, 1_000_000, 2]);
    expectTrap("gather_rows", () => k.gather_rows(a, idx.ptr, c, 4, 4));
  });

  it("a negative pointer (a huge unsigned address) traps", async () => {
    const { k, b, c } = await smallArena(build);
    expectTrap("gemm_nn", () => k.gemm_nn(-64, b, c, 4, 4, 4, 0));
  });

  it("after a trap the instance still computes correctly", async () => {
    const { arena, k, a, b, c, end } = await smallArena(build);
    expectTrap("sgd", () => k.sgd(end + 64, b, 16, 0.1));
    const layout = arena.layout;
    arena.view(layout.get("a")).fill(1);
    arena.view(layout.get("b")).fill(2);
    k.gemm_nn(a, b, c, 4, 4, 4, 0);
    expect(Array.from(arena.view(layout.get("c")))).toEqual(new Array(16).fill(8));
  });

  it("a trap inside the training loop (a corrupted mini-batch index) is a KernelTrap naming gather_rows", async () => {
    const net = new Network(await compileKernels(build), { layers: [4, 3, 2], train: 8, batch: 4, eval: 0, optimizer: "sgd" });
    net.setTrain(new Float32Array(32).fill(0.5), new Float32Array(16).map((_, i) => (i % 2 === 0 ? 1 : 0)));
    net.setParams({ layers: [4, 3, 2], W: [new Float32Array(12).fill(0.1), new Float32Array(6).fill(0.1)], b: [new Float32Array(3), new Float32Array(2)] });
    net.epoch(DEFAULT_OPTIMIZER, undefined); // fine as laid out
    net.arena.viewI32(net.arena.layout.get("order"))[5] = 50_000_000;
    expectTrap("gather_rows", () => net.epoch(DEFAULT_OPTIMIZER, undefined));
  });
});
