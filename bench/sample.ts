// How a figure is taken. A call (a kernel, an epoch, a peak loop) is repeated in samples of at least
// SAMPLE_MS each, after a warm-up long enough for V8's optimising tiers; each sample records the process's
// CPU time (user + system, from getrusage: microsecond resolution, hence samples of a couple of
// milliseconds) and the wall time, and the figure is the median over samples divided by the calls per
// sample. CPU time is the figure for single-threaded work: on a shared machine it leaves out the time the
// process waits for a core, which a wall clock counts; it cannot time work spread over threads, so thread
// scaling is timed by wall clock (medians of samples taken in alternation, see worker.ts).

/** Milliseconds of CPU time this process has used, all threads. */
export function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export const wallNow = (): number => performance.now();

/** A sample lasts at least this long, so the clocks' resolution (1 µs) is under 0.1% of it. */
const SAMPLE_MS = 2;

export interface Budget {
  /** Sampling time, ms (wall). */
  time: number;
  /** Warm-up before it, ms (wall). */
  warmup: number;
  /** Samples to take however long they last. */
  minSamples: number;
}

export interface Timing {
  /** Median CPU time and median wall time per call, ms. */
  cpu_ms: number;
  wall_ms: number;
  samples: number;
  /** Calls per sample. */
  reps: number;
}

/**
 * Calls per sample: enough for SAMPLE_MS at the rate of the warm code, judged by the CPU time of a burst of
 * calls after the warm-up (so a burst that waited for a core does not shrink the samples).
 */
function repsFor(fn: () => void, warmup: number): number {
  const t0 = wallNow();
  let calls = 0, dt = 0;
  do {
    fn();
    calls++;
  } while (wallNow() - t0 < warmup || calls < 2);
  const c0 = cpuNow();
  calls = 0;
  do {
    fn();
    calls++;
    dt = cpuNow() - c0;
  } while (dt < SAMPLE_MS / 2);
  return Math.max(1, Math.ceil((SAMPLE_MS * calls) / dt));
}

/** Per-call CPU and wall times of samples of `reps` calls, for `ms` of wall time and at least `min` samples. */
export function samples(fn: () => void, reps: number, ms: number, min: number): { cpu: number[]; wall: number[] } {
  const cpu: number[] = [], wall: number[] = [];
  const t0 = wallNow();
  while (wallNow() - t0 < ms || cpu.length < min) {
    const c0 = cpuNow(), w0 = wallNow();
    for (let r = 0; r < reps; r++) fn();
    wall.push((wallNow() - w0) / reps);
    cpu.push((cpuNow() - c0) / reps);
  }
  return { cpu, wall };
}

/** Times fn as the header says. */
export function time(fn: () => void, b: Budget): Timing {
  const reps = repsFor(fn, b.warmup);
  const { cpu, wall } = samples(fn, reps, b.time, b.minSamples);
  return { cpu_ms: median(cpu), wall_ms: median(wall), samples: cpu.length, reps };
}

export interface Variant {
  readonly key: string;
  readonly fn: () => void;
  /** Runs before each of the variant's turns (switching thread counts, say); not timed. */
  readonly enter?: () => void;
}

/**
 * Times several variants of one piece of work in alternation (a, b, c, a, b, c, ...: `rounds` turns each
 * sharing the budget), so a machine that drifts during the run shifts them all alike; medians over all of
 * a variant's samples.
 */
export function alternate(variants: readonly Variant[], b: Budget, rounds: number): Map<string, Timing> {
  const reps = new Map<string, number>(), cpu = new Map<string, number[]>(), wall = new Map<string, number[]>();
  for (const v of variants) {
    v.enter?.();
    reps.set(v.key, repsFor(v.fn, b.warmup / variants.length));
    cpu.set(v.key, []);
    wall.set(v.key, []);
  }
  const turn = b.time / rounds / variants.length, min = Math.max(1, Math.ceil(b.minSamples / rounds));
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      v.enter?.();
      const s = samples(v.fn, reps.get(v.key)!, turn, min);
      cpu.get(v.key)!.push(...s.cpu);
      wall.get(v.key)!.push(...s.wall);
    }
  }
  const out = new Map<string, Timing>();
  for (const v of variants) {
    const c = cpu.get(v.key)!;
    out.set(v.key, { cpu_ms: median(c), wall_ms: median(wall.get(v.key)!), samples: c.length, reps: reps.get(v.key)! });
  }
  return out;
}

export function median(xs: readonly number[]): number {
  const a = [...xs].sort((x, y) => x - y), m = a.length >> 1;
  return a.length === 0 ? NaN : a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}
