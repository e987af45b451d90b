// Command-line settings and which measurements they select. The parent and every worker compute the selection
// from the same flags, so a worker needs nothing but its argv.

import { parseArgs } from "node:util";
import { availableParallelism } from "node:os";
import { KERNEL_BUILDS, type KernelBuild } from "../src/engine/kernels.js";
import { CASES, SWEEP_CASES, type KernelCase } from "./cases.js";
import { WORKLOADS, type Workload, type WorkloadId } from "./workloads.js";

/** The workloads timed call by call ("where the time goes"), and those fitted 1000 epochs with MLP.fit. */
const BREAKDOWN_WORKLOADS: WorkloadId[] = ["mlp", "wide"];
const FIT_WORKLOADS: WorkloadId[] = ["slp", "mlp"];

export type Impl = "ts" | KernelBuild;
/** Table order: the baseline first, then the builds. */
export const IMPLS: readonly Impl[] = ["ts", ...KERNEL_BUILDS];
/** The builds with SIMD: they have a peak to compare with, and are fast enough for every workload. */
export const SIMD_BUILDS: readonly Impl[] = ["simd", "relaxed"];
/** The build whose epochs are timed on 1..N threads. */
export const THREADED: Impl = "relaxed";
/** Slice sizes the original MLP's epoch is timed with (the step's default is among them). */
export const SLICES = [64, 128, 256, 512, 1797];

export type Mode = "default" | "sweep" | "vs-numpy" | "vs-torch" | "busy";

export interface Settings {
  mode: Mode;
  json: boolean;
  quick: boolean;
  filter: RegExp | undefined;
  /** The --filter text as given. */
  filterText: string | undefined;
  /** Runs of each worker; the report takes the median of their figures. */
  repeat: number;
  impls: Impl[];
  /** Thread counts the threaded build's epochs are timed on. */
  threads: number[];
  /** --vs-numpy, --vs-torch: alternated pairs per comparison; --busy: rounds. */
  pairs: number;
  /** --vs-torch: epochs of each training run. */
  epochs: number;
  /** Sampling time and warm-up per measurement, ms. */
  time: number;
  warmup: number;
  /** Set in a child process: the implementation it measures. */
  worker: Impl | undefined;
  help: boolean;
}

export const DEFAULT_REPEAT = 1;
export const DEFAULT_PAIRS = 3;
export const DEFAULT_TORCH_EPOCHS = 3;

export const USAGE = `usage: node dist/bench/run.js [--quick] [--json] [--filter REGEX] [--repeat N] [--impl LIST] [--threads LIST]
       node dist/bench/run.js --sweep [--impl simd,relaxed] [--quick] [--json] [--filter REGEX]
       node dist/bench/run.js --vs-numpy [--pairs N] [--json] [--filter REGEX]
       node dist/bench/run.js --vs-torch [--pairs N] [--epochs E] [--json]
       node dist/bench/run.js --busy [--pairs N] [--json] [--filter REGEX]

  (default)        kernels at the training shapes, whole epochs of five workloads, threads, slices, L2, breakdown
  --sweep          GFLOP/s and % of peak of the three matmul forms over square sizes and every product of
                   three networks at batch 64 and 1797 (simd and relaxed builds; about two minutes)
  --vs-numpy       whole training runs against NumPy (/usr/bin/python3), alternated in pairs (about a minute)
  --vs-torch       Fashion-MNIST epochs against PyTorch (/usr/bin/python3, bench/torch/fashion.py), one and
                   two threads each, alternated in pairs (about 40 s a pair at 3 epochs)
  --busy           CLI runs with --threads auto, 1 and all, on the machine as it is and beside busy processes
                   (one fewer than the cores): what auto does when another program holds a core (about 2 min)
  --quick          short run (100 ms per measurement after 50 ms of warm-up; no 1000-epoch fits)
  --json           one JSON document on stdout (see the header of bench/run.ts)
  --filter REGEX   only measurements whose id matches, e.g. 'gemm_nn', 'epoch|fit', '^sgd/', 'mlp$'
                   ids: <kernel>/<MxKxN or size> (gemm_tn/65x256x32, softmax_xent/256x10, sgd/2080), peak,
                   epoch/W, threads/W for W in ${WORKLOADS.map((w) => w.id).join(", ")}; fit/W for W in
                   ${FIT_WORKLOADS.join(", ")}; breakdown/W for W in ${BREAKDOWN_WORKLOADS.join(", ")};
                   slices/mlp, l2/mlp; with --vs-numpy: original-mlp, original-mlp-1t, original-slp, wide-1t, wide-2t;
                   with --busy: digits, mnist
  --repeat N       runs of each worker process (interleaved), median of their figures [${DEFAULT_REPEAT}]
  --impl LIST      comma-separated subset of ${IMPLS.join(",")} [all; --sweep: simd,relaxed]
  --threads LIST   thread counts for the ${THREADED} build's epochs, e.g. 1,2 (1 is always among them)
                   [1..the available cores]
  --pairs N        --vs-numpy: pairs per comparison, at least 3; --vs-torch: at least 1; --busy: rounds [${DEFAULT_PAIRS}]
  --epochs E       --vs-torch: epochs of each training run [${DEFAULT_TORCH_EPOCHS}]
`;

function positiveInt(flag: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer of at least ${min}, got ${text}`);
  return n;
}

function parseImpls(text: string | undefined, mode: Mode): Impl[] {
  const allowed = mode === "sweep" ? SIMD_BUILDS : IMPLS;
  if (text === undefined) return [...allowed];
  const asked = text.split(",").map((s) => s.trim()).filter(Boolean);
  for (const i of asked) if (!allowed.includes(i as Impl)) throw new Error(`--impl: ${i} is not one of ${allowed.join(", ")}${mode === "sweep" ? " (--sweep)" : ""}`);
  return allowed.filter((i) => asked.includes(i));
}

function parseThreads(text: string | undefined): number[] {
  if (text === undefined) return Array.from({ length: availableParallelism() }, (_, i) => i + 1);
  const list = text.split(",").map((s) => positiveInt("--threads", s.trim(), 1));
  // one thread is what every speed-up is over
  return [...new Set([1, ...list])].sort((a, b) => a - b);
}

export function parseSettings(argv: string[]): Settings {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      json: { type: "boolean", default: false }, quick: { type: "boolean", default: false },
      sweep: { type: "boolean", default: false }, "vs-numpy": { type: "boolean", default: false },
      "vs-torch": { type: "boolean", default: false }, busy: { type: "boolean", default: false }, epochs: { type: "string" },
      filter: { type: "string" }, repeat: { type: "string" }, impl: { type: "string" }, threads: { type: "string" },
      pairs: { type: "string" }, worker: { type: "string" }, help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if ([v.sweep, v["vs-numpy"], v["vs-torch"], v.busy].filter(Boolean).length > 1) throw new Error("--sweep, --vs-numpy, --vs-torch and --busy are separate runs: give one");
  const mode: Mode = v.sweep ? "sweep" : v["vs-numpy"] ? "vs-numpy" : v["vs-torch"] ? "vs-torch" : v.busy ? "busy" : "default";
  if (v.epochs !== undefined && mode !== "vs-torch") throw new Error("--epochs is for --vs-torch");
  if (v.worker !== undefined && !IMPLS.includes(v.worker as Impl)) throw new Error(`--worker: unknown implementation ${v.worker}`);
  let filter: RegExp | undefined;
  try {
    filter = v.filter === undefined ? undefined : new RegExp(v.filter);
  } catch (e) {
    throw new Error(`--filter: ${(e as Error).message}`);
  }
  const quick = v.quick === true;
  return {
    mode, json: v.json === true, quick, filter, filterText: v.filter,
    repeat: positiveInt("--repeat", v.repeat, DEFAULT_REPEAT),
    impls: parseImpls(v.impl, mode),
    threads: parseThreads(v.threads),
    pairs: positiveInt("--pairs", v.pairs, DEFAULT_PAIRS, mode === "vs-numpy" ? 3 : 1),
    epochs: positiveInt("--epochs", v.epochs, DEFAULT_TORCH_EPOCHS),
    time: quick ? 100 : mode === "sweep" ? 300 : 500,
    warmup: quick ? 50 : mode === "sweep" ? 100 : 200,
    worker: v.worker as Impl | undefined,
    help: v.help === true,
  };
}

export interface Selection {
  cases: KernelCase[];
  peak: boolean;
  epochs: WorkloadId[];
  /** Workloads timed on each thread count (the threaded build). */
  threads: WorkloadId[];
  breakdown: WorkloadId[];
  /** Trained for a real 1000 epochs with MLP.fit (SIMD builds; not with --quick). */
  fit: WorkloadId[];
  /** The original MLP's epoch per slice size, and against the L2 bandwidth (SIMD builds). */
  slices: boolean;
  l2: boolean;
}

const NOTHING: Selection = { cases: [], peak: false, epochs: [], threads: [], breakdown: [], fit: [], slices: false, l2: false };

export function select(s: Settings): Selection {
  const on = (id: string) => !s.filter || s.filter.test(id);
  const ids = (prefix: string, ws: readonly WorkloadId[]) => ws.filter((w) => on(`${prefix}/${w}`));
  const all = WORKLOADS.map((w) => w.id);
  if (s.mode === "vs-numpy" || s.mode === "vs-torch") return NOTHING;
  const cases = (s.mode === "sweep" ? SWEEP_CASES : CASES).filter((c) => on(c.id));
  // every GFLOP/s figure shows its share of the peak, so the peak comes along with any matmul
  const peak = on("peak") || cases.some((c) => c.flops > 0);
  if (s.mode === "sweep") return { ...NOTHING, cases, peak };
  return {
    cases, peak,
    epochs: ids("epoch", all),
    threads: s.threads.length > 1 ? ids("threads", all) : [],
    breakdown: ids("breakdown", BREAKDOWN_WORKLOADS),
    fit: s.quick ? [] : ids("fit", FIT_WORKLOADS),
    slices: on("slices/mlp"),
    l2: on("l2/mlp"),
  };
}

export function isEmpty(sel: Selection): boolean {
  return !sel.cases.length && !sel.peak && !sel.epochs.length && !sel.threads.length && !sel.breakdown.length && !sel.fit.length && !sel.slices && !sel.l2;
}

/** Workloads any selected measurement trains (the original MLP also for the slice and L2 tables). */
export function trainedWorkloads(sel: Selection): Workload[] {
  const ids = new Set<WorkloadId>([...sel.epochs, ...sel.threads, ...sel.breakdown, ...sel.fit]);
  if (sel.slices || sel.l2) ids.add("mlp");
  return WORKLOADS.filter((w) => ids.has(w.id));
}

/** Whether an implementation runs a workload at all (the twins and the scalar build only the small ones). */
export function runsWorkload(impl: Impl, small: boolean): boolean {
  return small || SIMD_BUILDS.includes(impl);
}

/** The flags a worker needs to make the same selection. */
export function workerArgs(s: Settings, impl: Impl): string[] {
  const a = ["--worker", impl, "--threads", s.threads.join(",")];
  if (s.mode === "sweep") a.push("--sweep");
  if (s.quick) a.push("--quick");
  if (s.filterText !== undefined) a.push("--filter", s.filterText);
  return a;
}
