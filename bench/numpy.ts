// --vs-numpy: whole training runs of this project against NumPy, measured in alternated pairs (ours,
// NumPy, ours, NumPy, ...) and summarised by the median of the per-pair ratios, because the machine drifts
// within minutes and NumPy's time on small shapes (mostly Python overhead) drifts differently from ours,
// which is arithmetic and memory traffic that slows when other tenants share the caches. Each side reports its own training loop alone: our CLI's
// train_ms from its --json summary, the scripts' own perf_counter timing; neither counts start-up or
// loading the data. NumPy runs as /usr/bin/python3 (Debian's, with numpy, scikit-learn and OpenBLAS).

import { spawnSync } from "node:child_process";
import { machine, type Machine } from "./machine.js";
import { fromBench, lastJson, TRAIN } from "./spawned.js";
import type { Settings } from "./plan.js";
import { median } from "./sample.js";
import { num, renderTable, type Column } from "./table.js";

const PYTHON = "/usr/bin/python3";
// dist/bench/numpy.js -> <repo>/bench/numpy/*.py and <repo>/dist/src/cli/train.js
const ORIGINAL_PY = fromBench("../../bench/numpy/original.py"), BIG_PY = fromBench("../../bench/numpy/big.py");

interface Comparison {
  id: string;
  name: string;
  /** Our CLI's flags (besides --json and --threads). */
  ours: string[];
  oursThreads: "1" | "auto";
  numpy: string[];
  /** OPENBLAS_NUM_THREADS, or undefined for OpenBLAS's default (every core). */
  blasThreads: "1" | "2" | undefined;
}

const COMPARISONS: readonly Comparison[] = [
  { id: "original-mlp", name: "original MLP 64-32-10, 1000 epochs", ours: [], oursThreads: "auto", numpy: [ORIGINAL_PY, "mlp"], blasThreads: undefined },
  { id: "original-mlp-1t", name: "original MLP 64-32-10, 1000 epochs", ours: [], oursThreads: "1", numpy: [ORIGINAL_PY, "mlp"], blasThreads: undefined },
  { id: "original-slp", name: "original SLP 64-10, 1000 epochs", ours: ["--model", "slp"], oursThreads: "auto", numpy: [ORIGINAL_PY, "slp"], blasThreads: undefined },
  { id: "wide-1t", name: "MLP 64-256-256-10, 200 epochs", ours: ["--hidden", "256,256", "--epochs", "200"], oursThreads: "1", numpy: [BIG_PY, "200", "float32"], blasThreads: "1" },
  { id: "wide-2t", name: "MLP 64-256-256-10, 200 epochs", ours: ["--hidden", "256,256", "--epochs", "200"], oursThreads: "auto", numpy: [BIG_PY, "200", "float32"], blasThreads: "2" },
];

function runOurs(c: Comparison): { ms: number; threads: number; kernels: string } {
  const r = spawnSync(process.execPath, [TRAIN, ...c.ours, "--json", "--threads", c.oursThreads], { encoding: "utf8" });
  const j = lastJson(`node train.js ${c.ours.join(" ")}`, r);
  return { ms: Number(j.train_ms), threads: Number(j.threads), kernels: String(j.kernels) };
}

function runNumpy(c: Comparison): { ms: number; blas: string } {
  const env = { ...process.env };
  delete env.OPENBLAS_NUM_THREADS;
  if (c.blasThreads) env.OPENBLAS_NUM_THREADS = c.blasThreads;
  const r = spawnSync(PYTHON, c.numpy, { encoding: "utf8", env });
  const j = lastJson(`python3 ${c.numpy.map((a) => a.split("/").pop()).join(" ")}`, r);
  return { ms: Number(j.train_ms), blas: String(j.blas ?? "") };
}

interface Outcome {
  c: Comparison;
  ours: number[];
  numpy: number[];
  ratios: number[];
  threads: number;
  kernels: string;
  blas: string;
}

function compareOne(c: Comparison, pairs: number, progress: (m: string) => void): Outcome {
  const o: Outcome = { c, ours: [], numpy: [], ratios: [], threads: 0, kernels: "", blas: "" };
  for (let p = 0; p < pairs; p++) {
    const a = runOurs(c), b = runNumpy(c);
    Object.assign(o, { threads: a.threads, kernels: a.kernels, blas: b.blas });
    o.ours.push(a.ms);
    o.numpy.push(b.ms);
    o.ratios.push(a.ms / b.ms);
    progress(`${c.id} pair ${p + 1}/${pairs}: ours ${a.ms.toFixed(0)} ms, NumPy ${b.ms.toFixed(0)} ms`);
  }
  return o;
}

const threads = (n: number | string) => `${n} thread${Number(n) > 1 ? "s" : ""}`;

function text(outcomes: Outcome[], pairs: number, m: Machine): string {
  const rows = outcomes.map((o) => [
    o.c.name, `${o.kernels}, ${threads(o.threads)}`,
    `${o.c.numpy[0] === ORIGINAL_PY ? "float64" : "float32"}, ${o.blas || "BLAS"} ${o.c.blasThreads ? threads(o.c.blasThreads) : "default threads"}`,
    num(median(o.ours), 0), num(median(o.numpy), 0), num(median(o.ratios), 2), o.ratios.map((r) => r.toFixed(2)).join(" "),
  ]);
  const cols: Column[] = [
    { header: "comparison", align: "left" }, { header: "ours", align: "left" }, { header: "NumPy", align: "left" },
    { header: "ours ms" }, { header: "NumPy ms" }, { header: "ratio" }, { header: "ratios per pair", align: "left" },
  ];
  return [
    `wasm-mlp vs NumPy · ${m.date.replace("T", " ").replace(/\.\d+Z$/, " UTC")}`,
    `machine: ${m.cpu} · ${m.cores} cores · Node ${m.node} · ${PYTHON} · load average at start ${m.loadavg.join(" ")}`,
    `method: ${pairs} alternated pairs per comparison (ours, NumPy, ours, ...); each side's own timing of its training loop (our CLI's train_ms, ` +
      `the script's perf_counter); ratio = ours / NumPy per pair, then the median (below 1: we are faster)`,
    "",
    renderTable(cols, rows),
    "  ms: medians; NumPy scripts: bench/numpy/original.py (the original, float64) and bench/numpy/big.py (the project's anchor, float32)",
  ].join("\n") + "\n";
}

/** Runs the comparisons the filter selects; prints a table (or JSON). Exit code. */
export function runVsNumpy(s: Settings): number {
  const progress = (m: string) => process.stderr.write(`bench: ${m}\n`);
  const probe = spawnSync(PYTHON, ["-c", "import numpy, sklearn"], { encoding: "utf8" });
  if (probe.status !== 0) {
    process.stdout.write(`vs-numpy: skipped: ${PYTHON} with numpy and scikit-learn is not available here (apt-get install python3-sklearn libopenblas0-pthread)\n`);
    return 0;
  }
  const chosen = COMPARISONS.filter((c) => !s.filter || s.filter.test(c.id));
  if (!chosen.length) {
    process.stderr.write(`--filter ${s.filterText} matches no comparison (${COMPARISONS.map((c) => c.id).join(", ")})\n`);
    return 2;
  }
  const start = machine(), outcomes = chosen.map((c) => compareOne(c, s.pairs, progress));
  if (!s.json) {
    process.stdout.write(text(outcomes, s.pairs, start));
    return 0;
  }
  const comparisons = outcomes.map((o) => ({
    id: o.c.id, name: o.c.name, ours: { flags: o.c.ours, threads: o.threads, kernels: o.kernels, train_ms: o.ours },
    numpy: { script: o.c.numpy.map((a) => a.split("/").pop()), blas: o.blas, blas_threads: o.c.blasThreads ?? "default", train_ms: o.numpy },
    ratios: o.ratios, median_ratio: median(o.ratios),
  }));
  process.stdout.write(JSON.stringify({ machine: start, pairs: s.pairs, comparisons }, null, 1) + "\n");
  return 0;
}
