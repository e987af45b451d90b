// How the calling thread drives the network's threads: a command block in the shared memory (what to run
// next and its arguments) after the words the threads meet on (sync.ts). The calling thread writes a
// command, posts it, runs its own share and waits at the barrier; every worker runs the same command on its
// share. The block's integers are Int32 words and the optimiser's numbers f64 words (a float read from the
// block boxes in V8's unoptimised code; an integer does not).

import type { Arena, Tensor } from "./arena.js";
import { WasmMlpError } from "../errors.js";
import { KernelTrap } from "./kernels.js";
import { Failure, Sync, SYNC_WORDS, ThreadFailure, type Watch } from "./sync.js";
import type { Optimizer } from "./optimizers.js";
import { StepAbi } from "./kernel-api.js";

const S = StepAbi;
/** The command's Int32 words (train_step reads them too: their offsets are assembly/step.ts's). */
export const Cmd = { Kind: S.CMD_KIND, X: S.CMD_X, Y: S.CMD_Y, Rows: S.CMD_ROWS, Stats: S.CMD_STATS, Gather: S.CMD_GATHER, At: S.CMD_AT, StepNo: S.CMD_STEP_NO } as const;
const CMD_WORDS = S.CMD_WORDS;
/** The command's f64 words: the optimiser's rate and hyper-parameters, Adam's bias corrections, weight decay. */
export const Arg = { Lr: S.ARG_LR, P1: S.ARG_P1, P2: S.ARG_P2, Eps: S.ARG_EPS, C1: S.ARG_C1, C2: S.ARG_C2, Wd: S.ARG_WD } as const;
const ARG_WORDS = S.ARG_WORDS;
/** What a command asks for. */
export const Kind = { Step: 1, Forward: 2, Detach: 3 } as const;

/** 4-byte words of the control tensor: the sync words, the command, padding to 8 bytes, the f64 arguments. */
export const CONTROL_WORDS = SYNC_WORDS + CMD_WORDS + 1 + 2 * ARG_WORDS;

/** Byte addresses of the command block's parts. */
export interface CommandBlock {
  readonly sync: number;
  readonly cmd: number;
  readonly arg: number;
}

/** The command block, and the protocol the threads of one network follow around it. */
export class Commands {
  /** The command every thread runs next (Cmd words). */
  readonly cmd: Int32Array;
  /** Its floating-point arguments (Arg words). */
  readonly arg: Float64Array;
  private readonly syncWords: Int32Array;
  private sync: Sync;
  private watch: Watch | undefined;

  constructor(private readonly arena: Arena, control: Tensor) {
    const buf = arena.memory.buffer;
    this.syncWords = new Int32Array(buf, control.ptr, SYNC_WORDS);
    this.cmd = new Int32Array(buf, control.ptr + 4 * SYNC_WORDS, CMD_WORDS);
    this.arg = new Float64Array(buf, control.ptr + 8 * Math.ceil((SYNC_WORDS + CMD_WORDS) / 2), ARG_WORDS);
    this.sync = new Sync(this.syncWords, 1);
    // a thread waiting inside train_step asks here whether another has failed or died (and is thrown out)
    arena.stepCheck = (timedOut) => this.sync.checkWaiting(timedOut !== 0);
  }

  /** Where the sync words, the command's words and its f64 words are (train_step's descriptor holds them). */
  get block(): CommandBlock {
    return { sync: this.syncWords.byteOffset, cmd: this.cmd.byteOffset, arg: this.arg.byteOffset };
  }

  get threads(): number {
    return this.sync.threads;
  }

  /**
   * Runs the next commands on `threads` threads; with one, the barriers are no-ops. `watch` (from whoever
   * started the other threads) tells a waiting thread when one of them has died.
   */
  useThreads(threads: number, watch?: Watch): void {
    this.watch = threads > 1 ? watch : undefined;
    this.sync = new Sync(this.syncWords, threads, this.watch);
  }

  /** Writes a training step's command: its rows, where its batch comes from, its number, the optimiser's numbers. */
  writeStep(x: number, y: number, rows: number, at: number, gather: boolean, withStats: boolean, stepNo: number, opt: Optimizer): void {
    const c = this.cmd, a = this.arg;
    c[Cmd.Kind] = Kind.Step;
    c[Cmd.X] = x;
    c[Cmd.Y] = y;
    c[Cmd.Rows] = rows;
    c[Cmd.Stats] = withStats ? 1 : 0;
    c[Cmd.Gather] = gather ? 1 : 0;
    c[Cmd.At] = at;
    c[Cmd.StepNo] = stepNo;
    a[Arg.Lr] = opt.lr;
    a[Arg.P1] = opt.kind === "adam" ? opt.beta1 : opt.momentum;
    a[Arg.P2] = opt.beta2;
    a[Arg.Eps] = opt.eps;
    a[Arg.Wd] = opt.weightDecay;
    if (opt.kind === "adam") {
      a[Arg.C1] = 1 - Math.pow(opt.beta1, stepNo + 1);
      a[Arg.C2] = 1 - Math.pow(opt.beta2, stepNo + 1);
    }
  }

  /** Waits until every thread has arrived (between two phases of a command). */
  barrier(): void {
    this.sync.arrive();
  }

  /** Calling thread: runs the command in the block on every thread (this one runs `execute(0)`) and waits for all. */
  run(execute: (thread: number) => void): void {
    try {
      this.watch?.checkRecorded();
      this.sync.post();
      execute(0);
      this.sync.arrive();
    } catch (e) {
      throw this.failure(0, e);
    }
  }

  /** A worker thread's loop: runs each command the calling thread posts until it detaches or a thread fails. */
  serve(thread: number, execute: (thread: number) => void): void {
    for (;;) {
      try {
        this.sync.next();
        if (this.cmd[Cmd.Kind] === Kind.Detach) {
          this.sync.arrive();
          return;
        }
        execute(thread);
        this.sync.arrive();
      } catch (e) {
        // a thread that failed woke everyone; a thread that died is for the calling thread to report
        if (!(e instanceof ThreadFailure)) this.failure(thread, e);
        return;
      }
    }
  }

  /**
   * Ends the other threads' serve() loops (they return to their pool) and goes on with this thread alone.
   * Waits until every thread has read the detach, so the next command cannot overwrite it first.
   */
  close(): void {
    if (this.sync.threads === 1) return;
    if (!this.sync.failed) {
      this.cmd[Cmd.Kind] = Kind.Detach;
      this.sync.post();
      try {
        this.sync.arrive();
      } catch (e) {
        if (!(e instanceof ThreadFailure)) throw e;
        // a thread died before reading the detach: release the others, which wait for it at the barrier
        this.sync.fail(e.thread, e.detail);
      }
    }
    this.useThreads(1);
  }

  /**
   * Tells every thread that this one failed (or saw a thread die), and the error to throw for it: a
   * KernelTrap naming the kernel, or a WasmMlpError naming the worker thread and what happened to it.
   */
  private failure(thread: number, e: unknown): unknown {
    if (e instanceof ThreadFailure) {
      if (!this.sync.failed) this.sync.fail(e.thread, e.detail);
      return this.explain(e);
    }
    const explained = this.arena.explainTrap(e);
    const trap = explained instanceof KernelTrap;
    if (thread > 0 && !trap) this.watch?.note(thread, explained);
    if (!this.sync.failed) this.sync.fail(thread, trap ? this.arena.kernelIndex(explained) : Failure.Threw);
    return explained;
  }

  /** The calling thread's error for another thread's failure. */
  private explain(e: ThreadFailure): Error {
    const story = this.watch?.story(e.thread);
    if (e.detail === Failure.Died) return new WasmMlpError(`worker thread ${e.thread} died during training (${story ?? "its thread stopped"})`);
    if (e.detail === Failure.Threw) return new WasmMlpError(`worker thread ${e.thread} failed during training: ${story ?? "it threw an error"}`);
    const name = e.detail >= 0 ? this.arena.kernelNames[e.detail] : "(unknown)";
    return new KernelTrap(`kernel ${name} trapped (thread ${e.thread})`);
  }
}
