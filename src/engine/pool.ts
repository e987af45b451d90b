// Worker threads that run jobs on a shared wasm memory alongside the calling thread (thread 0): worker_threads
// in Node, Web Workers in browsers, behind one small adapter. The pool knows nothing of networks: it starts
// workers with the compiled kernel module, hands each a job (a memory, a description, a thread number) once
// per job, and waits until they have attached. Everything per step happens on the shared memory (sync.ts);
// nothing is posted per step. Workers are unref'd: an idle pool never keeps Node from exiting.

import { isNode } from "../bytes.js";
import { WasmMlpError } from "../errors.js";
import type { CompiledKernels } from "./kernels.js";
import { sharedMemoryAvailable } from "./shared-memory.js";

/** What a worker is given for a job; `job` is for the worker's runner to read (see pool-worker.ts). */
export interface JobMessage {
  type: "job";
  memory: WebAssembly.Memory;
  job: unknown;
  thread: number;
}

interface Port {
  post(message: unknown): void;
  terminate(): void;
}

// The pool's own words (not the job's memory): how many workers have started, and attached to the current job.
const STARTED = 0, ATTACHED = 1, FAILED = 2, DEAD = 3;
/** How long a job waits for its workers to attach before giving up (they are idle: it takes milliseconds). */
const ATTACH_TIMEOUT_MS = 10_000;

/** Where the worker script sits: next to this module once built; from the TypeScript sources, the build's copy. */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith(".ts") ? new URL("../../dist/src/engine/pool-worker.js", here) : new URL("./pool-worker.js", here);
}

type NodeWorkers = typeof import("node:worker_threads");

/** A worker died (its script failed to load, say): whoever waits on the pool hears of it at once. */
function failed(init: unknown): void {
  const words = (init as { words: Int32Array }).words;
  Atomics.store(words, DEAD, 1);
  Atomics.notify(words, STARTED);
  Atomics.notify(words, ATTACHED);
}

function spawn(data: unknown, node: NodeWorkers | undefined): Port {
  if (node) {
    // no execArgv: the parent's (an --eval script, --input-type) are not the worker's
    const w = new node.Worker(workerUrl(), { workerData: data, execArgv: [] });
    w.unref();
    w.on("error", () => failed(data));
    return { post: (m) => w.postMessage(m), terminate: () => void w.terminate() };
  }
  // written out in full so that bundlers (Vite, webpack) see a worker and bundle pool-worker with it
  const w = new Worker(new URL("./pool-worker.js", import.meta.url), { type: "module" });
  w.onerror = (e) => {
    e.preventDefault();
    failed(data);
  };
  w.postMessage(data);
  return { post: (m) => w.postMessage(m), terminate: () => w.terminate() };
}

/** Whether this thread may block on a shared word (a browser's main thread may not). */
export function canBlock(): boolean {
  if (isNode) return true;
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined";
}

/** Whether this engine can share a memory with workers here (browsers: only cross-origin isolated pages). */
export function canShareMemory(): boolean {
  if (!sharedMemoryAvailable()) return false;
  if (isNode) return true;
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

export class Pool {
  private readonly words: Int32Array;
  private closed = false;

  private constructor(private readonly ports: Port[], words: Int32Array) {
    this.words = words;
  }

  /**
   * Starts `workers` workers for the compiled kernels. Returns as soon as they are spawning (they start in
   * the background; see started and waitReady). Synchronous, so that a fit can start them between two
   * epochs: in Node, worker_threads comes from process.getBuiltinModule (Node 20.16+; engines asks 20.19).
   */
  static start(kernels: CompiledKernels, workers: number): Pool {
    const node = isNode ? (process as unknown as { getBuiltinModule(id: string): NodeWorkers }).getBuiltinModule("node:worker_threads") : undefined;
    const words = new Int32Array(new SharedArrayBuffer(16));
    const init = { type: "init", build: kernels.build, module: kernels.module, words };
    return new Pool(Array.from({ length: workers }, () => spawn(init, node)), words);
  }

  /** How many workers are running (a job can use this many plus the calling thread; none once one has died). */
  get started(): number {
    if (Atomics.load(this.words, DEAD) !== 0) return 0;
    return Math.min(this.ports.length, Atomics.load(this.words, STARTED));
  }

  /** Resolves once every worker is running. */
  async waitReady(): Promise<void> {
    const deadline = Date.now() + ATTACH_TIMEOUT_MS;
    while (this.started < this.ports.length) {
      if (Atomics.load(this.words, DEAD) !== 0) throw new WasmMlpError("a worker thread failed to start");
      if (Date.now() > deadline) throw new WasmMlpError(`worker threads did not start within ${ATTACH_TIMEOUT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Workers in the pool (the calling thread comes on top). */
  get size(): number {
    return this.ports.length;
  }

  /**
   * Gives threads 1..threads-1 the job on `memory` and waits (blocking) until each has attached to it, so the
   * caller's first command finds them all. A job ends when the caller tells its threads so on the memory.
   */
  attach(memory: WebAssembly.Memory, job: unknown, threads: number): void {
    if (this.closed) throw new WasmMlpError("the thread pool has been disposed");
    if (threads - 1 > this.ports.length) throw new WasmMlpError(`${threads} threads asked of a pool of ${this.ports.length + 1}`);
    Atomics.store(this.words, ATTACHED, 0);
    Atomics.store(this.words, FAILED, 0);
    for (let t = 1; t < threads; t++) this.ports[t - 1].post({ type: "job", memory, job, thread: t } satisfies JobMessage);
    const deadline = Date.now() + ATTACH_TIMEOUT_MS;
    for (;;) {
      const n = Atomics.load(this.words, ATTACHED);
      if (Atomics.load(this.words, FAILED) !== 0 || Atomics.load(this.words, DEAD) !== 0) throw new WasmMlpError("a worker thread could not attach to the job");
      if (n >= threads - 1) return;
      if (Date.now() > deadline) throw new WasmMlpError(`worker threads did not attach within ${ATTACH_TIMEOUT_MS / 1000} s`);
      Atomics.wait(this.words, ATTACHED, n, 50);
    }
  }

  terminate(): void {
    this.closed = true;
    for (const p of this.ports) p.terminate();
  }
}

/** Worker side: a worker has started (index) or attached to a job (ok), or could not (failed). */
export function reportStarted(words: Int32Array): void {
  Atomics.add(words, STARTED, 1);
  Atomics.notify(words, STARTED);
}

export function reportAttached(words: Int32Array, ok: boolean): void {
  if (!ok) Atomics.store(words, FAILED, 1);
  Atomics.add(words, ATTACHED, 1);
  Atomics.notify(words, ATTACHED);
}
