// How the threads of one job meet, on a few words of the shared memory: a barrier (every thread waits until
// all have arrived), a command counter the calling thread bumps to start the others on the next command, and
// a failure word that wakes everyone. Threads spin on a word (tens of microseconds) before they sleep on it
// (Atomics.wait): a sleep and its wake-up cost tens of microseconds too.
// A sleep lasts at most WAIT_MS: a thread that died never arrives, so a sleeper asks the job's Watch (the
// pool's record of its workers) whether one has, each time its sleep times out; the calling thread also asks
// the record once per command (Commands.run). With one thread every call returns at once. train_step meets
// the other threads inside a step on the same words, in wasm (assembly/step.ts: the word offsets and WAIT_MS
// are its constants).

import { WasmMlpError } from "../errors.js";
import { StepAbi } from "./kernel-api.js";

/** Int32 words a Sync needs. */
export const SYNC_WORDS = 8;

const COUNT = StepAbi.SYNC_COUNT; // threads arrived at the barrier
const GENERATION = StepAbi.SYNC_GENERATION; // barriers completed
const COMMAND = StepAbi.SYNC_COMMAND; // commands posted
const FAILED = StepAbi.SYNC_FAILED; // 0, or 1 + the thread that failed + 65536 × (DETAIL_BIAS + what it reported), in one word

/** What a failing thread reports (its kernel's index in the module's exports, or one of Failure) is stored plus this. */
const DETAIL_BIAS = 8;

/** What a ThreadFailure's detail says when it is not the index of the kernel that trapped. */
export const Failure = { UnknownKernel: -1, Threw: -2, Died: -3 } as const;

/**
 * Loads of a word before sleeping on it (about 5 ns each from JavaScript: some 50 µs). A worker waiting for
 * the next step spins through the calling thread's work between two steps: one that falls asleep costs a
 * wake-up, tens of microseconds, every step (the README's performance section has the measurement).
 */
const SPIN = 10000;
/** Longest sleep before a waiting thread checks that the others are alive (a death is seen within this). */
export const WAIT_MS = StepAbi.WAIT_MS;

/** Another thread failed (a kernel trapped, it threw, it died); the job is over on every thread. */
export class ThreadFailure extends WasmMlpError {
  constructor(readonly thread: number, readonly detail: number) {
    super(`thread ${thread} failed`);
  }
}

/**
 * What the threads of a job learn from whoever started them (a Pool): whether one has died, and what a worker
 * that threw had to say. Used only when a sleep times out and when a job fails, never per step.
 */
export interface Watch {
  /** Throws ThreadFailure(thread, Failure.Died) when a thread of the job has died. */
  check(): void;
  /**
   * The same from what has been recorded alone (a few loads, no probe): the calling thread asks once per
   * command, since a worker marked dead may still be running and arriving (see pool.ts).
   */
  checkRecorded(): void;
  /** A worker thread keeps the text of the error it caught, for the calling thread's message. */
  note(thread: number, error: unknown): void;
  /** How `thread` died, or the text of the error it noted. */
  story(thread: number): string | undefined;
}

export class Sync {
  /** The last command this thread has seen. */
  private seen = 0;

  /**
   * `words`: SYNC_WORDS Int32 words of shared memory, zero before the job's first Sync; every thread makes
   * its Sync while no barrier is in progress and before the next command is posted.
   */
  constructor(private readonly words: Int32Array, readonly threads: number, private readonly watch?: Watch) {
    this.seen = Atomics.load(words, COMMAND);
  }

  /** Waits until every thread has arrived. Throws ThreadFailure when a thread has failed or died. */
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
    Atomics.compareExchange(this.words, FAILED, 0, 1 + thread + 65536 * (DETAIL_BIAS + detail));
    Atomics.add(this.words, GENERATION, 1);
    Atomics.add(this.words, COMMAND, 1);
    Atomics.notify(this.words, GENERATION);
    Atomics.notify(this.words, COMMAND);
  }

  /**
   * For a thread waiting in wasm (train_step's barrier): throws ThreadFailure when a thread has failed, or,
   * after a sleep that timed out, when one has died.
   */
  checkWaiting(timedOut: boolean): void {
    if (timedOut) this.watch?.check();
    this.check();
  }

  get failed(): boolean {
    return Atomics.load(this.words, FAILED) !== 0;
  }

  private check(): void {
    const f = Atomics.load(this.words, FAILED);
    if (f !== 0) throw new ThreadFailure((f & 0xffff) - 1, (f >>> 16) - DETAIL_BIAS);
  }

  /**
   * Returns once words[i] is no longer `value`: spins, then sleeps in slices, checking after each whether a
   * thread has died. Before the first sleep it checks the failure word: a thread that failed after this one
   * read `value` bumps the word and wakes it, but one that failed before has bumped it already.
   */
  private await(i: number, value: number): void {
    const w = this.words;
    for (let s = 0; s < SPIN; s++) if (Atomics.load(w, i) !== value) return;
    this.check();
    while (Atomics.load(w, i) === value) {
      if (Atomics.wait(w, i, value, WAIT_MS) === "timed-out") this.watch?.check();
    }
  }
}
