// --json: one document with the machine, the settings, the checks, and every measurement with the figures
// the text report derives from it (see the schema in run.ts's header).

import { SLICE_ROWS } from "../src/engine/network.js";
import { loadavg } from "./machine.js";
import { SLICES, type Impl } from "./plan.js";
import type { ReportInput } from "./report.js";
import { gbps, gflops, ratio, type Agg, type Results } from "./results.js";
import { workload, workingSet } from "./workloads.js";
import { stepFlops } from "../src/engine/threads.js";

const r6 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? undefined : Math.round(x * 1e6) / 1e6);

/** The figures a measurement of each kind leads to (rates, shares of the peak, speed-ups). */
function derived(a: Agg, r: ReportInput): Record<string, number | undefined> {
  const res: Results = r.res, share = (g: number | undefined) => r6(res.peakShare(a.impl, g)), vs = (id: string, impl: Impl = a.impl) => r6(ratio(res.ms(id, impl), a.ms));
  switch (a.kind) {
    case "peak":
      return { gflops: r6(gflops(a.flops, a.ms)) };
    case "kernel": {
      const c = r.sel.cases.find((x) => x.id === a.id)!;
      const rates = c.flops ? { gflops: r6(gflops(c.flops, a.ms)), peak_share: share(gflops(c.flops, a.ms)) } : { gbps: r6(gbps(c.bytes, a.ms)) };
      return { ...rates, speedup_vs_ts: vs(a.id, "ts") };
    }
    case "epoch": {
      const g = gflops(stepFlops(workload(a.workload!).layers, r.data.get(workload(a.workload!).data)?.n ?? 0), a.ms);
      return { gflops: r6(g), peak_share: share(g), speedup_vs_ts: vs(a.id, "ts"), projected_1000_s: r6(a.ms) };
    }
    case "threads":
      return { speedup_vs_1: vs(`threads/${a.workload}/1`) };
    case "slices":
      return { speedup_vs_one_slice: vs(`slices/${Math.max(...SLICES)}`) };
    case "l2":
      return { gbps: r6(gbps(a.bytes, a.ms)) };
    case "breakdown":
      return { share: r6(ratio(a.ms, res.ms(`breakdown/${a.workload}/epoch`, a.impl))), gflops: r6(gflops(a.flops, a.ms)), peak_share: share(gflops(a.flops, a.ms)) };
    case "fit":
      return { seconds: r6(a.ms / 1000) };
  }
}

function measurement(a: Agg, r: ReportInput): Record<string, unknown> {
  const { runs, ms, cpu_ms, wall_ms, ...rest } = a;
  return { ...rest, ms: r6(ms), runs_ms: runs.map(r6), cpu_ms: r6(cpu_ms), wall_ms: r6(wall_ms), ...derived(a, r) };
}

export function toJson(r: ReportInput): unknown {
  const { s, machine: m } = r, rows = r.data.get("digits")?.n;
  return {
    mode: s.mode,
    machine: { ...m, loadavg_end: loadavg() },
    settings: { quick: s.quick, time_ms: s.time, warmup_ms: s.warmup, repeat: s.repeat, filter: s.filterText ?? null, impls: s.impls, threads: s.threads },
    checks: { count: r.check.checks, failures: r.check.failures, summary: r.check.summary },
    errors: r.errors,
    data: Object.fromEntries([...r.data].map(([k, d]) => [k, { rows: d.n, source: d.source }])),
    ...(r.sel.l2 && rows ? { working_set: { ...workingSet(workload("mlp"), rows), slice_rows: SLICE_ROWS } } : {}),
    measurements: r.res.all().map((a) => measurement(a, r)),
  };
}
