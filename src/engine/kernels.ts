// Loads the kernel module (Node or browser), picks the build, and types its exports. The module imports
// its memory, so whoever instantiates it decides the memory's size once, up front (see arena.ts).

import { UsageError, WasmMlpError } from "../errors.js";
import { checkValue, oneOf, show } from "../checks.js";
import { fromBase64, isLocalFile, isNode, nodeBuiltin, readBytes, type ByteSource } from "../bytes.js";
import { newMemory, sharedMemoryAvailable, unshareMemoryImport } from "./shared-memory.js";

/** The three builds compiled from the one AssemblyScript source. */
export type KernelBuild = "scalar" | "simd" | "relaxed";
export const KERNEL_BUILDS: readonly KernelBuild[] = ["scalar", "simd", "relaxed"];

export { GemmFlags, GEMM_SCRATCH_BYTES, KERNEL_FUNCTIONS, type KernelExports } from "./kernel-api.js";
import type { KernelExports } from "./kernel-api.js";

export type WasmSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView | URL | string | Response;

/**
 * Each build ships as a small JS module holding its bytes (build/kernels.<build>.js, made by
 * scripts/build.mjs), loaded with a dynamic import of a fixed path: Node, browsers and every bundler follow
 * it, only the build that runs is fetched, and it keeps working inside Vite's pre-bundled dependencies, where
 * `new URL("x.wasm", import.meta.url)` would point into node_modules/.vite/deps/.
 */
const EMBEDDED: Record<KernelBuild, () => Promise<{ default: string }>> = {
  scalar: () => import("../../build/kernels.scalar.js"),
  simd: () => import("../../build/kernels.simd.js"),
  relaxed: () => import("../../build/kernels.relaxed.js"),
};

/** The bytes of one of our kernel builds. */
export async function kernelBytes(build: KernelBuild): Promise<Uint8Array> {
  let mod: { default: string };
  try {
    mod = await EMBEDDED[build]();
  } catch (e) {
    // only a checkout whose build has not run (or a damaged install) lacks it
    throw new WasmMlpError(`the ${build} kernel build is missing (${(e as Error).message}); in a checkout of wasm-mlp, run \`npm run build\``);
  }
  return fromBase64(mod.default);
}

let relaxedFlag: Promise<void> | undefined;
/**
 * Node 20 ships relaxed SIMD behind a flag that can still be set before the module is compiled. Every caller
 * awaits the same promise: one that returned before the flag was set would find relaxed SIMD invalid and
 * pick another build (two models created at once got different builds, and so different bits).
 */
function enableRelaxedSimdOnNode(): Promise<void> {
  if (!isNode) return Promise.resolve();
  relaxedFlag ??= (async () => {
    try {
      const v8 = await nodeBuiltin<typeof import("node:v8")>("node:v8");
      v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
    } catch {
      // not Node after all, or the flag is gone: validation below decides
    }
  })();
  return relaxedFlag;
}

/** Compiles module bytes, first making its memory import unshared where this engine has no shared memory. */
function compileBytes(bytes: BufferSource): Promise<WebAssembly.Module> {
  if (sharedMemoryAvailable()) return WebAssembly.compile(bytes);
  const view = ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
  return WebAssembly.compile(unshareMemoryImport(view) as BufferSource);
}

async function compileResponse(res: Response): Promise<WebAssembly.Module> {
  if (!res.ok) throw new WasmMlpError(`kernel module ${res.url}: HTTP ${res.status}`);
  // compileStreaming needs Content-Type: application/wasm; some servers send something else
  const wasm = res.headers.get("content-type")?.split(";")[0].trim() === "application/wasm";
  if (wasm && sharedMemoryAvailable()) return WebAssembly.compileStreaming(res);
  return compileBytes(await res.arrayBuffer());
}

const fail = (message: string) => new WasmMlpError(`kernel module ${message}`);

/**
 * Compiles a kernel module from bytes, a URL or path, a Response, or passes a compiled module through.
 * File URLs and paths are read with fs in Node; other URLs are fetched and compiled as they stream in.
 * Relative paths resolve against the working directory (Node) or the page (browsers).
 */
export async function compileModule(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  // a relaxed-SIMD module cannot even be compiled on Node 20 without V8's flag
  await enableRelaxedSimdOnNode();
  if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) return compileBytes(source as BufferSource);
  // paths and URLs before Response: in Node, the first touch of the Response global loads undici (its
  // HTTP parser is itself a wasm module), about 30 ms that a file never needs
  if (typeof source === "string" || source instanceof URL) return compileLocation(source);
  if (typeof Response !== "undefined" && source instanceof Response) return compileResponse(source);
  throw new UsageError(`compileModule: the source must be bytes, a URL or path, a Response or a WebAssembly.Module, got ${show(source)}`);
}

async function compileLocation(source: string | URL): Promise<WebAssembly.Module> {
  // (isLocalFile's `false` says "not a local file", not "not a string or URL": no narrowing wanted here)
  if (isLocalFile(source as ByteSource) || typeof WebAssembly.compileStreaming !== "function") return compileBytes(await readBytes(source, fail));
  const url = source instanceof URL ? source : new URL(source, typeof location !== "undefined" ? location.href : undefined);
  return compileResponse(await fetch(url));
}

// Two tiny modules (one function each, built with asc) that say whether this engine validates SIMD128 and
// relaxed SIMD, so a build is chosen before its module is fetched, and then compiled as it streams in.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 123, 1, 123, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 11, 1, 9, 0, 32, 0, 32, 0, 253, 228, 1, 11,
]); // f32x4.add
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 123, 1, 123, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 13, 1, 11, 0, 32, 0, 32, 0, 32, 0, 253, 133, 2, 11,
]); // f32x4.relaxed_madd

/** Whether this engine can run a build (on Node 20, asking about relaxed SIMD first turns on V8's flag for it). */
export async function engineSupports(build: KernelBuild): Promise<boolean> {
  if (build === "scalar") return true;
  if (build === "simd") return WebAssembly.validate(SIMD_PROBE);
  await enableRelaxedSimdOnNode();
  return WebAssembly.validate(RELAXED_PROBE);
}

export interface CompiledKernels {
  readonly build: KernelBuild;
  readonly module: WebAssembly.Module;
}

const cache = new Map<KernelBuild, Promise<CompiledKernels>>();

/**
 * Compiles one build of the kernels, once per process. "auto" takes the fastest build this engine
 * validates: relaxed SIMD, then SIMD, then scalar.
 */
export async function compileKernels(build: KernelBuild | "auto" = "auto"): Promise<CompiledKernels> {
  checkValue("compileKernels", "build", build, oneOf(["auto", ...KERNEL_BUILDS]));
  if (build === "auto") {
    for (const b of ["relaxed", "simd"] as const) if (await engineSupports(b)) return compileKernels(b);
    return compileKernels("scalar");
  }
  let p = cache.get(build);
  if (!p) {
    p = (async () => {
      if (!(await engineSupports(build))) throw new WasmMlpError(`this engine cannot run the ${build} kernel build`);
      return { build, module: await compileModule(await kernelBytes(build)) };
    })();
    cache.set(build, p);
    p.catch(() => cache.delete(build));
  }
  return p;
}

/** The wasm page size: memory is sized in these. */
export const PAGE_BYTES = 65536;

/** A kernel trapped (an out-of-bounds access, say): a bug or a corrupted layout, never a silent result. */
export class KernelTrap extends WasmMlpError {
  constructor(message: string, readonly kernel: string = "(unknown)") {
    super(message);
  }
}
KernelTrap.prototype.name = "KernelTrap";

/** What train_step calls while it waits for other threads: throws when one has failed or (timedOut 1) died. */
export type StepCheck = (timedOut: number) => void;

export interface Instance {
  /** Every kernel, wrapped so that a trap is a KernelTrap naming the kernel (for direct, low-level use). */
  exports: KernelExports;
  /** The same kernels unwrapped, for hot loops that catch traps themselves (see explainTrap). */
  raw: KernelExports;
  memory: WebAssembly.Memory;
  /**
   * Turns a wasm RuntimeError into a KernelTrap naming the kernel that was called (`inStep`: the name to
   * give instead, for a trap in train_step: the kernel it was in); passes others through.
   */
  explainTrap(e: unknown, inStep?: string): unknown;
}

/**
 * Instantiates a compiled module on a new memory of exactly `pages` pages that is never grown (shared, so
 * worker threads can run on it too, where the engine allows), or on a memory another thread made (the same
 * tensors, seen from a worker).
 */
export function instantiate(module: WebAssembly.Module, memoryOrPages: WebAssembly.Memory | number, stepCheck: StepCheck = () => {}): Instance {
  const memory = typeof memoryOrPages === "number" ? newMemory(memoryOrPages) : memoryOrPages;
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, { env: { memory, step_check: stepCheck } });
  } catch (e) {
    if (!(e instanceof WebAssembly.LinkError) || sharedMemoryAvailable()) throw e;
    throw new UsageError("this engine cannot create shared memory here (a page that is not cross-origin isolated, say), and a compiled WebAssembly.Module cannot be changed to run without it: pass the kernel module's bytes, URL or Response instead");
  }
  const raw = instance.exports as unknown as KernelExports;
  // an exported wasm function's name is its index in the module, which is what a trap's stack shows
  const byIndex = new Map<string, string>();
  for (const [name, value] of Object.entries(instance.exports)) {
    if (typeof value === "function") byIndex.set(value.name, name);
  }
  const explainTrap = (e: unknown, inStep?: string): unknown => {
    if (!(e instanceof WebAssembly.RuntimeError)) return e;
    // the outermost exported frame is the kernel the host called (gemm_nt calls gemm_nn, say); for a trap in
    // train_step, the caller passes the kernel the step says it was in (it may have been inlined into the step)
    const called = [...String(e.stack).matchAll(/wasm-function\[(\d+)\]/g)].map((m) => byIndex.get(m[1])).filter(Boolean);
    const name = inStep ?? called.at(-1) ?? "(unknown)";
    return new KernelTrap(`kernel ${name} trapped: ${e.message}`, name);
  };
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(instance.exports)) {
    wrapped[name] = typeof value === "function" ? guard(value as Fn, explainTrap) : value;
  }
  return { exports: wrapped as unknown as KernelExports, raw, memory, explainTrap };
}

type Fn = (...args: number[]) => number;

// Fixed arity (the widest kernel, gemm, takes 14 arguments; extra ones are ignored by wasm) rather than rest
// parameters. Calls through it box float arguments, so hot loops use the raw exports instead.
function guard(f: Fn, explain: (e: unknown) => unknown): Fn {
  return (a, b, c, d, e, g, h, i, j, k, l, m, n, o) => {
    try {
      return f(a, b, c, d, e, g, h, i, j, k, l, m, n, o);
    } catch (err) {
      throw explain(err);
    }
  };
}
