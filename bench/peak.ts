// The machine's SIMD peak as wasm sees it: a register-only loop (no loads, no stores) of 12 independent
// f32x4 chains acc = acc·x + y, as a multiply then an add (the simd build) or one f32x4.relaxed_madd (the
// relaxed build). Counted as 2 flops per lane per chain per iteration, as the GEMM lines count a mul+add.
//
// The AssemblyScript source lives here as a string rather than in a .ts file of its own because tsc compiles
// every .ts under bench/ and AssemblyScript's v128/f32x4 would not type-check there. It is compiled by the bench
// itself with asc's in-memory compileString, which reads no file (so the project's ./asconfig.json, whose
// entries and options asc would otherwise merge into any build, does not apply), into build/peak.simd.wasm and
// build/peak.relaxed.wasm; they are rebuilt when this file is newer than they are.

import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export type PeakBuild = "simd" | "relaxed";
export const PEAK_BUILDS: readonly PeakBuild[] = ["simd", "relaxed"];

/** Independent accumulator chains: enough to cover the FP latency on both FP pipes, few enough for 16 xmm registers. */
export const CHAINS = 12;

const PEAK_SOURCE = `
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
`;

/** Flops of one peak(iters) call. */
export function peakFlops(iters: number): number {
  return iters * CHAINS * 4 * 2;
}

export function peakUrl(build: PeakBuild): URL {
  // dist/bench/peak.js -> <repo>/build/peak.<build>.wasm
  return new URL(`../../build/peak.${build}.wasm`, import.meta.url);
}

/** Compiles both peak modules unless they are newer than this file. Returns what it did, for the log. */
export async function buildPeak(): Promise<string> {
  const self = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  const stale = PEAK_BUILDS.filter((b) => {
    const p = fileURLToPath(peakUrl(b));
    return !existsSync(p) || statSync(p).mtimeMs < self;
  });
  if (stale.length === 0) return "peak modules up to date";
  const { compileString } = await import("assemblyscript/asc");
  for (const build of stale) {
    const enable = build === "relaxed" ? ["simd", "relaxed-simd"] : ["simd"];
    const out = await compileString(
      { "peak.ts": PEAK_SOURCE },
      { optimizeLevel: 3, shrinkLevel: 0, runtime: "stub", noAssert: true, use: ["abort="], enable },
    );
    if (out.error || !out.binary) {
      throw new Error(`asc failed on the ${build} peak module: ${out.error?.message ?? "no output"}\n${out.stderr.toString()}`);
    }
    const path = fileURLToPath(peakUrl(build));
    mkdirSync(fileURLToPath(new URL(".", peakUrl(build))), { recursive: true });
    writeFileSync(path, out.binary);
  }
  return `compiled ${stale.map((b) => `build/peak.${b}.wasm`).join(", ")}`;
}

export type PeakFn = (iters: number, x: number, y: number) => number;

/** Loads one peak module; relaxed needs the engine to accept relaxed SIMD (compileKernels("relaxed") sets Node 20's flag). */
export async function loadPeak(build: PeakBuild): Promise<PeakFn> {
  const bytes = await readFile(peakUrl(build));
  if (!WebAssembly.validate(bytes)) throw new Error(`this engine cannot run build/peak.${build}.wasm`);
  const { instance } = await WebAssembly.instantiate(bytes, {});
  return instance.exports.peak as PeakFn;
}
