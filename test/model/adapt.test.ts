// The thread count of a fit that chose its own (adapt.ts): the tuner's decisions on timings given to it, and
// a real fit whose count goes down and up between epochs ending in the same bytes as on one thread.

import { afterEach, describe, expect, it, vi } from "vitest";
import { loadDigits, MLP } from "../../src/index.js";
import { CLEARLY, MAX_HOLD, processClock, RETRY, SETTLE_MS, STARVED, ThreadTuner, WINDOW_MS, type TunerClock } from "../../src/model/adapt.js";
import { createHash } from "node:crypto";

/** A clock the test moves: each window of `ms` on which the process kept `cores` cores busy. */
class FakeClock implements TunerClock {
  private c = 0;
  private w = 0;
  cpu = () => this.c;
  wall = () => this.w;
  pass(ms: number, cores: number): void {
    this.w += ms;
    this.c += ms * cores;
  }
}

/**
 * Feeds the tuner windows of one epoch each (WINDOW_MS or more long), running each on the threads it wants;
 * with a clock, each window also keeps cores(threads, i) cores busy.
 */
function feed(t: ThreadTuner, ms: (threads: number, i: number) => number, windows: number, clock?: { fake: FakeClock; cores: (threads: number, i: number) => number }): number[] {
  const seen: number[] = [];
  for (let i = 0; i < windows; i++) {
    const threads = t.want, took = Math.max(WINDOW_MS, ms(threads, i));
    seen.push(threads);
    clock?.fake.pass(took, clock.cores(threads, i));
    t.ran(threads, took);
  }
  return seen;
}

/** feed() with the clock the tuner reads. */
const feedClocked = (t: ThreadTuner, fake: FakeClock, ms: (threads: number, i: number) => number, cores: (threads: number, i: number) => number, windows: number) =>
  feed(t, ms, windows, { fake, cores });

/** The windows at which the count changed, as [window, threads]. */
const switches = (seen: number[]) => seen.flatMap((n, i) => (i > 0 && n !== seen[i - 1] ? [[i, n]] : []));

describe("ThreadTuner", () => {
  it("on a free machine stays on all threads", () => {
    const t = new ThreadTuner(2);
    expect(feed(t, () => 60 + Math.random() * 10, 100).every((n) => n === 2)).toBe(true);
  });

  it("tries one thread when all threads slow down past the baseline, stays there while it is faster, and goes back once all are faster again", () => {
    const t = new ThreadTuner(2);
    const settle = Math.ceil(SETTLE_MS / 60) + 1;
    // free: 60 ms an epoch on 2 threads; then busy: 2 threads take 150 ms, one 100 ms; then free again
    const busyFrom = settle, freeFrom = settle + 3 * RETRY;
    const seen = feed(t, (threads, i) => (i < busyFrom || i >= freeFrom ? (threads === 2 ? 60 : 100) : threads === 2 ? 150 : 100), freeFrom + 2 * RETRY);
    expect(seen.slice(0, busyFrom + 1).every((n) => n === 2)).toBe(true);
    // the slow window made it try one thread, which it kept
    expect(seen[busyFrom + 1]).toBe(1);
    expect(seen.slice(busyFrom + 1, busyFrom + 1 + RETRY).every((n) => n === 1)).toBe(true);
    // every RETRY windows it tried two again, and went back to one while two were slower
    expect(seen.slice(busyFrom, freeFrom).filter((n) => n === 2).length).toBeGreaterThanOrEqual(2);
    // once free, the next try of two threads stays there
    expect(seen.slice(-RETRY).every((n) => n === 2)).toBe(true);
  });

  it("changes nothing in a fit's first SETTLE_MS of training, however slow it gets", () => {
    const t = new ThreadTuner(3);
    const seen = feed(t, (_, i) => (i === 0 ? 60 : 300), Math.floor(SETTLE_MS / 300));
    expect(seen.every((n) => n === 3)).toBe(true);
  });

  it("times short epochs over windows of WINDOW_MS: one slow epoch alone decides nothing", () => {
    const t = new ThreadTuner(2);
    for (let i = 0; i < 4000; i++) t.ran(2, 0.5); // 2 s of 0.5 ms epochs: the baseline
    t.ran(2, 5); // one slow epoch inside a window of fast ones
    for (let i = 0; i < 100; i++) t.ran(2, 0.5);
    expect(t.want).toBe(2);
  });
});

describe("ThreadTuner with the process's CPU time", () => {
  it("on a free machine (both cores busy with the fit) never tries one thread", () => {
    const clock = new FakeClock(), t = new ThreadTuner(2, clock);
    const seen = feedClocked(t, clock, () => 60 + Math.random() * 10, () => 1.7 + Math.random() * 0.3, 200);
    expect(seen.every((n) => n === 2)).toBe(true);
  });

  it("tries one thread after the first window in which the fit got one core's worth on two threads, long before SETTLE_MS, and stays while one is faster", () => {
    const clock = new FakeClock(), t = new ThreadTuner(2, clock);
    // another program holds a core: two threads take 150 ms an epoch and keep one core busy; one takes 100
    const seen = feedClocked(t, clock, (n) => (n === 2 ? 150 : 100), () => 1.0, RETRY);
    expect(150 < SETTLE_MS && 1.0 < STARVED * 2).toBe(true);
    expect(seen[0]).toBe(2);
    expect(seen.slice(1).every((n) => n === 1)).toBe(true);
  });

  it("goes back to all threads when one was faster by less than CLEARLY (the default, and another try costs)", () => {
    const clock = new FakeClock(), t = new ThreadTuner(2, clock);
    const near = (CLEARLY + 1) / 2;
    const seen = feedClocked(t, clock, (n) => (n === 2 ? 100 : 100 * near), () => 1.0, 3);
    expect(seen).toEqual([2, 1, 2]);
  });

  it("does not act on a window just above STARVED of the cores", () => {
    const clock = new FakeClock(), t = new ThreadTuner(2, clock);
    const seen = feedClocked(t, clock, (n) => (n === 2 ? 150 : 100), () => STARVED * 2 + 0.05, 3 * RETRY);
    expect(seen.every((n) => n === 2)).toBe(true);
  });

  it("after a try of one thread that loses, holds the next try back for RETRY windows, then twice as long, up to MAX_HOLD", () => {
    const clock = new FakeClock(), t = new ThreadTuner(2, clock);
    // the process looks starved (few cores busy) but two threads are still faster: every try loses
    const seen = feedClocked(t, clock, (n) => (n === 2 ? 60 : 100), () => 1.0, 400);
    const tries = seen.flatMap((n, i) => (n === 1 ? [i] : []));
    const gaps = tries.slice(1).map((w, i) => w - tries[i] - 1);
    expect(tries[0]).toBe(1);
    // the windows on two threads between tries: the hold, and the window that decided to try
    expect(gaps.slice(0, 5)).toEqual([RETRY + 1, 2 * RETRY + 1, 4 * RETRY + 1, MAX_HOLD + 1, MAX_HOLD + 1].map((g) => Math.min(g, MAX_HOLD + 1)));
  });

  it("on one thread tries all threads again after RETRY windows, then after twice as many while they lose, and stays on them once they win", () => {
    const clock = new FakeClock(), t = new ThreadTuner(2, clock);
    const freeFrom = 200;
    const seen = feedClocked(t, clock, (n, i) => (n === 2 ? (i < freeFrom ? 150 : 60) : 100), (n, i) => (n === 2 && i < freeFrom ? 1.0 : n), 300);
    const tries = seen.flatMap((n, i) => (i > 1 && i < freeFrom && n === 2 ? [i] : []));
    expect(tries.slice(1).map((w, i) => w - tries[i] - 1).slice(0, 3)).toEqual([2 * RETRY, 4 * RETRY, 8 * RETRY].map((h) => Math.min(h, MAX_HOLD)));
    // free again: the next try of two threads wins and the fit stays there
    const last = switches(seen).at(-1)!;
    expect(last[1]).toBe(2);
    expect(seen.slice(last[0]).every((n) => n === 2)).toBe(true);
  });

  it("reads this process's CPU time in Node, in milliseconds: a busy loop advances it about as fast as the wall clock", () => {
    const clock = processClock()!;
    const c0 = clock.cpu(), w0 = clock.wall();
    let x = 0;
    // until 20 ms of CPU time (however loaded the machine), or 10 s
    while (clock.cpu() - c0 < 20 && clock.wall() - w0 < 10_000) x += Math.sqrt(x + 1);
    const cpu = clock.cpu() - c0, wall = clock.wall() - w0;
    expect(x).toBeGreaterThan(0);
    expect(cpu).toBeGreaterThanOrEqual(20);
    // milliseconds on both clocks: one busy thread (and the runtime's own) cannot keep many cores busy
    expect(cpu / wall).toBeLessThan(4);
    expect(cpu / wall).toBeGreaterThan(0.01);
  });
});

describe("a fit whose tuner switches threads between epochs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("gives its tuner this process's clock in Node (a fit that chose its own count)", async () => {
    const d = await loadDigits();
    let clock: TunerClock | undefined;
    vi.spyOn(ThreadTuner.prototype, "ran").mockImplementation(function (this: ThreadTuner) {
      clock = this.clock;
    });
    const m = await MLP.create({ layers: [64, 64, 10], seed: 11, threads: 2, kernels: "simd" });
    m.fit(d.X, d.y, { epochs: 2, batch: 128 });
    m.dispose();
    expect(clock).toBeDefined();
    expect(clock!.cpu()).toBeGreaterThan(0);
  });

  it("gives the bytes of a one-thread fit, counts the epochs on one thread, and reports the most threads it ran on", async () => {
    const d = await loadDigits();
    const opts = { epochs: 12, batch: 128, optimizer: "adam" as const, lr: 0.01 };
    const one = await MLP.create({ layers: [64, 64, 10], seed: 11, threads: 1, kernels: "simd" });
    one.fit(d.X, d.y, { ...opts, threads: 1 });
    // one thread every third epoch, all threads otherwise: down and up again, several times
    let epoch = 0;
    vi.spyOn(ThreadTuner.prototype, "want", "get").mockImplementation(function (this: ThreadTuner) {
      return epoch++ % 3 === 2 ? 1 : this.max;
    });
    const two = await MLP.create({ layers: [64, 64, 10], seed: 11, threads: 2, kernels: "simd" });
    expect(two.threadsFor(128)).toBe(2);
    const s = two.fit(d.X, d.y, opts);
    const sha = (m: MLP) => createHash("sha256").update(m.toBytes()).digest("hex");
    expect(sha(two)).toBe(sha(one));
    expect(s.threads).toBe(2);
    expect(s.busy_epochs).toBe(4);
    one.dispose();
    two.dispose();
  });
});
