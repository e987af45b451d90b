// npm run bench: what the training step costs, checked before it is timed.
//
//   node dist/bench/run.js                 kernels at the training shapes, whole epochs of five workloads (per
//                                          implementation, per thread count), the original MLP against L2 and per
//                                          slice size, where an epoch's time goes, 1000-epoch fits (90-120 s)
//   node dist/bench/run.js --sweep         the three matmul forms by shape, as GFLOP/s and % of peak (~2 min)
//   node dist/bench/run.js --vs-numpy      whole training runs against NumPy, alternated in pairs (~1 min)
//   node dist/bench/run.js --vs-torch      Fashion-MNIST epochs against PyTorch, alternated in pairs (~40 s a pair)
//   node dist/bench/run.js --busy          --threads auto against 1 and all, quiet and beside busy processes (~2 min)
//   flags: --quick, --json, --filter REGEX, --repeat N, --impl LIST, --threads LIST, --pairs N, --epochs E (see --help)
//
// Method. First the check (check.ts): every selected kernel case and workload runs once on each selected
// build and is compared with its TypeScript twin; any disagreement is printed and the bench exits 1
// without timing anything. Then each implementation is timed in a child process of its own (this file
// again, with --worker IMPL), one at a time, so a GC or JIT state in one does not skew another; with
// --repeat N the workers run N times, interleaved, and each figure is the median of the N runs. A figure
// is the median over samples of the process CPU time per call (sample.ts), or of wall time where noted.
//
// --json prints one object:
//   { "mode": "default" | "sweep",
//     "machine": { cpu, cores, l2_bytes, platform, arch, node, v8, date, loadavg (at the start), loadavg_end },
//     "settings": { quick, time_ms, warmup_ms, repeat, filter, impls, threads },
//     "checks": { count, failures: [ "..." ], summary },
//     "errors": [ "..." ],                      (a worker or step that failed, e.g. an engine without relaxed SIMD)
//     "data": { digits: { rows, source }, mnist: { rows, source } },
//     "working_set": { parts: [{ name, bytes }], bytes, bytesPerRow, weightBytes, slice_rows }   (with l2/mlp)
//     "measurements": [ one object per (id, impl): kind, id, impl, ms (the figure), basis ("cpu" or "wall"),
//       runs_ms (each run's figure), cpu_ms, wall_ms, samples, reps, and by kind:
//       peak:      flops (per call), gflops
//       kernel:    flops, and gflops + peak_share (matmuls) or gbps; speedup_vs_ts
//       epoch:     workload, gflops, peak_share, speedup_vs_ts, projected_1000_s (ms is per epoch)
//       threads:   workload, threads, speedup_vs_1 (wall)
//       slices:    workload, slice_rows, speedup_vs_one_slice
//       l2:        id l2/read or l2/update: bytes (per pass; read + written for update), gbps; l2/epoch: the original MLP's epoch
//       breakdown: workload, index, label, calls, flops, share (of the instrumented epoch), gflops, peak_share;
//                  id breakdown/W/epoch: the instrumented epoch's CPU time
//       fit:       workload, threads (used), seconds (MLP.fit, 1000 epochs, train_ms; id fit/W/1 or fit/W/auto) ] }
//   --vs-numpy --json prints { machine, pairs, comparisons: [...] } (see numpy.ts).
//   --vs-torch --json prints { mode: "vs-torch", machine, pairs, epochs, runs: [...], comparisons: [...] } (see torch.ts).
//   --busy --json prints { mode: "busy", machine, rounds, cores, rows: [...] } (see busy.ts).

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runChecks } from "./check.js";
import { machine } from "./machine.js";
import { buildProbes } from "./probes.js";
import { USAGE, isEmpty, parseSettings, select, trainedWorkloads, workerArgs, type Impl, type Settings } from "./plan.js";
import { fmtDuration, report, type ReportInput } from "./report.js";
import { toJson } from "./json.js";
import { Results } from "./results.js";
import { runWorker, type Measurement, type WorkerOutput } from "./worker.js";
import { loadAll } from "./workloads.js";
import { runVsNumpy } from "./numpy.js";
import { runVsTorch } from "./torch.js";
import { runBusy } from "./busy.js";

const SELF = fileURLToPath(import.meta.url);
const progress = (m: string) => process.stderr.write(`bench: ${m}\n`);

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

/** Every worker, --repeat times, interleaved; their measurements and errors. */
async function runWorkers(s: Settings): Promise<{ all: Measurement[]; errors: string[] }> {
  const all: Measurement[] = [], errors: string[] = [], jobs = s.repeat * s.impls.length;
  let job = 0;
  for (let r = 0; r < s.repeat; r++) {
    for (const impl of s.impls) {
      const t0 = performance.now(), out = await runChild(s, impl);
      all.push(...out.measurements);
      for (const e of out.errors) if (!errors.includes(e)) errors.push(e);
      progress(`[${++job}/${jobs}] ${impl}${s.repeat > 1 ? ` run ${r + 1}/${s.repeat}` : ""}: ${out.measurements.length} measurements in ${fmtDuration(performance.now() - t0)}`);
    }
  }
  return { all, errors };
}

async function bench(s: Settings): Promise<number> {
  const sel = select(s);
  if (isEmpty(sel)) {
    process.stderr.write(`--filter ${s.filterText} matches nothing\n${USAGE}`);
    return 2;
  }
  const t0 = performance.now(), start = machine(), errors: string[] = [];
  if (sel.peak || sel.l2) {
    try {
      progress(await buildProbes());
    } catch (e) {
      errors.push(`probes: ${(e as Error).message}`);
    }
  }
  const data = await loadAll(trainedWorkloads(sel));
  const check = await runChecks(sel, s.impls, data, progress);
  const input: ReportInput = { s, sel, res: new Results([]), check, data, errors, totalMs: 0, machine: start };
  if (check.failures.length) {
    const text = `check FAILED: ${check.failures.length} of ${check.checks} cases disagree with their TypeScript twins; nothing was timed\n${check.failures.map((f) => `  ${f}`).join("\n")}\n`;
    if (s.json) process.stdout.write(JSON.stringify(toJson(input), null, 1) + "\n");
    else process.stdout.write(text);
    return 1;
  }
  progress(check.summary);
  const { all, errors: failed } = await runWorkers(s);
  Object.assign(input, { res: new Results(all), errors: [...errors, ...failed], totalMs: performance.now() - t0 });
  process.stdout.write(s.json ? JSON.stringify(toJson(input), null, 1) + "\n" : report(input));
  return 0;
}

async function main(): Promise<number> {
  let s: Settings;
  try {
    s = parseSettings(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (s.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (s.worker) {
    const out = await runWorker(s.worker, select(s), s);
    process.stdout.write(JSON.stringify(out) + "\n");
    return 0;
  }
  return s.mode === "vs-numpy" ? runVsNumpy(s) : s.mode === "vs-torch" ? runVsTorch(s) : s.mode === "busy" ? runBusy(s) : bench(s);
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  },
);
