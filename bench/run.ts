// npm run bench: kernel throughput, whole training epochs, the machine's SIMD peak, and where an epoch's
// time goes, for the three wasm builds (scalar, simd, relaxed) and the plain TypeScript references.
//
//   node dist/bench/run.js                      readable tables (about 90 seconds)
//   node dist/bench/run.js --quick              a short run (smoke test: add --filter gemm_nn for a few seconds)
//   node dist/bench/run.js --json               one JSON document on stdout (below)
//   node dist/bench/run.js --filter REGEX       only measurements whose id matches (ids: see --help)
//   node dist/bench/run.js --repeat N --impl simd,relaxed
//
// Method. Each implementation runs in a child process of its own (this file again, with --worker IMPL), so a
// GC or JIT state in one does not skew another. With --repeat N the workers run N times, interleaved (ts,
// scalar, simd, relaxed, ts, ...), and every number is the median of the N per-process medians; the default is
// one run, because one takes about 90 seconds on a 2-core machine (--repeat 3 is the steadier choice when there
// is time).
// Within a worker every memory is allocated before the first measurement (one fixed wasm memory for all
// kernel cases), and each measurement is a tinybench 6 Bench of one synchronous task: time 500 ms after a
// 200 ms warm-up (100 and 50 with --quick) so TurboFan and wasm tier-up are done; the figure is the p50
// latency. Kernels that take under ~25 µs are looped inside a sample and the time divided. Flops: 2·M·K·N per
// matmul; GB/s counts each input and output element once (4 bytes). The peak is a register-only wasm loop
// (bench/peak.ts). The breakdown times each kernel call of an MLP epoch in place, epoch after epoch, and
// takes per-call medians (minus the cost of reading the clock).
//
// --json prints one object:
//   { "machine": { cpu, cores, platform, arch, node, v8, date, loadavg (at the start), loadavg_end },
//     "settings": { quick, time_ms, warmup_ms, repeat, filter, impls, tinybench },
//     "errors": [ "..." ],                       (a worker that failed, e.g. an engine without relaxed SIMD)
//     "measurements": [ ...one object per measurement, each with kind, id, impl ("ts", "scalar", "simd",
//       "relaxed"), p50_us and runs_p50_us (the per-process medians it is the median of), plus by kind:
//       kernel:    kernel, shape, use, speedup_vs_ts, and for matmuls flops, gflops, peak_share (simd and
//                  relaxed: gflops / that build's peak), for the others bytes, elements, gbps, melem_s
//       peak:      flops, gflops
//       epoch:     model, ms_per_epoch, projected_1000_s, speedup_vs_ts
//       fit:       model, measured_1000_s (MLP.fit, 1000 epochs, train_ms)
//       breakdown: model, index (-1: the instrumented epoch's wall time), label, share (of that wall time) ] }

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import os from "node:os";
import { readFileSync } from "node:fs";
import { CASES, type KernelCase } from "./cases.js";
import { MODELS } from "./epochs.js";
import { CHAINS, buildPeak } from "./peak.js";
import { IMPLS, USAGE, parseSettings, select, workerArgs, type Impl, type Selection, type Settings } from "./plan.js";
import { median, runWorker, type Measurement, type WorkerOutput } from "./worker.js";
import { num, rate, renderTable, us, type Column } from "./table.js";

const SELF = fileURLToPath(import.meta.url);

// ---- results -----------------------------------------------------------------------------------------------

interface Agg {
  kind: Measurement["kind"];
  id: string;
  impl: Impl;
  index?: number;
  label?: string;
  flops?: number;
  /** Median of the per-process p50s, ms. */
  p50_ms: number;
  runs: number[];
}

class Results {
  private readonly map = new Map<string, Agg>();
  constructor(all: Measurement[]) {
    const groups = new Map<string, Measurement[]>();
    for (const m of all) {
      const key = Results.key(m.kind, m.id, m.impl, m.index);
      (groups.get(key) ?? groups.set(key, []).get(key)!).push(m);
    }
    for (const [key, ms] of groups) {
      const runs = ms.map((m) => m.p50_ms);
      const { kind, id, impl, index, label, flops } = ms[0];
      this.map.set(key, { kind, id, impl, index, label, flops, runs, p50_ms: median(runs) });
    }
  }
  static key(kind: string, id: string, impl: string, index?: number): string {
    return `${kind}|${id}|${impl}|${index ?? ""}`;
  }
  get(kind: Measurement["kind"], id: string, impl: Impl, index?: number): Agg | undefined {
    return this.map.get(Results.key(kind, id, impl, index));
  }
  all(): Agg[] {
    return [...this.map.values()];
  }
  peakGflops(impl: Impl): number | undefined {
    const p = this.get("peak", "peak", impl);
    return p && p.flops ? p.flops / (p.p50_ms * 1e6) : undefined;
  }
}

const gflops = (c: KernelCase, ms: number | undefined) => (ms ? c.flops / (ms * 1e6) : undefined);
const gbps = (c: KernelCase, ms: number | undefined) => (ms ? c.bytes / (ms * 1e6) : undefined);
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);

// ---- the parent ----------------------------------------------------------------------------------------------

function runChild(s: Settings, impl: Impl): Promise<WorkerOutput> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SELF, ...workerArgs(s, impl)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d;
      if (process.env.WASM_MLP_BENCH_VERBOSE) process.stderr.write(d);
    });
    child.on("close", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      try {
        if (code !== 0) throw new Error(`exited with code ${code}`);
        resolve(JSON.parse(last) as WorkerOutput);
      } catch (e) {
        const why = err.trim().split("\n").slice(-3).join(" | ") || (e as Error).message;
        resolve({ impl, measurements: [], errors: [`${impl} worker failed: ${why}`] });
      }
    });
  });
}

const fmtDuration = (ms: number) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`);

async function main(): Promise<void> {
  let s: Settings;
  try {
    s = parseSettings(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (s.help) {
    process.stdout.write(USAGE);
    return;
  }
  const sel = select(s);
  if (s.worker) {
    const out = await runWorker(s.worker, sel, s);
    process.stdout.write(JSON.stringify(out) + "\n");
    return;
  }
  if (!sel.cases.length && !sel.peak && !sel.epochs.length && !sel.breakdown.length && !sel.fit.length) {
    process.stderr.write(`--filter ${s.filterText} matches nothing\n${USAGE}`);
    process.exit(2);
  }

  const t0 = performance.now(), start = machine();
  const errors: string[] = [];
  const progress = (m: string) => process.stderr.write(`bench: ${m}\n`);
  if (sel.peak) {
    try {
      progress(await buildPeak());
    } catch (e) {
      errors.push(`peak: ${(e as Error).message}`);
      sel.peak = false;
    }
  }
  const all: Measurement[] = [];
  const jobs = s.repeat * s.impls.length;
  let job = 0;
  for (let r = 0; r < s.repeat; r++) {
    for (const impl of s.impls) {
      const j0 = performance.now();
      const out = await runChild(s, impl);
      all.push(...out.measurements);
      for (const e of out.errors) if (!errors.includes(e)) errors.push(e);
      progress(`[${++job}/${jobs}] ${impl}${s.repeat > 1 ? ` run ${r + 1}/${s.repeat}` : ""}: ${out.measurements.length} measurements in ${fmtDuration(performance.now() - j0)}`);
    }
  }
  const res = new Results(all);
  const total = performance.now() - t0;
  if (s.json) process.stdout.write(JSON.stringify(toJson(s, sel, res, errors, start), null, 1) + "\n");
  else process.stdout.write(report(s, sel, res, errors, total, start));
}

// ---- machine -------------------------------------------------------------------------------------------------

function tinybenchVersion(): string {
  try {
    // tinybench's exports map does not expose its package.json: read it next to the resolved entry point
    const pkg = new URL("../package.json", import.meta.resolve("tinybench"));
    return (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    platform: os.platform(),
    arch: os.arch(),
    node: process.version,
    v8: process.versions.v8,
    date: new Date().toISOString(),
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

// ---- JSON ----------------------------------------------------------------------------------------------------

function toJson(s: Settings, sel: Selection, res: Results, errors: string[], m: ReturnType<typeof machine>) {
  const r6 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? undefined : Math.round(x * 1e6) / 1e6);
  const measurements: Record<string, unknown>[] = [];
  const base = (a: Agg) => ({ kind: a.kind, id: a.id, impl: a.impl, p50_us: r6(a.p50_ms * 1000), runs_p50_us: a.runs.map((x) => r6(x * 1000)) });
  for (const impl of IMPLS) {
    const g = res.peakGflops(impl), a = res.get("peak", "peak", impl);
    if (a) measurements.push({ ...base(a), flops: a.flops, gflops: r6(g) });
  }
  for (const c of sel.cases) {
    const ts = res.get("kernel", c.id, "ts")?.p50_ms;
    for (const impl of IMPLS) {
      const a = res.get("kernel", c.id, impl);
      if (!a) continue;
      const peak = res.peakGflops(impl);
      measurements.push({
        ...base(a), kernel: c.kernel, shape: c.shape, use: c.use,
        ...(c.matmul
          ? { flops: c.flops, gflops: r6(gflops(c, a.p50_ms)), peak_share: r6(ratio(gflops(c, a.p50_ms), peak)) }
          : { bytes: c.bytes, elements: c.elements, gbps: r6(gbps(c, a.p50_ms)), melem_s: r6(c.elements / (a.p50_ms * 1e3)) }),
        speedup_vs_ts: r6(ratio(ts, a.p50_ms)),
      });
    }
  }
  for (const m of MODELS) {
    const ts = res.get("epoch", `epoch/${m.id}`, "ts")?.p50_ms;
    for (const impl of IMPLS) {
      const a = res.get("epoch", `epoch/${m.id}`, impl);
      if (a) measurements.push({ ...base(a), model: m.name, ms_per_epoch: r6(a.p50_ms), projected_1000_s: r6(a.p50_ms), speedup_vs_ts: r6(ratio(ts, a.p50_ms)) });
      const f = res.get("fit", `fit/${m.id}`, impl);
      if (f) measurements.push({ ...base(f), model: m.name, measured_1000_s: r6(f.p50_ms / 1000) });
    }
  }
  for (const m of MODELS) {
    for (const impl of IMPLS) {
      const wall = res.get("breakdown", `breakdown/${m.id}`, impl, -1);
      if (!wall) continue;
      for (const a of res.all().filter((x) => x.kind === "breakdown" && x.id === `breakdown/${m.id}` && x.impl === impl).sort((x, y) => x.index! - y.index!)) {
        measurements.push({ ...base(a), model: m.name, index: a.index, label: a.label, share: r6(a.p50_ms / wall.p50_ms) });
      }
    }
  }
  return {
    machine: { ...m, loadavg_end: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    settings: { quick: s.quick, time_ms: s.time, warmup_ms: s.warmupTime, repeat: s.repeat, filter: s.filterText ?? null, impls: s.impls, tinybench: tinybenchVersion() },
    errors,
    measurements,
  };
}

// ---- the readable report -------------------------------------------------------------------------------------

const FAMILY_TITLES: Record<string, string> = {
  gemm_nn: "gemm_nn: C[M,N] = A[M,K]·B[K,N]",
  dense_forward: "dense_forward: Y = X·W + b (+ReLU), one fused kernel",
  gemm_tn: "gemm_tn: C[M,N] = A[K,M]ᵀ·B[K,N] (weight gradients; K is the batch)",
  gemm_nt: "gemm_nt: C[M,N] = A[M,K]·B[N,K]ᵀ (deltas through the weights; the wasm kernel transposes B first, timed)",
  softmax: "softmax: row softmax, and fused with the cross-entropy gradient (GB/s: each input and output f32 once)",
  relu: "ReLU forward and backward (GB/s: each input and output f32 once)",
  "bias_add / colsum / sgd": "bias_add, colsum, sgd (training fuses bias_add into dense_forward; it calls colsum and sgd as they are)",
};

function report(s: Settings, sel: Selection, res: Results, errors: string[], totalMs: number, m: ReturnType<typeof machine>): string {
  const impls = s.impls;
  const wasmImpls = impls.filter((i) => i !== "ts");
  const simdish = impls.filter((i) => i === "simd" || i === "relaxed");
  const out: string[] = [];
  out.push(`wasm-mlp bench · ${m.date.replace("T", " ").replace(/\.\d+Z$/, " UTC")}`);
  out.push(`machine: ${m.cpu} · ${m.cores} cores · ${m.platform} ${m.arch} · Node ${m.node} (V8 ${m.v8}) · load average at start ${m.loadavg.join(" ")}`);
  out.push(
    `method: tinybench ${tinybenchVersion()}, ${s.time} ms per task after ${s.warmupTime} ms warm-up, p50 latency; ` +
      `each implementation in its own process${s.repeat > 1 ? `, median of ${s.repeat} runs (interleaved)` : ", one run"}${s.quick ? " (--quick)" : ""}`,
  );
  out.push(`ts = the plain TypeScript references (src/reference): the baseline of every "× ts" column (ts p50 / build p50)`);
  out.push(`rates: GFLOP/s = 2·M·K·N / p50 (fused epilogues not counted); GB/s = every input and output f32 once / p50; % of peak: vs the same build's peak`);
  if (s.filterText !== undefined) out.push(`filter: /${s.filterText}/`);
  out.push("");

  // peak
  const peaks = simdish.map((i) => ({ impl: i, g: res.peakGflops(i) })).filter((p) => p.g !== undefined);
  if (peaks.length) {
    out.push(`SIMD peak: register-only f32x4 loop, ${CHAINS} independent chains acc = acc·x + y (2 flops per lane; 128-bit vectors)`);
    out.push(
      renderTable(
        [{ header: "build", align: "left" }, { header: "op", align: "left" }, { header: "GFLOP/s" }],
        peaks.map((p) => [p.impl, p.impl === "relaxed" ? "f32x4.relaxed_madd" : "f32x4.mul + f32x4.add", rate(p.g)]),
      ),
    );
    out.push("");
  }

  // kernels, by family
  const families = [...new Set(sel.cases.map((c) => c.family))];
  for (const fam of families) {
    const cases = sel.cases.filter((c) => c.family === fam);
    const matmul = cases[0].matmul;
    const mixed = new Set(cases.map((c) => c.kernel)).size > 1;
    const cols: Column[] = [{ header: mixed ? "kernel, shape" : "shape", align: "left" }];
    for (const i of impls) cols.push({ header: i, group: "time µs (p50)" });
    for (const i of impls) cols.push({ header: i, group: matmul ? "GFLOP/s" : "GB/s" });
    for (const i of wasmImpls) if (impls.includes("ts")) cols.push({ header: i, group: "× ts" });
    if (matmul) for (const i of simdish) if (res.peakGflops(i) !== undefined) cols.push({ header: i, group: "% of peak" });
    cols.push({ header: "use", align: "left" });
    const rows = cases.map((c) => {
      const t = (i: Impl) => res.get("kernel", c.id, i)?.p50_ms;
      const row = [mixed ? `${c.kernel} ${c.shape}` : c.shape];
      for (const i of impls) row.push(us(t(i)));
      for (const i of impls) row.push(rate(matmul ? gflops(c, t(i)) : gbps(c, t(i))));
      for (const i of wasmImpls) if (impls.includes("ts")) row.push(num(ratio(t("ts"), t(i)), 1));
      if (matmul) for (const i of simdish) if (res.peakGflops(i) !== undefined) row.push(num(100 * (ratio(gflops(c, t(i)), res.peakGflops(i)) ?? NaN), 0));
      row.push(c.use);
      return row;
    });
    out.push(FAMILY_TITLES[fam] ?? fam);
    out.push(renderTable(cols, rows));
    out.push("");
  }

  // epochs
  const epochModels = MODELS.filter((md) => sel.epochs.includes(md.id) || sel.fit.includes(md.id));
  if (epochModels.length) {
    out.push(`Whole epochs: full-batch SGD on the 1797 digits (seed 42 weights, lr 0.1; the SLP standardised globally, the MLP per feature)`);
    const rows: string[][] = [];
    for (const md of epochModels) {
      const ts = res.get("epoch", `epoch/${md.id}`, "ts")?.p50_ms;
      let first = true;
      for (const i of impls) {
        const e = res.get("epoch", `epoch/${md.id}`, i)?.p50_ms, f = res.get("fit", `fit/${md.id}`, i)?.p50_ms;
        if (e === undefined && f === undefined) continue;
        rows.push([first ? md.name : "", i, num(e, 3), num(ratio(ts, e), 1), e === undefined ? "—" : `${num(e, 2)} s`, f === undefined ? "—" : `${num(f / 1000, 3)} s`]);
        first = false;
      }
    }
    out.push(
      renderTable(
        [
          { header: "model", align: "left" }, { header: "impl", align: "left" }, { header: "ms/epoch" }, { header: "× ts" },
          { header: "1000 epochs, projected" }, { header: "1000 epochs, MLP.fit measured" },
        ],
        rows,
      ),
    );
    out.push(`  projected = 1000 × the p50 epoch (Network.epoch; ts: bench/reference-epoch.ts); measured = MLP.fit(X, y, { epochs: 1000 }).train_ms, once per process (simd and relaxed)`);
    out.push("");
  }

  // breakdown
  for (const md of MODELS.filter((x) => sel.breakdown.includes(x.id))) {
    const have = impls.filter((i) => res.get("breakdown", `breakdown/${md.id}`, i, -1));
    if (!have.length) continue;
    const n = Math.max(...have.map((i) => res.all().filter((a) => a.kind === "breakdown" && a.id === `breakdown/${md.id}` && a.impl === i && a.index! >= 0).length));
    const label = (k: number) => have.map((i) => res.get("breakdown", `breakdown/${md.id}`, i, k)?.label).find(Boolean) ?? "?";
    const cols: Column[] = [{ header: "#", align: "right" }, { header: "call", align: "left" }];
    for (const i of have) cols.push({ header: "µs", group: i }, { header: "%", group: i });
    const rows: string[][] = [];
    const wall = (i: Impl) => res.get("breakdown", `breakdown/${md.id}`, i, -1)!.p50_ms;
    const sum = (i: Impl) => {
      let t = 0;
      for (let k = 0; k < n; k++) t += res.get("breakdown", `breakdown/${md.id}`, i, k)?.p50_ms ?? 0;
      return t;
    };
    for (let k = 0; k < n; k++) {
      const row = [String(k + 1), label(k)];
      for (const i of have) {
        const t = res.get("breakdown", `breakdown/${md.id}`, i, k)?.p50_ms;
        row.push(us(t), num(ratio(t, wall(i)) !== undefined ? 100 * ratio(t, wall(i))! : undefined, 1));
      }
      rows.push(row);
    }
    const matmulShare = (i: Impl) => {
      let t = 0;
      for (let k = 0; k < n; k++) {
        const a = res.get("breakdown", `breakdown/${md.id}`, i, k);
        if (a && /^(dense_forward|gemm_)/.test(a.label ?? "")) t += a.p50_ms;
      }
      return t;
    };
    const line = (name: string, f: (i: Impl) => number | undefined) => {
      const row = ["", name];
      for (const i of have) {
        const t = f(i);
        row.push(us(t), num(t !== undefined ? (100 * t) / wall(i) : undefined, 1));
      }
      rows.push(row);
    };
    rows.push(["", "", ...have.flatMap(() => ["", ""])]);
    line("of which matmuls (dense_forward, gemm_*)", matmulShare);
    line("Σ calls", sum);
    line("host JS between calls", (i) => wall(i) - sum(i));
    line("epoch, instrumented (wall)", wall);
    const plain = (i: Impl) => res.get("epoch", `epoch/${md.id}`, i)?.p50_ms;
    if (have.some((i) => plain(i) !== undefined)) {
      const row = ["", "epoch, uninstrumented (p50, table above)"];
      for (const i of have) row.push(us(plain(i)), "");
      rows.push(row);
    }
    out.push(`Where the time goes: one ${md.name} epoch, call by call as Network.step makes them, each timed in place (median per call over ≥ ${s.time} ms of epochs)`);
    out.push(renderTable(cols, rows));
    out.push("");
  }

  // targets
  const tg = targets(res, impls);
  if (tg.length) {
    out.push("Targets from the issue (reported, not asserted)");
    out.push(renderTable([{ header: "target", align: "left" }, { header: "measured", align: "right" }, { header: "", align: "left" }], tg));
    out.push("");
  }
  if (errors.length) {
    out.push("Errors");
    for (const e of errors) out.push(`  ${e}`);
    out.push("");
  }
  out.push(`total ${fmtDuration(totalMs)} · load average at end ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  return out.join("\n") + "\n";
}

function targets(res: Results, impls: Impl[]): string[][] {
  const rows: string[][] = [];
  const verdict = (ok: boolean) => (ok ? "met" : "missed");
  const kcase = (id: string) => CASES.find((c) => c.id === id)!;
  if (impls.includes("simd")) {
    const c = kcase("gemm_nn/1797x64x32"), t = res.get("kernel", c.id, "simd")?.p50_ms;
    if (t !== undefined) {
      const g = gflops(c, t)!;
      rows.push([`gemm_nn ${c.shape}, simd build ≥ 28 GFLOP/s`, `${rate(g)} GFLOP/s`, verdict(g >= 28)]);
    }
    for (const id of ["gemm_tn/64x1797x32", "gemm_tn/32x1797x10", "gemm_nt/1797x10x32"]) {
      const c2 = kcase(id), t2 = res.get("kernel", id, "simd")?.p50_ms;
      if (t2 === undefined) continue;
      const g = gflops(c2, t2)!;
      rows.push([`${c2.kernel} ${c2.shape}, simd build ≥ 20 GFLOP/s`, `${rate(g)} GFLOP/s`, verdict(g >= 20)]);
    }
  }
  for (const [id, limit] of [["mlp", 0.6], ["slp", 0.25]] as const) {
    const md = MODELS.find((x) => x.id === id)!;
    for (const i of impls.filter((x) => x === "simd" || x === "relaxed")) {
      const f = res.get("fit", `fit/${id}`, i)?.p50_ms, e = res.get("epoch", `epoch/${id}`, i)?.p50_ms;
      if (f !== undefined) rows.push([`${md.name}, 1000 epochs ≤ ${limit} s (${i}, MLP.fit)`, `${num(f / 1000, 3)} s`, verdict(f / 1000 <= limit)]);
      if (e !== undefined) rows.push([`${md.name}, 1000 epochs ≤ ${limit} s (${i}, projected)`, `${num(e, 3)} s`, verdict(e <= limit)]);
    }
  }
  return rows;
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
