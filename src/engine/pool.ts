// Worker threads that run jobs on a shared wasm memory alongside the calling thread (thread 0): worker_threads
// in Node, Web Workers in browsers, behind one small adapter. The pool knows nothing of networks: it starts
// workers with the compiled kernel module, hands each a job (a memory, a description, a thread number) once
// per job, and waits until they have attached. Everything per step happens on the shared memory (sync.ts);
// nothing is posted per step. Workers are unref'd: an idle pool never keeps Node from exiting.
//
// The pool also keeps, on words of its own, whether each worker has died and how, for the threads of a job
// to check when a wait times out (see Watch in sync.ts): a thread waiting at a barrier for a dead worker would
// otherwise wait for ever, and the calling thread, blocked there, cannot run the 'exit' event that says so.
// So a death is written where it is first seen, by whoever can see it:
// - the pool itself, before it terminates a worker (it holds the only reference to each: dispose, a collected
//   model);
// - the dying worker, where its runtime still runs code: process.exit() and an uncaught exception in Node
//   (process 'exit', 'uncaughtExceptionMonitor'), an uncaught error in a browser worker;
// - the worker's 'exit' and 'error' events, whenever the calling thread's event loop runs;
// - in Node, the calling thread probes each worker's native handle when its wait times out: its loop idle
//   time reads -1 once the thread has stopped, however it stopped (Node ending it at its heap limit, say);
// - in a browser, which shows no handle and sends no event when a worker ends, a watcher: one more worker,
//   idle, whose event loop stays free while the others block. Each worker holds a Web Lock of its own for
//   as long as it lives; the watcher asks for every one, and the browser grants it the moment its holder is
//   gone (Worker.terminate() by anyone, self.close(), the browser ending it), whereupon the watcher writes
//   the death. Without Web Locks (old browsers) there is no watcher;
// - a worker whose job's script was stopped without ending the worker (a debugger's terminateExecution):
//   the task it queued before serving finds the job never returned, and records it (see pool-worker.ts).
// The calling thread reads the words once per command as well: a browser defers a worker's termination
// while the thread that owns it blocks, so a worker the pool has just marked terminated may go on
// arriving at barriers, and no wait would ever time out to notice.

import { isNode } from "../bytes.js";
import { WasmMlpError } from "../errors.js";
import type { CompiledKernels, KernelBuild } from "./kernels.js";
import { sharedMemoryAvailable } from "./shared-memory.js";
import { Failure, ThreadFailure, type Watch } from "./sync.js";

/** What a worker is given once: the kernels, the pool's words and its thread number in every job. */
export interface InitMessage {
  type: "init";
  build: KernelBuild;
  module: WebAssembly.Module;
  words: Int32Array;
  thread: number;
  /** The Web Lock this worker holds while it lives (browsers with a watcher; see the top). */
  lock?: string;
}

/** What the watcher is given (browsers): the pool's words and each worker's lock, thread 1 first. */
export interface WatchMessage {
  type: "watch";
  words: Int32Array;
  locks: string[];
}

/** What a worker is given for a job; `job` is for the worker's runner to read (see pool-worker.ts). */
export interface JobMessage {
  type: "job";
  memory: WebAssembly.Memory;
  job: unknown;
  thread: number;
}

interface Port {
  post(message: unknown): void;
  /** Marks the worker terminated (see died), then ends it. */
  terminate(): void;
  /** Whether the worker's thread is known to have stopped (Node; elsewhere never known here). */
  stopped(): boolean;
}

// The pool's words: how many workers have started and attached to the current job, whether one could not
// attach, the first worker thread that died (0: none), the text a worker left (its thread, its length in
// UTF-16 units, then the units), and per worker thread t (1, 2, ...) how it died (How; 0 while it lives),
// its exit code, and whether it holds its Web Lock yet (the watcher asks for it only then).
const STARTED = 0, ATTACHED = 1, FAILED = 2, DEAD = 3, NOTE = 4, NOTE_LENGTH = 5, TEXT = 6, TEXT_UNITS = 240;
const WORKERS = TEXT + TEXT_UNITS / 2;
const HOW = (t: number) => WORKERS + 3 * (t - 1), CODE = (t: number) => HOW(t) + 1, HELD = (t: number) => HOW(t) + 2;
const How = { Terminated: 1, Exited: 2, Threw: 3, Stopped: 4, Aborted: 5 } as const;

/** How long a job waits for its workers to attach before giving up (they are idle: it takes milliseconds). */
const ATTACH_TIMEOUT_MS = 10_000;

/** Where the worker script sits: next to this module once built; from the TypeScript sources, the build's copy. */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith(".ts") ? new URL("../../dist/src/engine/pool-worker.js", here) : new URL("./pool-worker.js", here);
}

type NodeWorkers = typeof import("node:worker_threads");

function spawn(init: InitMessage, node: NodeWorkers | undefined): Port {
  const { words, thread } = init;
  if (node) {
    // no execArgv: the parent's (an --eval script, --input-type) are not the worker's
    const w = new node.Worker(workerUrl(), { workerData: init, execArgv: [] });
    w.unref();
    w.on("error", (e) => died(words, thread, How.Threw, 0, e));
    w.on("exit", (code) => died(words, thread, How.Exited, code));
    const terminate = () => {
      died(words, thread, How.Terminated);
      void w.terminate();
    };
    return { post: (m) => w.postMessage(m), terminate, stopped: stoppedProbe(w) };
  }
  const w = browserWorker(init);
  w.onerror = (e) => {
    e.preventDefault();
    died(words, thread, How.Threw, 0, e.message);
  };
  const terminate = () => {
    died(words, thread, How.Terminated);
    w.terminate();
  };
  return { post: (m) => w.postMessage(m), terminate, stopped: () => false };
}

/** A browser's pool worker, given `first` (its init, or the watcher's). */
function browserWorker(first: InitMessage | WatchMessage): Worker {
  // written out in full so that bundlers (Vite, webpack) see a worker and bundle pool-worker with it
  const w = new Worker(new URL("./pool-worker.js", import.meta.url), { type: "module" });
  w.postMessage(first);
  return w;
}

type LockManager = { request(name: string, callback: () => Promise<unknown> | void): Promise<unknown> };
const webLocks = (): LockManager | undefined => (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;

/** Browsers with Web Locks: the watcher of `workers` workers (see the top), and their locks' names; else none. */
function startWatcher(words: Int32Array, workers: number): { watcher?: Worker; locks: (string | undefined)[] } {
  if (isNode || !webLocks()) return { locks: [] };
  const id = typeof crypto !== "undefined" && "randomUUID" in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
  const locks = Array.from({ length: workers }, (_, i) => `wasm-mlp pool ${id} worker ${i + 1}`);
  return { watcher: browserWorker({ type: "watch", words, locks }), locks };
}

/**
 * Node: whether a worker's thread has stopped, read from its native handle (worker_threads keeps it under a
 * symbol): loopIdleTime() is -1 from the moment the thread is stopped, whoever stopped it, with no event to
 * wait for. Where the handle is not there (another Node), never known; the other ways still work.
 */
function stoppedProbe(w: object): () => boolean {
  const key = Object.getOwnPropertySymbols(w).find((s) => s.description === "kHandle");
  return () => {
    const handle = key && (w as Record<symbol, { loopIdleTime?: () => number } | null>)[key];
    return typeof handle?.loopIdleTime === "function" && handle.loopIdleTime() < 0;
  };
}

/**
 * Records worker `w` as stopped when its native handle says so (where the runtime shows it) and nothing has
 * recorded its end yet; only once it has started: before its event loop runs, a booting worker's handle
 * looks stopped too.
 */
function probeStopped(words: Int32Array, w: number, port: Port): void {
  if (Atomics.load(words, HOW(w)) === 0 && Atomics.load(words, HELD(w)) === 1 && port.stopped()) died(words, w, How.Stopped);
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

  private constructor(private readonly ports: Port[], words: Int32Array, private readonly watcher?: Worker) {
    this.words = words;
  }

  /**
   * Starts `workers` workers for the compiled kernels. Returns as soon as they are spawning (they start in
   * the background; see started and waitReady). Synchronous, so that a fit can start them between two
   * epochs: in Node, worker_threads comes from process.getBuiltinModule (Node 20.16+; engines asks 20.19).
   */
  static start(kernels: CompiledKernels, workers: number): Pool {
    const node = isNode ? (process as unknown as { getBuiltinModule(id: string): NodeWorkers }).getBuiltinModule("node:worker_threads") : undefined;
    const words = new Int32Array(new SharedArrayBuffer(4 * HOW(workers + 1)));
    const { watcher, locks } = startWatcher(words, workers);
    const init = (thread: number): InitMessage => ({ type: "init", build: kernels.build, module: kernels.module, words, thread, lock: locks[thread - 1] });
    return new Pool(Array.from({ length: workers }, (_, i) => spawn(init(i + 1), node)), words, watcher);
  }

  /** How many workers are running (a job can use this many plus the calling thread; none once one has died). */
  get started(): number {
    if (Atomics.load(this.words, DEAD) !== 0) return 0;
    return Math.min(this.ports.length, Atomics.load(this.words, STARTED));
  }

  /** Which worker died and how ("worker thread 1 died (exited with code 7)"), once one has: the pool is then of no use. */
  get lost(): string | undefined {
    // a worker that died between jobs has told no one: look
    for (let w = 1; w <= this.ports.length; w++) probeStopped(this.words, w, this.ports[w - 1]);
    const t = Atomics.load(this.words, DEAD);
    return t === 0 ? undefined : `worker thread ${t} died (${story(this.words, t)})`;
  }

  /** Resolves once every worker is running. */
  async waitReady(): Promise<void> {
    const deadline = Date.now() + ATTACH_TIMEOUT_MS;
    while (this.started < this.ports.length) {
      const t = Atomics.load(this.words, DEAD);
      if (t !== 0) throw new WasmMlpError(`worker thread ${t} failed to start (${story(this.words, t)})`);
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
   * Returns the Watch its threads check while they wait: it says when one of them has died.
   */
  attach(memory: WebAssembly.Memory, job: unknown, threads: number): Watch {
    if (this.closed) throw new WasmMlpError("the thread pool has been disposed");
    if (threads - 1 > this.ports.length) throw new WasmMlpError(`${threads} threads asked of a pool of ${this.ports.length + 1}`);
    const watch = new JobWatch(this.words, threads, this.ports);
    Atomics.store(this.words, ATTACHED, 0);
    Atomics.store(this.words, FAILED, 0);
    Atomics.store(this.words, NOTE, 0);
    for (let t = 1; t < threads; t++) this.ports[t - 1].post({ type: "job", memory, job, thread: t } satisfies JobMessage);
    const deadline = Date.now() + ATTACH_TIMEOUT_MS;
    for (;;) {
      const n = Atomics.load(this.words, ATTACHED), dead = watch.dead();
      if (dead !== 0) throw new WasmMlpError(`worker thread ${dead} died (${story(this.words, dead)})`);
      if (Atomics.load(this.words, FAILED) !== 0) throw new WasmMlpError("a worker thread could not attach to the job");
      if (n >= threads - 1) return watch;
      if (Date.now() > deadline) throw new WasmMlpError(`worker threads did not attach within ${ATTACH_TIMEOUT_MS / 1000} s`);
      Atomics.wait(this.words, ATTACHED, n, 50);
    }
  }

  /** Ends every worker (each is marked terminated first, so that a thread waiting for it hears of it). */
  terminate(): void {
    this.closed = true;
    for (const p of this.ports) p.terminate();
    this.watcher?.terminate();
  }
}

/** What the threads of one job check (see Watch): the pool's words for threads 1..threads-1, and on the calling thread their handles. */
class JobWatch implements Watch {
  constructor(private readonly words: Int32Array, private readonly threads: number, private readonly ports?: readonly Port[]) {}

  /** The first thread of the job that has died, or 0. */
  dead(): number {
    for (let t = 1; t < this.threads; t++) {
      if (this.ports) probeStopped(this.words, t, this.ports[t - 1]);
      if (Atomics.load(this.words, HOW(t)) !== 0) return t;
    }
    return 0;
  }

  check(): void {
    const t = this.dead();
    if (t !== 0) throw new ThreadFailure(t, Failure.Died);
  }

  checkRecorded(): void {
    for (let t = 1; t < this.threads; t++) if (Atomics.load(this.words, HOW(t)) !== 0) throw new ThreadFailure(t, Failure.Died);
  }

  note(thread: number, error: unknown): void {
    writeNote(this.words, thread, error);
  }

  story(thread: number): string | undefined {
    return Atomics.load(this.words, HOW(thread)) !== 0 ? story(this.words, thread) : readNote(this.words, thread);
  }
}

/** Records that worker thread `thread` died and how; the first record stands. */
function died(words: Int32Array, thread: number, how: number, code = 0, error?: unknown): void {
  if (Atomics.load(words, HOW(thread)) !== 0) return;
  if (error !== undefined) writeNote(words, thread, error);
  Atomics.store(words, CODE(thread), code);
  if (Atomics.compareExchange(words, HOW(thread), 0, how) !== 0) return;
  Atomics.compareExchange(words, DEAD, 0, thread);
  Atomics.notify(words, STARTED);
  Atomics.notify(words, ATTACHED);
}

/** How a dead worker died, for a message: "terminated", "exited with code 7", "threw Error: ...", "its thread stopped". */
function story(words: Int32Array, thread: number): string {
  const how = Atomics.load(words, HOW(thread));
  if (how === How.Terminated) return "terminated";
  if (how === How.Exited) return `exited with code ${Atomics.load(words, CODE(thread))}`;
  if (how === How.Threw) return `threw ${readNote(words, thread) ?? "an error"}`;
  if (how === How.Aborted) return "its script was stopped in the middle of a job";
  return "its thread stopped";
}

/** Keeps the text of an error in the pool's words, if no other thread has left one since the job began. */
function writeNote(words: Int32Array, thread: number, error: unknown): void {
  if (Atomics.compareExchange(words, NOTE, 0, -thread) !== 0) return;
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const units = new Uint16Array(words.buffer, 4 * TEXT, TEXT_UNITS), n = Math.min(text.length, TEXT_UNITS);
  for (let i = 0; i < n; i++) units[i] = text.charCodeAt(i);
  Atomics.store(words, NOTE_LENGTH, n);
  Atomics.store(words, NOTE, thread);
}

function readNote(words: Int32Array, thread: number): string | undefined {
  if (Atomics.load(words, NOTE) !== thread) return undefined;
  const units = new Uint16Array(words.buffer, 4 * TEXT, Atomics.load(words, NOTE_LENGTH));
  return String.fromCharCode(...units);
}

/** Worker side: the Watch a worker's threads check, over the pool's words. */
export function jobWatch(words: Int32Array, threads: number): Watch {
  return new JobWatch(words, threads);
}

/** Worker side: has the worker's own runtime record its death where it still runs code (see the top). */
export function recordOwnDeath(words: Int32Array, thread: number): void {
  if (isNode) {
    process.on("exit", (code) => died(words, thread, How.Exited, code));
    process.on("uncaughtExceptionMonitor", (e) => died(words, thread, How.Threw, 0, e));
  } else {
    (globalThis as unknown as EventTarget).addEventListener("error", (e) => died(words, thread, How.Threw, 0, (e as ErrorEvent).message));
  }
}

/**
 * Worker side: a worker has started, once it holds its Web Lock when it has one (the lock is held until the
 * worker is gone: its callback's promise never settles).
 */
export function reportStarted(words: Int32Array, thread: number, lock: string | undefined): void {
  const started = () => {
    Atomics.store(words, HELD(thread), 1);
    Atomics.add(words, STARTED, 1);
    Atomics.notify(words, STARTED);
  };
  const locks = lock === undefined ? undefined : webLocks();
  if (!locks) return started();
  void locks.request(lock!, () => {
    started();
    return new Promise<never>(() => {});
  });
}

/** Worker side: a job's serve() has not returned by the time the worker's next task runs (its script was stopped). */
export function reportAborted(words: Int32Array, thread: number): void {
  died(words, thread, How.Aborted);
}

/**
 * The watcher (browsers): asks for each worker's lock once the worker holds it; the browser grants it when
 * the worker is gone, however it went, and the watcher records the death. The pool terminates the watcher
 * with its workers.
 */
export function watchLocks(words: Int32Array, locks: readonly string[]): void {
  const locksApi = webLocks();
  if (!locksApi) return;
  const pending = new Set(locks.map((_, i) => i + 1));
  const look = () => {
    for (const t of pending) {
      if (Atomics.load(words, HELD(t)) === 0 && Atomics.load(words, HOW(t)) === 0) continue;
      pending.delete(t);
      void locksApi.request(locks[t - 1], () => died(words, t, How.Stopped));
    }
    if (pending.size > 0) setTimeout(look, 5);
  };
  look();
}

/** Worker side: a worker has attached to a job (ok), or could not (failed). */
export function reportAttached(words: Int32Array, ok: boolean): void {
  if (!ok) Atomics.store(words, FAILED, 1);
  Atomics.add(words, ATTACHED, 1);
  Atomics.notify(words, ATTACHED);
}
