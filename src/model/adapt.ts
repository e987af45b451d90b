// The thread count of a fit that chose its own ("auto"): on a busy machine the other core may be taken, and
// then one thread can beat two (the threads meet at a barrier several times a step, and the slowest sets
// the pace). The bits do not depend on the count, so it may change at any epoch: the tuner measures the
// epochs and switches to one thread when that is faster, and back when the machine is free again.
//
// It measures windows of epochs (at least WINDOW_MS of training each, so that short epochs are timed over
// many), and keeps the fastest window on all the threads as the baseline. Only after SETTLE_MS of training
// does it act (a short fit never changes count): when a window on all threads is SLOWER times the baseline
// it tries one thread for a window, and stays there if that window was faster; on one thread it tries all
// threads again every RETRY windows.

export const WINDOW_MS = 50;
export const SETTLE_MS = 1000;
export const SLOWER = 1.3;
export const RETRY = 8;

type Mode = "all" | "probe-one" | "one" | "probe-all";

export class ThreadTuner {
  private mode: Mode = "all";
  /** The window being measured: its threads, epochs and milliseconds. */
  private threads: number;
  private epochs = 0;
  private ms = 0;
  private total = 0;
  /** The fastest window on all threads (ms an epoch), and the latest on each count. */
  private baseline = Infinity;
  private lastAll = Infinity;
  private lastOne = Infinity;
  private sinceRetry = 0;

  /** `max`: the threads the fit planned for (more than one). */
  constructor(readonly max: number) {
    this.threads = max;
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
      this.epochs = 0;
      this.ms = 0;
    }
    this.epochs++;
    this.ms += ms;
    if (this.ms < WINDOW_MS) return;
    const perEpoch = this.ms / this.epochs;
    this.epochs = 0;
    this.ms = 0;
    if (threads === this.max) this.lastAll = perEpoch;
    else this.lastOne = perEpoch;
    this.decide(threads, perEpoch);
  }

  private decide(threads: number, perEpoch: number): void {
    const settled = this.total >= SETTLE_MS;
    switch (this.mode) {
      case "all":
        if (threads !== this.max) return;
        this.baseline = Math.min(this.baseline, perEpoch);
        if (settled && perEpoch > SLOWER * this.baseline) this.mode = "probe-one";
        return;
      case "probe-one":
        if (threads !== 1) return;
        this.mode = this.lastOne < this.lastAll ? "one" : "all";
        this.sinceRetry = 0;
        return;
      case "one":
        if (++this.sinceRetry >= RETRY) this.mode = "probe-all";
        return;
      case "probe-all":
        if (threads !== this.max) return;
        if (this.lastAll < this.lastOne) {
          // the machine is free again: this is the new baseline
          this.mode = "all";
          this.baseline = this.lastAll;
        } else {
          this.mode = "one";
          this.sinceRetry = 0;
        }
    }
  }
}
