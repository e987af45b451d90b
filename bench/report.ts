// The readable report: one function per section, each returning its lines ("" when it has nothing).

import { formatBytes } from "../src/engine/arena.js";
import { SLICE_ROWS } from "../src/engine/network.js";
import type { CheckResult } from "./check.js";
import { CASES, type KernelCase } from "./cases.js";
import { loadavg, streamBytes, type Machine } from "./machine.js";
import { SIMD_BUILDS, SLICES, THREADED, type Impl, type Selection, type Settings } from "./plan.js";
import { CHAINS } from "./probes.js";
import { Results, gbps, gflops, ratio } from "./results.js";
import { num, rate, renderTable, us, type Column } from "./table.js";
import { WORKLOADS, workload, workingSet, type Data, type Workload } from "./workloads.js";
import { stepFlops } from "../src/engine/threads.js";

export interface ReportInput {
  s: Settings;
  sel: Selection;
  res: Results;
  check: CheckResult;
  data: Map<string, Data>;
  errors: string[];
  totalMs: number;
  machine: Machine;
}

type Section = (r: ReportInput) => string;

export const fmtDuration = (ms: number) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`);
const pct = (x: number | undefined) => num(x === undefined ? undefined : 100 * x, 0);
const withPeak = (r: ReportInput) => r.s.impls.filter((i) => r.res.peak(i) !== undefined);

const header: Section = ({ s, machine: m, check }) => {
  const l2 = m.l2_bytes ? ` · L2 ${formatBytes(m.l2_bytes)} per core` : "";
  return [
    `wasm-mlp bench${s.mode === "sweep" ? " --sweep" : ""} · ${m.date.replace("T", " ").replace(/\.\d+Z$/, " UTC")}`,
    `machine: ${m.cpu} · ${m.cores} cores${l2} · ${m.platform} ${m.arch} · Node ${m.node} (V8 ${m.v8}) · load average at start ${m.loadavg.join(" ")}`,
    `method: each implementation in its own process${s.repeat > 1 ? `, ${s.repeat} runs interleaved (median of their figures)` : ", one run"}${s.quick ? " (--quick)" : ""}; ` +
      `a figure is the median over samples (≥ 2 ms each, for ${s.time} ms after ${s.warmup} ms of warm-up) of the process CPU time per call, ` +
      `which leaves out time spent waiting for a core${s.mode === "sweep" ? "" : "; wall time only where CPU time cannot serve (threads, the per-call breakdown, MLP.fit), as marked"}`,
    ...(s.impls.includes("ts") ? [`ts = the plain TypeScript twins (src/reference) run by the same step; × ts = ts time / build time`] : []),
    `rates: GFLOP/s = 2·M·K·N / time (epilogues not counted); GB/s = each input and output f32 once / time; % of peak: of the same build's peak in this run`,
    check.summary,
    ...(s.filterText !== undefined ? [`filter: /${s.filterText}/`] : []),
  ].join("\n");
};

const peakSection: Section = (r) => {
  const have = withPeak(r);
  if (!have.length) return "";
  return [
    `SIMD peak: register-only f32x4 loop, ${CHAINS} independent chains acc = acc·x + y (2 flops per lane; 128-bit vectors)`,
    renderTable(
      [{ header: "build", align: "left" }, { header: "op", align: "left" }, { header: "GFLOP/s" }],
      have.map((i) => [i, i === "relaxed" ? "f32x4.relaxed_madd" : "f32x4.mul + f32x4.add", rate(r.res.peak(i))]),
    ),
    ...(have.includes("simd")
      ? ["  simd: each chain runs through its multiply and its add, a latency a GEMM's accumulators do not carry (only the add is on their chain), so a GEMM can exceed this figure"]
      : []),
  ].join("\n");
};

const FAMILY_TITLES: Record<string, string> = {
  gemm_nn: "gemm_nn: C[M,N] = A[M,K]·B[K,N] (forward; K = fan-in + 1, the bias row)",
  gemm_tn: "gemm_tn: C[M,N] = A[K,M]ᵀ·B[K,N] (weight gradients; K is the batch or its slice)",
  gemm_nt: "gemm_nt: C[M,N] = A[M,K]·B[N,K]ᵀ (deltas through the weights)",
  softmax_xent: "softmax_xent: P = softmax(Z), G = (P - Y) / batch in one pass (GB/s)",
  sgd: "sgd: W -= lr·G (GB/s)",
};

/** One kernel family's table: time, rate, × ts, % of peak per implementation. */
function kernelTable(r: ReportInput, cases: KernelCase[]): string {
  const { res, s } = r, impls = s.impls, matmul = cases[0].flops > 0, builds = impls.filter((i) => i !== "ts");
  const peaks = matmul ? withPeak(r) : [];
  const cols: Column[] = [{ header: "shape", align: "left" }];
  for (const i of impls) cols.push({ header: i, group: "time µs" });
  for (const i of impls) cols.push({ header: i, group: matmul ? "GFLOP/s" : "GB/s" });
  if (impls.includes("ts")) for (const i of builds) cols.push({ header: i, group: "× ts" });
  for (const i of peaks) cols.push({ header: i, group: "% of peak" });
  cols.push({ header: "use", align: "left" });
  const rows = cases.map((c) => {
    const t = (i: Impl) => res.ms(c.id, i), speed = (i: Impl) => (matmul ? gflops(c.flops, t(i)) : gbps(c.bytes, t(i)));
    return [
      c.shape, ...impls.map((i) => us(t(i))), ...impls.map((i) => rate(speed(i))),
      ...(impls.includes("ts") ? builds.map((i) => num(ratio(t("ts"), t(i)), 1)) : []),
      ...peaks.map((i) => pct(res.peakShare(i, speed(i)))), c.use,
    ];
  });
  return `${FAMILY_TITLES[cases[0].family] ?? cases[0].family}\n${renderTable(cols, rows)}`;
}

const kernelSections: Section = (r) => {
  const families = [...new Set(r.sel.cases.map((c) => c.family))];
  return families.map((f) => kernelTable(r, r.sel.cases.filter((c) => c.family === f))).join("\n\n");
};

const dataLine = (r: ReportInput, ws: readonly Workload[]) =>
  `  data: ${[...new Set(ws.map((w) => w.data))].map((d) => `${d}: ${r.data.get(d)?.source ?? "?"}`).join("; ")}`;

/** One row per workload and implementation: the epoch on one thread, and the 1000-epoch fits. */
function epochRows(r: ReportInput, ws: readonly Workload[]): string[][] {
  const { res } = r, rows: string[][] = [];
  for (const w of ws) {
    const ts = res.ms(`epoch/${w.id}`, "ts"), flops = stepFlops(w.layers, r.data.get(w.data)?.n ?? 0);
    let first = true;
    for (const i of r.s.impls) {
      const e = res.ms(`epoch/${w.id}`, i), f1 = res.get(`fit/${w.id}/1`, i), fa = res.get(`fit/${w.id}/auto`, i);
      if (e === undefined && !f1) continue;
      const g = gflops(flops, e);
      rows.push([
        first ? w.name : "", i, num(e, 3), num(ratio(ts, e), 1), rate(g), pct(res.peakShare(i, g)), e === undefined ? "—" : `${num(e, 2)} s`,
        f1 ? `${num(f1.ms / 1000, 3)} s` : "—", fa ? `${num(fa.ms / 1000, 3)} s (${fa.threads})` : "—",
      ]);
      first = false;
    }
  }
  return rows;
}

const epochSection: Section = (r) => {
  const ws = WORKLOADS.filter((w) => r.sel.epochs.includes(w.id) || r.sel.fit.includes(w.id));
  const rows = epochRows(r, ws);
  if (!rows.length) return "";
  const cols: Column[] = [
    { header: "workload", align: "left" }, { header: "impl", align: "left" }, { header: "ms/epoch" }, { header: "× ts" }, { header: "GFLOP/s" },
    { header: "% of peak" }, { header: "1000 epochs, projected" }, { header: "1 thread", group: "MLP.fit, 1000 epochs" }, { header: "default (threads)", group: "MLP.fit, 1000 epochs" },
  ];
  return [
    `Whole epochs on one thread: the training step (Network.epoch), SGD lr 0.1 from the seed-42 weights, without reports (process CPU time per epoch)`,
    renderTable(cols, rows),
    dataLine(r, ws),
    `  GFLOP/s: the epoch's matrix products (forward and dW per layer, deltas below the first) / ms per epoch; projected = 1000 × ms/epoch; ts and scalar: the small workloads only`,
    `  MLP.fit: its train_ms (wall time of the epoch loop), median of 3 fits, on one thread and as created with threads "auto" (the threads the last epoch ran on; workers that start late join at an epoch boundary)`,
  ].join("\n");
};

const threadSection: Section = (r) => {
  const ws = WORKLOADS.filter((w) => r.sel.threads.includes(w.id) && r.res.ms(`threads/${w.id}/1`, THREADED) !== undefined);
  if (!ws.length) return "";
  const counts = r.s.threads, cols: Column[] = [{ header: "workload", align: "left" }];
  for (const t of counts) cols.push({ header: "ms/epoch", group: `${t} thread${t > 1 ? "s" : ""}` }, { header: "× 1", group: `${t} thread${t > 1 ? "s" : ""}` });
  const rows = ws.map((w) => {
    const one = r.res.ms(`threads/${w.id}/1`, THREADED);
    return [w.name, ...counts.flatMap((t) => { const m = r.res.ms(`threads/${w.id}/${t}`, THREADED); return [num(m, 3), num(ratio(one, m), 2)]; })];
  });
  return [
    `Threads: the ${THREADED} build's epoch on each thread count (wall time per epoch; thread counts timed in alternation, 4 turns each; each count's network attached to a worker pool once, as fit does)`,
    renderTable(cols, rows),
    `  × 1 = the 1-thread time / this time; on a shared machine other processes take cores too: see the load average`,
  ].join("\n");
};

/** The working set of the original MLP's full-batch epoch, and of one slice, in words. */
function workingSetLines(rows: number): string[] {
  const ws = workingSet(workload("mlp"), rows);
  const parts = ws.parts.map((p) => `${p.name} ${formatBytes(p.bytes)}`).join(", ");
  const slice = ws.bytesPerRow * SLICE_ROWS + ws.weightBytes;
  return [
    `  working set of one full-batch epoch, each byte counted once: ${formatBytes(ws.bytes)} = ${parts}`,
    `  (Xt: inputs with their column of ones; A, G: outputs and deltas, hidden ones with a ones column; Wb, dWb: weights and gradients with the bias row)`,
    `  of one ${SLICE_ROWS}-row slice: ${formatBytes(slice)} (${formatBytes(ws.bytesPerRow)} a row, plus ${formatBytes(ws.weightBytes)} of weights and gradients)`,
  ];
}

const l2Section: Section = (r) => {
  const builds = SIMD_BUILDS.filter((i) => r.res.get("l2/read", i));
  if (!builds.length) return "";
  const rows = r.data.get("digits")?.n ?? 0, bytes = workingSet(workload("mlp"), rows).bytes;
  const cols: Column[] = [
    { header: "build", align: "left" }, { header: "epoch ms" },
    { header: "GB/s", group: "L2 read" }, { header: "set ms", group: "L2 read" }, { header: "epoch ÷", group: "L2 read" },
    { header: "GB/s", group: "L2 read+write" }, { header: "set ms", group: "L2 read+write" }, { header: "epoch ÷", group: "L2 read+write" },
  ];
  const body = builds.map((i) => {
    const e = r.res.ms("l2/epoch", i), line = [i, num(e, 3)];
    for (const id of ["l2/read", "l2/update"]) {
      const a = r.res.get(id, i)!, bw = gbps(a.bytes, a.ms), at = bw ? bytes / (bw * 1e6) : undefined;
      line.push(rate(bw), num(at, 3), num(ratio(e, at), 1));
    }
    return line;
  });
  return [
    `The original MLP's epoch against L2: one streaming pass per call over ${formatBytes(streamBytes())} (half of a core's L2; process CPU time), and the time the epoch's working set takes at that rate`,
    renderTable(cols, body),
    ...workingSetLines(rows),
    `  set ms = working set / L2 rate: the epoch if it did nothing but stream its data through L2 once; epoch ÷ = how many such passes the epoch takes`,
  ].join("\n");
};

const sliceSection: Section = (r) => {
  const builds = SIMD_BUILDS.filter((i) => r.s.impls.includes(i) && r.res.get(`slices/${SLICE_ROWS}`, i));
  if (!builds.length) return "";
  const whole = Math.max(...SLICES), cols: Column[] = [{ header: "rows per slice", align: "left" }];
  for (const i of builds) cols.push({ header: "ms/epoch", group: i }, { header: "× one slice", group: i });
  const rows = SLICES.map((n) => {
    const tag = n === SLICE_ROWS ? " (the step's default)" : n === whole ? " (one slice: the step before slicing)" : "";
    return [`${n}${tag}`, ...builds.flatMap((i) => [num(r.res.ms(`slices/${n}`, i), 3), num(ratio(r.res.ms(`slices/${whole}`, i), r.res.ms(`slices/${n}`, i)), 2)])];
  });
  return [
    `Slices: the original MLP's full-batch epoch with the batch cut into slices of n rows (the same bits for any n; process CPU time, sizes timed in alternation)`,
    renderTable(cols, rows),
    `  × one slice = the ${whole}-row time / this time: above 1, slicing pays`,
  ].join("\n");
};

/** The breakdown's rows for one workload: labels in the order of the first implementation that has them. */
function breakdownRows(r: ReportInput, w: Workload, have: Impl[]): string[][] {
  const { res } = r, peaks = have.filter((i) => res.peak(i) !== undefined);
  const rowsOf = (i: Impl) => res.of("breakdown", i).filter((a) => a.workload === w.id && a.label !== undefined).sort((a, b) => a.index! - b.index!);
  const labels = [...new Set(have.flatMap((i) => rowsOf(i).map((a) => a.label!)))];
  const find = (i: Impl, label: string) => rowsOf(i).find((a) => a.label === label);
  const whole = (i: Impl) => res.ms(`breakdown/${w.id}/epoch`, i);
  const line = (name: string, calls: string, t: (i: Impl) => number | undefined, flops?: number) => [
    name, calls, ...have.flatMap((i) => { const x = ratio(t(i), whole(i)); return [us(t(i)), num(x === undefined ? undefined : 100 * x, 1)]; }),
    ...peaks.flatMap((i) => { const g = gflops(flops, t(i)); return [rate(g), pct(res.peakShare(i, g))]; }),
  ];
  const sum = (i: Impl, pick: (label: string) => boolean) => rowsOf(i).filter((a) => pick(a.label!)).reduce((x, a) => x + a.ms, 0);
  const rows = labels.map((label) => {
    const a = have.map((i) => find(i, label)).find(Boolean)!;
    return line(label, String(a.calls), (i) => find(i, label)?.ms, a.flops || undefined);
  });
  const isMatmul = (label: string) => label.startsWith("gemm");
  const mmFlops = rowsOf(have[0]).filter((a) => isMatmul(a.label!)).reduce((x, a) => x + (a.flops ?? 0), 0);
  rows.push(
    [""],
    line("of which matrix products (gemm)", "", (i) => sum(i, isMatmul), mmFlops),
    line("Σ calls", "", (i) => sum(i, () => true)),
    line("host JS between calls, and the timer", "", (i) => (whole(i) ?? NaN) - sum(i, () => true)),
    line("epoch, instrumented (CPU)", "", whole),
    line("epoch, uninstrumented (CPU, table above)", "", (i) => res.ms(`epoch/${w.id}`, i)),
  );
  return rows;
}

const breakdownSections: Section = (r) => {
  const out: string[] = [];
  for (const w of WORKLOADS.filter((x) => r.sel.breakdown.includes(x.id))) {
    const have = r.s.impls.filter((i) => r.res.get(`breakdown/${w.id}/epoch`, i));
    if (!have.length) continue;
    const cols: Column[] = [{ header: "call", align: "left" }, { header: "calls" }];
    for (const i of have) cols.push({ header: "µs", group: i }, { header: "%", group: i });
    for (const i of have.filter((x) => r.res.peak(x) !== undefined)) cols.push({ header: "GFLOP/s", group: `${i} rate` }, { header: "% peak", group: `${i} rate` });
    const epochs = r.res.get(`breakdown/${w.id}/epoch`, have[0])!.samples;
    out.push([
      `Where the time goes: one ${w.name} epoch, call by call as the step makes them (each call timed in place by a wrapper around the kernels the Network runs;` +
        ` wall time, median per call over ${epochs} epochs; calls with the same label summed; % of the instrumented epoch's CPU time)`,
      renderTable(cols, breakdownRows(r, w, have)),
    ].join("\n"));
  }
  return out.join("\n\n");
};

/** Targets from the issues, with the shapes the step runs now (reported, not asserted). */
const TARGETS = {
  kernels: [["gemm_nn/1797x65x32", 28], ["gemm_tn/65x1797x32", 20]] as const,
  fits: [["mlp", 0.6], ["slp", 0.25]] as const,
};

const targetSection: Section = (r) => {
  const rows: string[][] = [], verdict = (ok: boolean) => (ok ? "met" : "missed");
  for (const [id, min] of TARGETS.kernels) {
    const c = [...CASES, ...r.sel.cases].find((x) => x.id === id), g = c && gflops(c.flops, r.res.ms(id, "simd"));
    if (c && g !== undefined) rows.push([`${c.kernel} ${c.shape}, simd build ≥ ${min} GFLOP/s`, `${rate(g)} GFLOP/s`, verdict(g >= min)]);
  }
  for (const [id, limit] of TARGETS.fits) {
    for (const i of SIMD_BUILDS) {
      for (const t of ["1", "auto"]) {
        const f = r.res.get(`fit/${id}/${t}`, i);
        if (f) rows.push([`${workload(id).name}, 1000 epochs ≤ ${limit} s (${i}, MLP.fit, ${t === "1" ? "1 thread" : `default: ${f.threads}`})`, `${num(f.ms / 1000, 3)} s`, verdict(f.ms / 1000 <= limit)]);
      }
    }
  }
  if (!rows.length) return "";
  return `Targets from the issues (reported, not asserted)\n${renderTable([{ header: "target", align: "left" }, { header: "measured" }, { header: "", align: "left" }], rows)}`;
};

/** --sweep: one row per shape, grouped (square sizes per form, then each network and batch). */
const sweepSection: Section = (r) => {
  const builds = r.s.impls, out: string[] = [];
  const cols: Column[] = [{ header: "shape", align: "left" }, { header: "use", align: "left" }];
  for (const i of builds) cols.push({ header: "µs", group: i }, { header: "GFLOP/s", group: i }, { header: "% of peak", group: i });
  for (const group of [...new Set(r.sel.cases.map((c) => c.family))]) {
    const rows = r.sel.cases.filter((c) => c.family === group).map((c) => [
      c.shape, c.use, ...builds.flatMap((i) => { const t = r.res.ms(c.id, i), g = gflops(c.flops, t); return [us(t), rate(g), pct(r.res.peakShare(i, g))]; }),
    ]);
    out.push(`${group}\n${renderTable(cols, rows)}`);
  }
  return [`Matrix products by shape: gemm_nn / gemm_tn / gemm_nt with packing scratch (process CPU time per call)`, ...out].join("\n\n");
};

const footer: Section = (r) => {
  const lines = r.errors.length ? ["Errors", ...r.errors.map((e) => `  ${e}`), ""] : [];
  lines.push(`total ${fmtDuration(r.totalMs)} · load average at end ${loadavg().join(" ")}`);
  return lines.join("\n");
};

export function report(r: ReportInput): string {
  const sections = r.s.mode === "sweep"
    ? [header, peakSection, sweepSection, footer]
    : [header, peakSection, kernelSections, epochSection, threadSection, l2Section, sliceSection, breakdownSections, targetSection, footer];
  return sections.map((f) => f(r)).filter(Boolean).join("\n\n") + "\n";
}
