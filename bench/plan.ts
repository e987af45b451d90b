// Command-line settings and which measurements they select. The parent and every worker compute the selection
// from the same flags, so a worker needs nothing but its argv.

import { parseArgs } from "node:util";
import { CASES, type KernelCase } from "./cases.js";

export type Impl = "ts" | "scalar" | "simd" | "relaxed";
/** Table order: the baseline first. */
export const IMPLS: readonly Impl[] = ["ts", "scalar", "simd", "relaxed"];

export interface Settings {
  json: boolean;
  quick: boolean;
  filter: RegExp | undefined;
  /** The --filter text as given. */
  filterText: string | undefined;
  /** Runs of each worker; the report takes the median of their medians. */
  repeat: number;
  impls: Impl[];
  /** tinybench time budget and warm-up per task, ms. */
  time: number;
  warmupTime: number;
  /** Set in a child process: the implementation it measures. */
  worker: Impl | undefined;
  help: boolean;
}

/** One run by default: a full run takes about 90 seconds per repeat on 2 cores. */
export const DEFAULT_REPEAT = 1;

export const USAGE = `usage: node dist/bench/run.js [--quick] [--json] [--filter REGEX] [--repeat N] [--impl LIST]

  --quick          short run (tinybench time 100 ms, warm-up 50 ms; no 1000-epoch fits)
  --json           machine-readable output on stdout (see the header of bench/run.ts)
  --filter REGEX   only measurements whose id matches, e.g. gemm_nn, 'gemm_t', '1797x64', 'epoch|fit', breakdown, peak
                   ids: <kernel>/<MxKxN or size> (gemm_nn/1797x64x32, dense_forward/1797x64x32+relu, sgd/2048, ...),
                   peak, epoch/slp, epoch/mlp, fit/slp, fit/mlp, breakdown/mlp
  --repeat N       runs of each worker process (interleaved), median of their medians [${DEFAULT_REPEAT}]
  --impl LIST      comma-separated subset of ts,scalar,simd,relaxed [all]
`;

export function parseSettings(argv: string[]): Settings {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      filter: { type: "string" },
      repeat: { type: "string" },
      impl: { type: "string" },
      worker: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  const quick = v.quick === true;
  const impls = v.impl === undefined ? [...IMPLS] : v.impl.split(",").map((s) => s.trim()).filter(Boolean);
  for (const i of impls) if (!IMPLS.includes(i as Impl)) throw new Error(`--impl: unknown implementation ${i} (ts, scalar, simd, relaxed)`);
  if (v.worker !== undefined && !IMPLS.includes(v.worker as Impl)) throw new Error(`--worker: unknown implementation ${v.worker}`);
  const repeat = v.repeat === undefined ? DEFAULT_REPEAT : Number(v.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got ${v.repeat}`);
  let filter: RegExp | undefined;
  try {
    filter = v.filter === undefined ? undefined : new RegExp(v.filter);
  } catch (e) {
    throw new Error(`--filter: ${(e as Error).message}`);
  }
  return {
    json: v.json === true,
    quick,
    filter,
    filterText: v.filter,
    repeat,
    impls: IMPLS.filter((i) => impls.includes(i)),
    time: quick ? 100 : 500,
    warmupTime: quick ? 50 : 200,
    worker: v.worker as Impl | undefined,
    help: v.help === true,
  };
}

export type ModelId = "slp" | "mlp";

export interface Selection {
  cases: KernelCase[];
  peak: boolean;
  epochs: ModelId[];
  /** Models whose epoch gets the per-call breakdown (only the MLP has one). */
  breakdown: ModelId[];
  /** Models trained for a real 1000 epochs with MLP.fit (simd and relaxed builds; not with --quick). */
  fit: ModelId[];
}

export function select(s: Settings): Selection {
  const f = s.filter, on = (id: string) => !f || f.test(id);
  const cases = CASES.filter((c) => on(c.id));
  const models: ModelId[] = ["slp", "mlp"];
  return {
    cases,
    // GEMM lines show their share of the peak, so the peak comes along with any matmul
    peak: on("peak") || cases.some((c) => c.matmul),
    epochs: models.filter((m) => on(`epoch/${m}`)),
    breakdown: (["mlp"] as ModelId[]).filter((m) => on(`breakdown/${m}`)),
    fit: s.quick ? [] : models.filter((m) => on(`fit/${m}`)),
  };
}

/** The flags a worker needs to make the same selection. */
export function workerArgs(s: Settings, impl: Impl): string[] {
  const a = ["--worker", impl];
  if (s.quick) a.push("--quick");
  if (s.filterText !== undefined) a.push("--filter", s.filterText);
  return a;
}
