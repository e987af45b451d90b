// The one owner of memory layout. A Layout places named f32 tensors; an Arena instantiates the kernels on a
// memory sized for that layout, once, and hands out views. The memory has maximum == initial, so it can never
// grow and the views never go stale.

import { instantiate, PAGE_BYTES, type StepCheck, type CompiledKernels, type KernelBuild, type KernelExports, type KernelTrap } from "./kernels.js";
import { WasmMlpError } from "../errors.js";
import { GEMM_SCRATCH_BYTES } from "./kernel-api.js";

export { GEMM_SCRATCH_BYTES } from "./kernel-api.js";

/** Tensors start on 64-byte boundaries (a cache line; every v128 access is aligned). */
const ALIGN = 64;
/** Bytes after every tensor that a kernel may read past its end (the SIMD tails over-read) but never write. */
export const SLACK = 64;
/** The module's own static data lives below this; tensors start here. */
const BASE = PAGE_BYTES;
/** The largest memory a wasm32 engine may give (4 GiB); engines may give less. */
const MAX_PAGES = 65536;
export const MAX_BYTES = MAX_PAGES * PAGE_BYTES;

export interface Tensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly length: number;
  /** Byte address in the memory. */
  readonly ptr: number;
}

export class Layout {
  private readonly byName = new Map<string, Tensor>();
  private end = BASE;

  /** Places a tensor of the given shape and returns it; names are unique. */
  add(name: string, ...shape: number[]): Tensor {
    if (this.byName.has(name)) throw new Error(`tensor ${name} placed twice`);
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`tensor ${name} has a bad shape [${shape}]`);
    const length = shape.reduce((a, b) => a * b, 1);
    const ptr = Math.ceil(this.end / ALIGN) * ALIGN;
    const t: Tensor = { name, shape, length, ptr };
    this.byName.set(name, t);
    this.end = ptr + length * 4 + SLACK;
    return t;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): Tensor {
    const t = this.byName.get(name);
    if (!t) throw new Error(`no tensor named ${name}`);
    return t;
  }

  get tensors(): Tensor[] {
    return [...this.byName.values()];
  }

  /** Bytes the memory needs, from address 0. */
  get bytes(): number {
    return this.end;
  }

  get pages(): number {
    return Math.ceil(this.end / PAGE_BYTES);
  }
}

export class Arena {
  /** The kernels; a trap throws a KernelTrap that names the kernel. */
  readonly k: KernelExports;
  /** The kernels without the trap-naming wrapper (which boxes float arguments): for hot loops, which catch traps with explainTrap. */
  readonly raw: KernelExports;
  readonly explainTrap: (e: unknown, inStep?: string) => unknown;
  readonly memory: WebAssembly.Memory;
  /** What train_step calls while it waits for other threads (the network's Commands sets it). */
  stepCheck: StepCheck = () => {};
  readonly build: KernelBuild;
  readonly layout: Layout;
  private readonly views = new Map<Tensor, Float32Array>();

  /** The kernels' export names, in the module's order (a trap in another thread is reported by index). */
  readonly kernelNames: readonly string[];

  /** The arena on a new memory of the layout's size; with `memory`, the same arena seen from another thread. */
  constructor(kernels: CompiledKernels, layout: Layout, memory?: WebAssembly.Memory) {
    if (layout.pages > MAX_PAGES) throw new WasmMlpError(tooBig(layout.bytes));
    if (memory && memory.buffer.byteLength < layout.bytes) throw new Error(`a memory of ${memory.buffer.byteLength} B cannot hold this layout (${layout.bytes} B)`);
    let inst;
    try {
      inst = instantiate(kernels.module, memory ?? layout.pages, (timedOut) => this.stepCheck(timedOut));
    } catch (e) {
      if (e instanceof RangeError) {
        throw new WasmMlpError(`cannot allocate ${formatBytes(layout.bytes)} of wasm memory: ${e.message}`);
      }
      throw e;
    }
    this.k = inst.exports;
    this.raw = inst.raw;
    this.explainTrap = inst.explainTrap;
    this.memory = inst.memory;
    this.build = kernels.build;
    this.layout = layout;
    this.kernelNames = WebAssembly.Module.exports(kernels.module).map((e) => e.name);
    const heapBase = Number(this.k.HEAP_BASE.value);
    if (heapBase > BASE) throw new Error(`kernel static data (${heapBase} B) overlaps the arena at ${BASE}`);
    const scratch = Number(this.k.GEMM_SCRATCH_BYTES?.value ?? 0);
    if (scratch > GEMM_SCRATCH_BYTES) throw new Error(`the kernels need ${scratch} B of gemm scratch, the arena places ${GEMM_SCRATCH_BYTES}`);
  }

  /** The index in kernelNames of the kernel a trap names (-1 when it names none). */
  kernelIndex(trap: KernelTrap): number {
    return this.kernelNames.indexOf(trap.kernel);
  }

  /** A live view of a tensor; the same object every time. */
  view(t: Tensor): Float32Array {
    let v = this.views.get(t);
    if (!v) {
      v = new Float32Array(this.memory.buffer, t.ptr, t.length);
      this.views.set(t, v);
    }
    return v;
  }

  /** A live Int32 view of a tensor's bytes (index tensors). */
  viewI32(t: Tensor): Int32Array {
    return new Int32Array(this.memory.buffer, t.ptr, t.length);
  }

  /** Copies values into a tensor (set-up and tear-down only, never in the epoch loop). */
  write(t: Tensor, values: ArrayLike<number>): void {
    if (values.length !== t.length) {
      throw new Error(`tensor ${t.name} holds ${t.length} values, got ${values.length}`);
    }
    this.view(t).set(values);
  }
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function tooBig(bytes: number): string {
  return `this network and data need ${formatBytes(bytes)} of wasm memory, more than the 4 GiB a wasm32 module can address`;
}
