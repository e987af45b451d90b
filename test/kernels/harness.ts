// Test harness for the wasm kernels: compiles a build, lays out named tensors with the real Layout/Arena,
// fills inputs with seeded random data, poisons outputs, fills every byte that belongs to no tensor (the
// SLACK after each tensor, alignment padding, the free memory up to the end of the last page) with a guard
// pattern, and after one kernel call reports every byte the kernel changed outside the tensors it may write.
// Also: a seeded PRNG and an error-vs-tolerance tracker whose tolerance is itself checked to be able to fail.

import { expect } from "vitest";
import { mulberry32, seedOf } from "../reference/random.js";
import { EPS, compare } from "../reference/tolerance.js";
import { compileKernels, KERNEL_BUILDS, type CompiledKernels, type KernelBuild, type KernelExports } from "../../src/engine/kernels.js";
import { Arena, Layout, type Tensor } from "../../src/engine/arena.js";

export function loadBuild(build: KernelBuild): Promise<CompiledKernels> {
  return compileKernels(build);
}

/** Smallest normal f32. Below it results are subnormal and only absolute accuracy is meaningful. */
export const TINY = 2 ** -126;

/** Guard word: a quiet NaN, so an over-read of slack that leaks into a result shows up as NaN. */
export const GUARD_WORD = 0x7fc0ffee;
/** Outputs start as this NaN, so an output element the kernel never writes cannot match the reference. */
export const UNWRITTEN_WORD = 0x7fc0dead;

/** Deterministic test data (mulberry32). */
export class Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

export { seedOf, EPS, compare };

export interface FixtureOptions {
  seed: number;
  /** Tensors the kernel writes without reading; they start as UNWRITTEN_WORD instead of random data. */
  outputs?: readonly string[];
  /** Range of the random input data (default [-1, 1)). */
  lo?: number;
  hi?: number;
}

interface Region {
  start: number; // byte address, inclusive
  end: number; // byte address, exclusive
  label: string;
}

const MAX_REPORTS = 8;

/** Byte-range equality through Node's native memcmp (the harness checks whole memories per call). */
function same(a: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  return Buffer.from(a.buffer, a.byteOffset + start, end - start).equals(Buffer.from(b.buffer, b.byteOffset + start, end - start));
}

let guardPattern = new Uint8Array(0);
/** At least n bytes of repeated GUARD_WORD. */
function guardBytes(n: number): Uint8Array {
  if (guardPattern.length < n) {
    const words = new Uint32Array(Math.ceil(Math.max(n, 2 * guardPattern.length) / 4));
    words.fill(GUARD_WORD);
    guardPattern = new Uint8Array(words.buffer);
  }
  return guardPattern;
}

/**
 * Arenas are pooled per compiled module and page count: instantiating a module on a fresh memory costs more
 * than most test cases, and a case only needs a memory of the size its layout asks for. Each fixture
 * re-initialises every byte above the module's heap base, and every call checks that the module's static data
 * below it is unchanged, so a reused arena is indistinguishable from a fresh one for these stateless kernels.
 */
const pool = new Map<WebAssembly.Module, Map<number, Arena>>();
function arenaFor(compiled: CompiledKernels, layout: Layout): Arena {
  let byPages = pool.get(compiled.module);
  if (!byPages) pool.set(compiled.module, (byPages = new Map()));
  let arena = byPages.get(layout.pages);
  if (!arena) byPages.set(layout.pages, (arena = new Arena(compiled, layout)));
  return arena;
}

export class Fixture {
  readonly arena: Arena;
  readonly memory: WebAssembly.Memory;
  readonly k: KernelExports;
  readonly rng: Rng;
  private readonly byName = new Map<string, Tensor>();
  private readonly views = new Map<string, Float32Array>();
  private readonly guards: Region[] = [];
  private snapshot: Uint8Array | null = null;

  constructor(compiled: CompiledKernels, shapes: Record<string, readonly number[]>, opts: FixtureOptions) {
    const layout = new Layout();
    for (const [name, shape] of Object.entries(shapes)) this.byName.set(name, layout.add(name, ...shape));
    this.arena = arenaFor(compiled, layout);
    this.memory = this.arena.memory;
    this.k = this.arena.k;
    this.rng = new Rng(opts.seed);
    const lo = opts.lo ?? -1;
    const hi = opts.hi ?? 1;
    const outputs = new Set(opts.outputs ?? []);
    for (const name of outputs) this.tensor(name); // throws on a typo

    // Guard regions: every byte from the module's heap base to the end of memory that is in no tensor: the
    // SLACK after each tensor, alignment padding, and the unused rest of the last page.
    const words = new Uint32Array(this.memory.buffer);
    const sorted = [...this.byName.values()].sort((a, b) => a.ptr - b.ptr);
    let from = Math.ceil(Number(this.k.HEAP_BASE.value) / 4) * 4;
    words.fill(GUARD_WORD, from >> 2);
    let label = "free memory below the first tensor";
    for (const t of sorted) {
      if (t.ptr > from) this.guards.push({ start: from, end: t.ptr, label });
      from = t.ptr + 4 * t.length;
      label = `guard after ${t.name}`;
    }
    this.guards.push({ start: from, end: words.length * 4, label });

    for (const [name, t] of this.byName) {
      if (outputs.has(name)) {
        words.fill(UNWRITTEN_WORD, t.ptr >> 2, (t.ptr >> 2) + t.length);
      } else {
        const v = this.view(name);
        for (let i = 0; i < v.length; i++) v[i] = this.rng.uniform(lo, hi);
      }
    }
  }

  tensor(name: string): Tensor {
    const t = this.byName.get(name);
    if (!t) throw new Error(`fixture has no tensor ${name}`);
    return t;
  }

  ptr(name: string): number {
    return this.tensor(name).ptr;
  }

  /** Live view of a tensor. */
  view(name: string): Float32Array {
    let v = this.views.get(name);
    if (!v) {
      const t = this.tensor(name);
      this.views.set(name, (v = new Float32Array(this.memory.buffer, t.ptr, t.length)));
    }
    return v;
  }

  /** Live view of a tensor's words as i32 (for index tensors). */
  int32(name: string): Int32Array {
    const t = this.tensor(name);
    return new Int32Array(this.memory.buffer, t.ptr, t.length);
  }

  /** Overwrites a tensor's values (before the call). */
  set(name: string, values: ArrayLike<number> | ((i: number, rng: Rng) => number)): void {
    const v = this.view(name);
    if (typeof values === "function") {
      for (let i = 0; i < v.length; i++) v[i] = values(i, this.rng);
    } else {
      if (values.length !== v.length) throw new Error(`tensor ${name} holds ${v.length} values, got ${values.length}`);
      v.set(values);
    }
  }

  /** A tensor's values as they were just before the last call() (for in-place kernels' references). */
  before(name: string): Float32Array {
    if (!this.snapshot) throw new Error("before() needs a call() first");
    const t = this.tensor(name);
    return new Float32Array(this.snapshot.buffer, t.ptr, t.length).slice();
  }

  /**
   * Runs one kernel call. `mutates` names the tensors the kernel may write (its outputs, in place or not);
   * every other byte of memory must come back unchanged (inputs, the module's static data), and every guard
   * word must still hold GUARD_WORD. Returns the call's result and a list of violations (empty when clean).
   */
  call<T>(mutates: readonly string[], fn: (k: KernelExports) => T): { result: T; violations: string[] } {
    const mem = new Uint8Array(this.memory.buffer);
    const damaged = this.checkGuards(mem);
    if (damaged.length) throw new Error(`guards damaged before the call: ${damaged.join("; ")}`);
    const snap = (this.snapshot = mem.slice());
    const result = fn(this.k);
    const after = new Uint8Array(this.memory.buffer);
    const violations = this.checkGuards(after);

    const skip = mutates
      .map((n) => this.tensor(n))
      .map((t) => [t.ptr, t.ptr + 4 * t.length] as const)
      .sort((a, b) => a[0] - b[0]);
    const scan = (from: number, to: number) => {
      if (from >= to || same(snap, after, from, to)) return;
      const w0 = new Uint32Array(snap.buffer);
      const w1 = new Uint32Array(after.buffer);
      for (let i = from >> 2; i < to >> 2; i++) {
        if (w1[i] !== w0[i] && !this.guardAt(i * 4) && violations.length < MAX_REPORTS) {
          violations.push(this.describeChange(i * 4, w0[i], w1[i]));
        }
      }
    };
    let at = 0;
    for (const [s, e] of skip) {
      scan(at, s);
      at = Math.max(at, e);
    }
    scan(at, after.length);
    return { result, violations };
  }

  private checkGuards(mem: Uint8Array): string[] {
    const out: string[] = [];
    for (const g of this.guards) {
      const n = g.end - g.start;
      if (n === 0 || Buffer.from(mem.buffer, g.start, n).equals(Buffer.from(guardBytes(n).buffer, 0, n))) continue;
      const words = new Uint32Array(mem.buffer);
      for (let i = g.start >> 2; i < g.end >> 2; i++) {
        if (words[i] !== GUARD_WORD && out.length < MAX_REPORTS) {
          out.push(`${g.label}: word at +${i * 4 - g.start} B (address ${i * 4}) is 0x${hex(words[i])}`);
        }
      }
    }
    return out;
  }

  private guardAt(byte: number): boolean {
    return this.guards.some((g) => byte >= g.start && byte < g.end);
  }

  private describeChange(byte: number, was: number, now: number): string {
    for (const t of this.byName.values()) {
      if (byte >= t.ptr && byte < t.ptr + 4 * t.length) {
        return `input ${t.name}[${(byte - t.ptr) >> 2}] changed: ${f32(was)} -> ${f32(now)}`;
      }
    }
    return `memory at address ${byte} (outside every tensor) changed: 0x${hex(was)} -> 0x${hex(now)}`;
  }
}

function hex(w: number): string {
  return (w >>> 0).toString(16).padStart(8, "0");
}

function f32(w: number): string {
  return String(new Float32Array(new Uint32Array([w]).buffer)[0]);
}


/**
 * Collects cases of one test: the worst error/tolerance ratio over all of them, every memory violation, and
 * every case whose tolerance would NOT have caught a deliberately wrong result (the reference with its
 * largest element moved by 1e-3 of the output's scale), which would mean the check is toothless there.
 */
export class Tracker {
  worst = 0;
  worstMessage = "no case ran";
  cases = 0;
  readonly violations: string[] = [];
  readonly toothless: string[] = [];

  add(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: (i: number) => number, violations: string[] = []): void {
    this.cases++;
    for (const v of violations) this.violations.push(`${label}: ${v}`);
    const r = compare(got, want, tol);
    if (r.ratio > this.worst || this.cases === 1) {
      this.worst = r.ratio;
      this.worstMessage =
        `${label}: worst element ${r.index} got ${r.got} want ${r.want} (|err| ${Math.abs(r.got - r.want)}, ` +
        `tol ${r.tol}, err/tol ${r.ratio}); max |err| in case ${r.maxAbsErr}`;
    }
    this.sanity(label, want, tol);
  }

  /** Checks that tol would reject the reference with its largest element perturbed by 1e-3 of its scale. */
  sanity(label: string, want: ArrayLike<number>, tol: (i: number) => number): void {
    let idx = 0;
    for (let i = 1; i < want.length; i++) if (Math.abs(want[i]) > Math.abs(want[idx])) idx = i;
    const scale = Math.abs(want[idx]) || 1;
    const wrong = Float64Array.from(want);
    wrong[idx] += 1e-3 * scale;
    if (!(compare(wrong, want, tol).ratio > 1)) this.toothless.push(`${label}: a 1e-3 relative error at ${idx} passes`);
  }

  /** Records a pass/fail condition that is not an elementwise comparison. */
  check(label: string, ok: boolean, detail: string): void {
    this.cases++;
    if (!ok && this.worst <= 1) {
      this.worst = Infinity;
      this.worstMessage = `${label}: ${detail}`;
    }
  }
}

/** The checks every kernel case ends with: cases ran, no stray writes, within tolerance, tolerance has teeth. */
export function expectClean(t: Tracker, cases?: number): void {
  if (cases !== undefined) expect(t.cases).toBe(cases);
  expect(t.cases).toBeGreaterThan(0);
  expect(t.violations, "memory outside the outputs was written").toEqual([]);
  expect(t.worst, t.worstMessage).toBeLessThanOrEqual(1);
  expect(t.toothless, "tolerance too loose to catch a 1e-3 error").toEqual([]);
}
