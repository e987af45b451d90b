// The thread count of a fit that chose its own ("auto"): on a busy machine the other core may be taken, and
// then one thread can beat two (the threads meet at a barrier several times a step, and the slowest sets
// the pace). The bits do not depend on the count, so it may change at any epoch: the tuner measures the
// epochs and switches to one thread when that is faster, and back when the machine is free again.
//
// It measures windows of epochs (at least WINDOW_MS of training each, so that short epochs are timed over
// many). Two things send it to try one thread for a window, and stay there if that window was clearly faster
// (at most CLEARLY times the last window on all threads, an epoch: all threads are the default, and a try
// that keeps a count no faster costs):
// - where the process's CPU time can be read (Node), a window on all threads in which the process got less
//   than STARVED of `max` cores: another program holds a core, and waiting threads sleep instead of working.
//   Acted on from the first window, since it is seen directly.
// - a window on all threads SLOWER times the fastest such window (the baseline), once SETTLE_MS of training
//   has passed (a short fit never changes count on timings alone).
// A try of one thread that loses holds both back for RETRY windows, twice as many after each further loss.
// On one thread it tries all threads again after RETRY windows, and after twice as many each time all
// threads lose again (up to MAX_HOLD windows).

import { isNode } from "../bytes.js";

export const WINDOW_MS = 50;
export const SETTLE_MS = 1000;
export const SLOWER = 1.3;
export const RETRY = 8;
export const STARVED = 0.65;
export const MAX_HOLD = 64;
export const CLEARLY = 0.9;

/** The clocks a tuner reads at the ends of its windows: the process's CPU time and wall time, milliseconds. */
export interface TunerClock {
  cpu(): number;
  wall(): number;
}

/** This process's clocks, where its CPU time can be read (Node); undefined elsewhere. */
export function processClock(): TunerClock | undefined {
  if (!isNode || typeof process.cpuUsage !== "function") return undefined;
  return {
    cpu: () => {
      const c = process.cpuUsage();
      return (c.user + c.system) / 1000;
    },
    // (hrtime, not performance.now(): Node loads perf_hooks on the first touch of `performance`)
    wall: () => Number(process.hrtime.bigint()) / 1e6,
  };
}

type Mode = "all" | "probe-one" | "one" | "probe-all";

export class ThreadTuner {
  private mode: Mode = "all";
  /** The window being measured: its threads, epochs and milliseconds, and the clocks when it began. */
  private threads: number;
  private epochs = 0;
  private ms = 0;
  private total = 0;
  private cpu0 = 0;
  private wall0 = 0;
  /** The fastest window on all threads (ms an epoch), and the latest on each count. */
  private baseline = Infinity;
  private lastAll = Infinity;
  private lastOne = Infinity;
  /** Windows left before the next try of the other count, and how many the next hold lasts. */
  private hold = 0;
  private probeHold = RETRY;
  private oneHold = RETRY;

  /** `max`: the threads the fit planned for (more than one); `clock`: see processClock. */
  constructor(readonly max: number, readonly clock?: TunerClock) {
    this.threads = max;
    this.restart();
  }

  /** The threads the next epoch should run on. */
  get want(): number {
    return this.mode === "one" || this.mode === "probe-one" ? 1 : this.max;
  }

  /** An epoch ran on `threads` in `ms` milliseconds (its training alone); decides the count of the next. */
  ran(threads: number, ms: number): void {
    this.total += ms;
    if (threads !== this.threads) {
      // workers still joining, or a switch: a window times one count only
      this.threads = threads;
      this.restart();
    }
    this.epochs++;
    this.ms += ms;
    if (this.ms < WINDOW_MS) return;
    const perEpoch = this.ms / this.epochs, cores = this.coresUsed();
    this.restart();
    if (threads === this.max) this.lastAll = perEpoch;
    else this.lastOne = perEpoch;
    this.decide(threads, perEpoch, cores);
  }

  /** Starts a window: no epochs yet, the clocks as they read now. */
  private restart(): void {
    this.epochs = 0;
    this.ms = 0;
    if (this.clock) {
      this.cpu0 = this.clock.cpu();
      this.wall0 = this.clock.wall();
    }
  }

  /** The cores the process kept busy over the window that just ended (CPU time over wall time), if known. */
  private coresUsed(): number | undefined {
    if (!this.clock) return undefined;
    const wall = this.clock.wall() - this.wall0;
    return wall > 0 ? (this.clock.cpu() - this.cpu0) / wall : undefined;
  }

  private decide(threads: number, perEpoch: number, cores: number | undefined): void {
    switch (this.mode) {
      case "all": {
        if (threads !== this.max) return;
        this.baseline = Math.min(this.baseline, perEpoch);
        if (this.hold > 0) {
          this.hold--;
          return;
        }
        const starved = cores !== undefined && cores < STARVED * this.max;
        const slower = this.total >= SETTLE_MS && perEpoch > SLOWER * this.baseline;
        if (starved || slower) this.mode = "probe-one";
        return;
      }
      case "probe-one":
        if (threads !== 1) return;
        if (this.lastOne < CLEARLY * this.lastAll) {
          this.mode = "one";
          this.hold = this.oneHold;
          this.probeHold = RETRY;
        } else {
          // all threads were faster after all: do not try one again too soon
          this.mode = "all";
          this.hold = this.probeHold;
          this.probeHold = Math.min(MAX_HOLD, 2 * this.probeHold);
        }
        return;
      case "one":
        if (--this.hold <= 0) this.mode = "probe-all";
        return;
      case "probe-all":
        if (threads !== this.max) return;
        if (this.lastAll < this.lastOne) {
          // the machine is free again: this is the new baseline
          this.mode = "all";
          this.baseline = this.lastAll;
          this.oneHold = RETRY;
          this.hold = 0;
        } else {
          this.mode = "one";
          this.oneHold = Math.min(MAX_HOLD, 2 * this.oneHold);
          this.hold = this.oneHold;
        }
    }
  }
}
