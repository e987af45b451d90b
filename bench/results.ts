// The workers' measurements gathered by id and implementation (the median over --repeat runs), and the
// figures derived from them that both the text report and the JSON print, so the two always agree.

import type { Impl } from "./plan.js";
import { median } from "./sample.js";
import type { Kind, Measurement } from "./worker.js";

export interface Agg extends Measurement {
  /** The figure of each run; `ms` is their median. */
  runs: number[];
}

export class Results {
  private readonly map = new Map<string, Agg>();

  constructor(all: readonly Measurement[]) {
    const groups = new Map<string, Measurement[]>();
    for (const m of all) {
      const key = Results.key(m.id, m.impl);
      (groups.get(key) ?? groups.set(key, []).get(key)!).push(m);
    }
    for (const [key, ms] of groups) {
      const runs = ms.map((m) => m.ms);
      this.map.set(key, { ...ms[0], runs, ms: median(runs) });
    }
  }

  private static key(id: string, impl: string): string {
    return `${id}|${impl}`;
  }

  get(id: string, impl: Impl): Agg | undefined {
    return this.map.get(Results.key(id, impl));
  }

  ms(id: string, impl: Impl): number | undefined {
    return this.get(id, impl)?.ms;
  }

  all(): Agg[] {
    return [...this.map.values()];
  }

  of(kind: Kind, impl?: Impl): Agg[] {
    return [...this.map.values()].filter((a) => a.kind === kind && (impl === undefined || a.impl === impl));
  }

  /** The build's register-only peak, GFLOP/s. */
  peak(impl: Impl): number | undefined {
    const p = this.get("peak", impl);
    return p?.flops ? gflops(p.flops, p.ms) : undefined;
  }

  /** A rate as a share of the same build's peak (undefined for builds without one). */
  peakShare(impl: Impl, rate: number | undefined): number | undefined {
    return ratio(rate, this.peak(impl));
  }
}

export const gflops = (flops: number | undefined, ms: number | undefined): number | undefined =>
  flops && ms ? flops / (ms * 1e6) : undefined;

export const gbps = (bytes: number | undefined, ms: number | undefined): number | undefined =>
  bytes && ms ? bytes / (ms * 1e6) : undefined;

export const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
