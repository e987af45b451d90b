// How the threads of one job meet, on a few words of the shared memory: a barrier (every thread waits until
// all have arrived), a command counter the calling thread bumps to start the others on the next command, and
// a failure word that wakes everyone. Threads spin on a word for a few microseconds before they sleep on it
// (Atomics.wait): a phase of a training step is tens of microseconds, a sleep and wake-up several.
// With one thread every call returns at once.

import { WasmMlpError } from "../errors.js";

/** Int32 words a Sync needs. */
export const SYNC_WORDS = 8;

const COUNT = 0; // threads arrived at the barrier
const GENERATION = 1; // barriers completed
const COMMAND = 2; // commands posted
const FAILED = 3; // 0, or 1 + the thread that failed
const DETAIL = 4; // what the failing thread reported (its kernel's index in the module's exports, or -1)

/** Loads of a word before sleeping on it: about 2-5 µs here, the order of one phase's imbalance. */
const SPIN = 2000;

/** Another thread failed (a kernel trapped); the job is over on every thread. */
export class ThreadFailure extends WasmMlpError {
  constructor(readonly thread: number, readonly detail: number) {
    super(`thread ${thread} failed`);
  }
}

export class Sync {
  /** The last command this thread has seen. */
  private seen = 0;

  /**
   * `words`: SYNC_WORDS Int32 words of shared memory, zero before the job's first Sync; every thread makes
   * its Sync while no barrier is in progress and before the next command is posted.
   */
  constructor(private readonly words: Int32Array, readonly threads: number) {
    this.seen = Atomics.load(words, COMMAND);
  }

  /** Waits until every thread has arrived. Throws ThreadFailure when a thread has failed. */
  arrive(): void {
    if (this.threads === 1) return;
    const w = this.words, gen = Atomics.load(w, GENERATION);
    if (Atomics.add(w, COUNT, 1) === this.threads - 1) {
      Atomics.store(w, COUNT, 0);
      Atomics.add(w, GENERATION, 1);
      Atomics.notify(w, GENERATION);
    } else {
      this.await(GENERATION, gen);
    }
    this.check();
  }

  /** Calling thread: starts the other threads on the command it has written. */
  post(): void {
    this.seen = Atomics.add(this.words, COMMAND, 1) + 1;
    Atomics.notify(this.words, COMMAND);
  }

  /** Worker threads: waits for the next command. */
  next(): void {
    this.await(COMMAND, this.seen);
    this.seen = Atomics.load(this.words, COMMAND);
    this.check();
  }

  /** Marks the job failed and wakes every thread (they throw ThreadFailure from arrive or next). */
  fail(thread: number, detail: number): void {
    Atomics.compareExchange(this.words, FAILED, 0, 1 + thread);
    Atomics.store(this.words, DETAIL, detail);
    Atomics.add(this.words, GENERATION, 1);
    Atomics.add(this.words, COMMAND, 1);
    Atomics.notify(this.words, GENERATION);
    Atomics.notify(this.words, COMMAND);
  }

  get failed(): boolean {
    return Atomics.load(this.words, FAILED) !== 0;
  }

  private check(): void {
    const f = Atomics.load(this.words, FAILED);
    if (f !== 0) throw new ThreadFailure(f - 1, Atomics.load(this.words, DETAIL));
  }

  /** Returns once words[i] is no longer `value`: spins, then sleeps. */
  private await(i: number, value: number): void {
    const w = this.words;
    for (let s = 0; s < SPIN; s++) if (Atomics.load(w, i) !== value) return;
    while (Atomics.load(w, i) === value) Atomics.wait(w, i, value);
  }
}
