// A pool worker (worker_threads in Node, a module Web Worker in browsers): given the compiled kernels once,
// then per job a shared memory holding a network, it attaches to that network as thread N and serves its
// commands until the calling thread detaches it (or a thread fails or dies), then waits for the next job.
// In a browser the same script is also the pool's watcher (see pool.ts): given the workers' lock names, it
// records the death of a worker whose lock the browser hands it.

import { isNode, nodeBuiltin } from "../bytes.js";
import { Network, type NetworkJob } from "./network.js";
import { jobWatch, recordOwnDeath, reportAborted, reportAttached, reportStarted, watchLocks, type InitMessage, type JobMessage, type WatchMessage } from "./pool.js";
import type { CompiledKernels } from "./kernels.js";

export type { InitMessage } from "./pool.js";

let kernels: CompiledKernels | undefined;
let words: Int32Array | undefined;

function handle(m: InitMessage | JobMessage | WatchMessage): void {
  if (m.type === "watch") return watchLocks(m.words, m.locks);
  if (m.type === "init") {
    kernels = { build: m.build, module: m.module };
    words = m.words;
    recordOwnDeath(words, m.thread);
    reportStarted(words, m.thread, m.lock);
    return;
  }
  let net: Network;
  try {
    const job = m.job as NetworkJob;
    net = new Network(kernels!, job.shape, { memory: m.memory });
    net.useThreads(job.threads, jobWatch(words!, job.threads));
  } catch {
    reportAttached(words!, false);
    return;
  }
  reportAttached(words!, true);
  // serve() returns however the job ends, unless the script itself is stopped (a debugger's
  // terminateExecution): then this task, queued behind it, finds it never returned
  let served = false;
  setTimeout(() => served || reportAborted(words!, m.thread), 0);
  net.serve(m.thread);
  served = true;
}

// no top-level await: bundlers that emit workers as classic scripts (Vite's default, iife) refuse it
if (isNode) {
  void nodeBuiltin<typeof import("node:worker_threads")>("node:worker_threads").then(({ parentPort, workerData }) => {
    handle(workerData as InitMessage);
    parentPort!.on("message", handle);
  });
} else {
  (globalThis as unknown as { onmessage: (e: MessageEvent) => void }).onmessage = (e) => handle(e.data);
}
