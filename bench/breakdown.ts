// "Where the time goes": every kernel call of an epoch timed where the training step makes it. The network
// is built with its kernels wrapped (Network's `wrap` option) by a timer that, while an epoch is recorded,
// reads the clock around each call and files the time under the call's position in the epoch; the label
// comes from the kernel's name and its shape arguments. So the breakdown always follows the real step
// (slices, fused epilogues, whatever it becomes) with nothing mirrored by hand. A call lasts microseconds,
// too short for CPU time: calls are timed by wall clock, medians per position over many epochs (a median
// skips the calls another process interrupted), less the cost of reading the clock. The instrumented epoch
// as a whole is long enough to be interrupted often on a shared machine, so it is timed in CPU time.

import { GemmFlags, type KernelExports } from "../src/engine/kernels.js";
import { cpuNow, median, wallNow } from "./sample.js";

type Args = readonly number[];

const dims = (m: number, n: number) => `${m}x${n}`;

/** A matrix product's form from its strides: Aᵀ when A's rows are adjacent floats, Bᵀ when B's columns are not. */
export function product(M: number, K: number, N: number, aT: boolean, bT: boolean): string {
  const a = aT ? `(${dims(K, M)})ᵀ` : dims(M, K), b = bT ? `(${dims(N, K)})ᵀ` : dims(K, N);
  return `${a}·${b}`;
}

/** The epilogue named in a label (starting from C's partial sums changes nothing of the work: not named). */
function epilogue(flags: number): string {
  if (flags & GemmFlags.RELU) return flags & GemmFlags.BIAS ? " +bias relu" : " relu";
  if (flags & GemmFlags.BIAS) return " +bias";
  return flags & GemmFlags.MASK ? " mask" : "";
}

/** Label and matmul flops of a call, per kernel: gemm's operands are (flags, a, ars, aks, b, brs, bcs, c, ldc, M, K, N, ...). */
const CALLS: Record<string, (a: Args) => { label: string; flops: number }> = {
  gemm: (a) => ({ label: `gemm ${product(a[9], a[10], a[11], a[2] === 4 && a[3] !== 4, a[6] !== 4)}${epilogue(a[0])}`, flops: 2 * a[9] * a[10] * a[11] }),
  gemm_nn: (a) => ({ label: `gemm_nn ${product(a[3], a[4], a[5], false, false)}`, flops: 2 * a[3] * a[4] * a[5] }),
  gemm_tn: (a) => ({ label: `gemm_tn ${product(a[3], a[4], a[5], true, false)}`, flops: 2 * a[3] * a[4] * a[5] }),
  gemm_nt: (a) => ({ label: `gemm_nt ${product(a[3], a[4], a[5], false, true)}`, flops: 2 * a[3] * a[4] * a[5] }),
  softmax_xent: (a) => ({ label: `softmax_xent ${dims(a[4], a[5])}`, flops: 0 }),
  softmax_rows: (a) => ({ label: `softmax_rows ${dims(a[2], a[3])}`, flops: 0 }),
  xent_rows: (a) => ({ label: `xent_rows ${dims(a[5], a[6])}`, flops: 0 }),
  gather_rows: (a) => ({ label: `gather_rows ${dims(a[3], a[4])}`, flops: 0 }),
  sgd: (a) => ({ label: `sgd ${a[2]}`, flops: 0 }),
  momentum: (a) => ({ label: `momentum ${a[3]}`, flops: 0 }),
  adam: (a) => ({ label: `adam ${a[4]}`, flops: 0 }),
};

export function describeCall(name: string, args: Args): { label: string; flops: number } {
  return CALLS[name]?.(args) ?? { label: name, flops: 0 };
}

/** Wraps kernels so that the calls of a recorded epoch are timed by position. */
export class CallTimer {
  private pos = 0;
  private recording = false;
  readonly names: string[] = [];
  readonly labels: string[] = [];
  readonly flops: number[] = [];
  readonly times: number[][] = [];

  wrap(k: KernelExports): KernelExports {
    const out: Record<string, unknown> = { ...k };
    for (const [name, f] of Object.entries(k)) {
      if (typeof f !== "function") continue;
      const fn = f as (...a: number[]) => number;
      out[name] = (...args: number[]) => {
        if (!this.recording) return fn(...args);
        const t0 = wallNow();
        const r = fn(...args);
        this.file(name, args, wallNow() - t0);
        return r;
      };
    }
    return out as unknown as KernelExports;
  }

  private file(name: string, args: number[], ms: number): void {
    const i = this.pos++;
    if (i === this.times.length) {
      const d = describeCall(name, args);
      this.names.push(name);
      this.labels.push(d.label);
      this.flops.push(d.flops);
      this.times.push([]);
    } else if (this.names[i] !== name) {
      throw new Error(`call ${i + 1} of an epoch was ${this.names[i]}, now ${name}: the step is not the same every epoch`);
    }
    this.times[i].push(ms);
  }

  /** Times one epoch's calls. */
  record(epoch: () => void): void {
    this.pos = 0;
    this.recording = true;
    try {
      epoch();
    } finally {
      this.recording = false;
    }
  }
}

export interface BreakdownRow {
  label: string;
  /** Calls with this label per epoch. */
  calls: number;
  /** Their time per epoch (sum of per-position medians), ms. */
  ms: number;
  flops: number;
}

export interface Breakdown {
  rows: BreakdownRow[];
  /** Median CPU time of a recorded epoch, ms. */
  epoch: number;
  epochs: number;
}

/** Records epochs for `time` ms (at least ten) after a warm-up, then sums per-position medians by label. */
export function breakdown(timer: CallTimer, epoch: () => void, time: number, warmup: number): Breakdown {
  let t0 = wallNow();
  while (wallNow() - t0 < warmup) epoch();
  const pairs: number[] = [];
  for (let i = 0; i < 2001; i++) {
    const a = wallNow();
    pairs.push(wallNow() - a);
  }
  const clock = median(pairs);
  const epochs: number[] = [];
  t0 = wallNow();
  while (wallNow() - t0 < time || epochs.length < 10) {
    const c0 = cpuNow();
    timer.record(epoch);
    epochs.push(cpuNow() - c0);
  }
  const byLabel = new Map<string, BreakdownRow>();
  timer.times.forEach((ts, i) => {
    const label = timer.labels[i];
    const row = byLabel.get(label) ?? byLabel.set(label, { label, calls: 0, ms: 0, flops: 0 }).get(label)!;
    row.calls++;
    row.ms += Math.max(0, median(ts) - clock);
    row.flops += timer.flops[i];
  });
  return { rows: [...byLabel.values()], epoch: median(epochs), epochs: epochs.length };
}
