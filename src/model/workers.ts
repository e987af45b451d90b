// A model's worker threads: how many it may use, the pool of workers once spawned, and their joining a
// fit's network at an epoch boundary. Threads need shared memory with the workers and a calling thread that
// may block on it; without either a model trains on one thread.

import { isNode } from "../bytes.js";
import type { CompiledKernels } from "../engine/kernels.js";
import type { Network } from "../engine/network.js";
import { canBlock, canShareMemory, Pool } from "../engine/pool.js";
import { availableThreads, threadsFor } from "../engine/threads.js";
import { UsageError } from "../errors.js";

/** Workers dropped without end() (their model was collected without dispose()) still end. */
const pools = new FinalizationRegistry<Pool>((pool) => pool.terminate());

/** Workers started before the model that will use them (see startWorkersEarly). */
let early: { kernels: CompiledKernels; pool: Pool } | undefined;

/**
 * Starts, in Node, the workers that a model created next on `kernels` with `threads` would spawn at its
 * first fit, so that they boot (tens of milliseconds, on the other core) while the caller does something
 * else first: the CLI loads its data meanwhile. The next such model takes them; a model that asks for
 * another count, or other kernels, ends them and starts its own, and one whose fit runs on one thread ends
 * them. Their threads never keep Node running.
 */
export async function startWorkersEarly(kernels: CompiledKernels, threads: number | "auto"): Promise<Pool | undefined> {
  const want = threads === "auto" ? await availableThreads() : threads;
  if (!isNode || want <= 1 || !canShareMemory() || !canBlock() || early) return undefined;
  early = { kernels, pool: Pool.start(kernels, want - 1) };
  return early.pool;
}

/** Ends the early workers meant for a model on `kernels` that trains on one thread after all. */
function dropEarly(kernels: CompiledKernels): void {
  if (early?.kernels !== kernels) return;
  early.pool.terminate();
  early = undefined;
}

/** The early workers, when they are what a model on `kernels` needs `workers` of; ended otherwise. */
function takeEarly(kernels: CompiledKernels, workers: number): Pool | undefined {
  const e = early;
  early = undefined;
  if (e && e.kernels === kernels && e.pool.size === workers && !e.pool.lost) return e.pool;
  e?.pool.terminate();
  return undefined;
}

export class Workers {
  /** Threads the model may use, the calling one included. */
  max = 1;
  /** The max - 1 workers, once spawned. */
  private pool: Pool | undefined;
  /** The threads the latest join aimed for. */
  private aim = 1;

  constructor(private readonly kernels: CompiledKernels) {}

  /**
   * Prepares the threads asked for (see MLPOptions.threads). With a number, or in a browser, starts them and
   * waits until they run. With "auto" in Node they start at the first fit that can use them, and join it
   * between two steps once booted: a worker takes tens of milliseconds to boot, on the other core, which a
   * model that only predicts need not pay, and a fit need not wait for.
   */
  async start(threads: number | "auto"): Promise<void> {
    const want = threads === "auto" ? await availableThreads() : threads;
    if (want <= 1 || !canShareMemory() || !canBlock()) return;
    this.max = want;
    // a browser starts a worker's nested workers on that worker's event loop, which a synchronous fit
    // would hold for its whole length: there, wait for them even with "auto"
    if (threads !== "auto" || !isNode) await this.now().waitReady();
  }

  /** The pool, spawned now if it has not been (only ever asked for when max > 1). */
  private now(): Pool {
    if (!this.pool) {
      this.pool = takeEarly(this.kernels, this.max - 1) ?? Pool.start(this.kernels, this.max - 1);
      pools.register(this, this.pool, this);
    }
    return this.pool;
  }

  /** Threads a fit of `layers` with mini-batches of `batch` rows uses: what was asked (up to max), else what pays. */
  threadsFor(layers: readonly number[], batch: number, asked?: number): number {
    if (asked === undefined) return threadsFor(layers, batch, this.max, this.kernels.build);
    if (asked > this.max) {
      throw new UsageError(`fit: threads ${asked} is more than this model was created with (${this.max}): pass threads to MLP.create`);
    }
    return asked;
  }

  /** Attaches as many started workers as `net` may use, up to `limit` threads; spawns the pool first if it has not been. */
  private join(net: Network, limit: number): void {
    const pool = this.now(), can = Math.min(limit, 1 + pool.started);
    if (can <= net.threads) return;
    try {
      net.attachThreads(pool, can);
    } catch (e) {
      // a worker died before it could join: these workers are done for; the next fit starts new ones
      this.end();
      throw e;
    }
  }

  /**
   * At an epoch boundary: runs `net` on `want` threads from here on, ending the other threads' part when it
   * is fewer than now, attaching started workers when it is more (see join).
   */
  use(net: Network, want: number): void {
    this.aim = want;
    if (want <= 1) dropEarly(this.kernels);
    if (net.threads > want) net.close();
    if (net.threads < want) this.join(net, want);
  }

  /**
   * Between two steps of an epoch: attaches the workers that have started since the latest join, up to the
   * threads it aimed for (a worker booting during a long first epoch joins it at its next step, not the next epoch).
   */
  joinStarted(net: Network): void {
    if (net.threads >= this.aim || !this.pool || 1 + this.pool.started <= net.threads) return;
    this.join(net, this.aim);
  }

  /** Whether a worker has died (the pool must not be used again). */
  get lost(): boolean {
    return Boolean(this.pool?.lost);
  }

  /** Ends the workers, if any (a later fit starts new ones). */
  end(): void {
    if (this.pool) pools.unregister(this);
    this.pool?.terminate();
    this.pool = undefined;
  }
}
