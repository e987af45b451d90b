// The machine as wasm sees it, measured by two small modules of our own (one per SIMD build):
//
// - peak: a register-only loop (no loads, no stores) of 12 independent f32x4 chains acc = acc·x + y, as a
//   multiply then an add (the simd build) or one f32x4.relaxed_madd (the relaxed build), counted as 2
//   flops per lane per chain per iteration, as the GEMM lines count a mul+add. Every GFLOP/s figure of a
//   build is shown as a share of this.
// - stream_read / stream_update: one pass over a buffer in 64-byte steps, four 128-bit loads per step
//   folded with xor (read), or each vector loaded, incremented and stored back (read and write). Over a
//   buffer that fits in L2 but not in L1, this is the L2 bandwidth the original's epoch is compared with.
//
// The AssemblyScript source lives here as a string rather than in a .ts file of its own because tsc compiles
// every .ts under bench/ and AssemblyScript's v128/f32x4 would not type-check there. It is compiled by the
// bench itself with asc's in-memory compileString, which reads no file (so the project's ./asconfig.json,
// whose entries and options asc would otherwise merge into any build, does not apply), into
// build/probes.simd.wasm and build/probes.relaxed.wasm; they are rebuilt when this file is newer.

import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export type ProbeBuild = "simd" | "relaxed";
export const PROBE_BUILDS: readonly ProbeBuild[] = ["simd", "relaxed"];

/** Independent accumulator chains: enough to cover the FP latency on both FP pipes, few enough for 16 xmm registers. */
export const CHAINS = 12;

const SOURCE = `
// ${CHAINS} independent chains of acc = acc*x + y on f32x4; nothing touches memory.
@inline function mad(acc: v128, x: v128, y: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(acc, x, y);
  return f32x4.add(f32x4.mul(acc, x), y);
}

export function peak(iters: i32, x: f32, y: f32): f32 {
  const vx = f32x4.splat(x), vy = f32x4.splat(y);
  // distinct starting values, so no two chains are the same expression
${Array.from({ length: CHAINS }, (_, i) => `  let a${i} = f32x4.splat(y * ${(i + 1).toFixed(1)});`).join("\n")}
  for (let i = 0; i < iters; i++) {
${Array.from({ length: CHAINS }, (_, i) => `    a${i} = mad(a${i}, vx, vy);`).join("\n")}
  }
  let s = a0;
${Array.from({ length: CHAINS - 1 }, (_, i) => `  s = f32x4.add(s, a${i + 1});`).join("\n")}
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

// A 64-byte aligned buffer of the given size above the static data, growing the memory when needed.
export function buffer(bytes: usize): usize {
  const p = (__heap_base + 63) & ~(<usize>63), need = p + bytes, have = <usize>memory.size() << 16;
  if (need > have) memory.grow(<i32>((need - have + 0xffff) >> 16));
  return p;
}

// Reads every byte of [p, p + bytes) once; the xor of everything is returned so no load can be dropped.
export function stream_read(p: usize, bytes: usize): i32 {
  let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  for (let q = p, end = p + bytes; q < end; q += 64) {
    a0 = v128.xor(a0, v128.load(q)); a1 = v128.xor(a1, v128.load(q, 16));
    a2 = v128.xor(a2, v128.load(q, 32)); a3 = v128.xor(a3, v128.load(q, 48));
  }
  const s = v128.xor(v128.xor(a0, a1), v128.xor(a2, a3));
  return i32x4.extract_lane(s, 0) ^ i32x4.extract_lane(s, 1) ^ i32x4.extract_lane(s, 2) ^ i32x4.extract_lane(s, 3);
}

// Reads and writes back every byte of [p, p + bytes) once (integer adds: no float edge cases to slow it).
export function stream_update(p: usize, bytes: usize): void {
  const one = i32x4.splat(1);
  for (let q = p, end = p + bytes; q < end; q += 64) {
    v128.store(q, i32x4.add(v128.load(q), one)); v128.store(q, i32x4.add(v128.load(q, 16), one), 16);
    v128.store(q, i32x4.add(v128.load(q, 32), one), 32); v128.store(q, i32x4.add(v128.load(q, 48), one), 48);
  }
}
`;

/** Flops of one peak(iters) call. */
export function peakFlops(iters: number): number {
  return iters * CHAINS * 4 * 2;
}

function probeUrl(build: ProbeBuild): URL {
  // dist/bench/probes.js -> <repo>/build/probes.<build>.wasm
  return new URL(`../../build/probes.${build}.wasm`, import.meta.url);
}

/** Compiles both probe modules unless they are newer than this file. Returns what it did, for the log. */
export async function buildProbes(): Promise<string> {
  const self = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  const stale = PROBE_BUILDS.filter((b) => {
    const p = fileURLToPath(probeUrl(b));
    return !existsSync(p) || statSync(p).mtimeMs < self;
  });
  if (stale.length === 0) return "probe modules up to date";
  const { compileString } = await import("assemblyscript/asc");
  for (const build of stale) {
    const enable = build === "relaxed" ? ["simd", "relaxed-simd"] : ["simd"];
    const out = await compileString(
      { "probes.ts": SOURCE },
      { optimizeLevel: 3, shrinkLevel: 0, runtime: "stub", noAssert: true, use: ["abort="], enable },
    );
    if (out.error || !out.binary) {
      throw new Error(`asc failed on the ${build} probe module: ${out.error?.message ?? "no output"}\n${out.stderr.toString()}`);
    }
    const path = fileURLToPath(probeUrl(build));
    mkdirSync(fileURLToPath(new URL(".", probeUrl(build))), { recursive: true });
    writeFileSync(path, out.binary);
  }
  return `compiled ${stale.map((b) => `build/probes.${b}.wasm`).join(", ")}`;
}

export interface Probes {
  peak(iters: number, x: number, y: number): number;
  buffer(bytes: number): number;
  stream_read(p: number, bytes: number): number;
  stream_update(p: number, bytes: number): void;
}

/** Loads one probe module; relaxed needs the engine to accept relaxed SIMD (compileKernels("relaxed") sets Node 20's flag). */
export async function loadProbes(build: ProbeBuild): Promise<Probes> {
  const bytes = await readFile(probeUrl(build));
  if (!WebAssembly.validate(bytes)) throw new Error(`this engine cannot run build/probes.${build}.wasm`);
  const { instance } = await WebAssembly.instantiate(bytes, {});
  return instance.exports as unknown as Probes;
}
