// One implementation's measurements, in a process of its own (run.ts spawns it with --worker IMPL), after
// the parent has checked every selected case against its TypeScript twin. Order: the peak, the kernel cases
// (one arena holding all their tensors, set up first), whole epochs, the breakdown, slice sizes and L2,
// then what starts threads or allocates most (the 1000-epoch fits, the thread counts). Kernels are called
// through the raw exports training uses (no trap-naming wrapper); epochs run the real Network step.

import { compileKernels, type CompiledKernels, type KernelBuild } from "../src/engine/kernels.js";
import { MLP } from "../src/model/mlp.js";
import { Pool } from "../src/engine/pool.js";
import { referenceKernels } from "../test/reference/kernels.js";
import { caseArrays, placeCases } from "./cases.js";
import { CallTimer, breakdown } from "./breakdown.js";
import { streamBytes } from "./machine.js";
import { loadProbes, peakFlops, type ProbeBuild } from "./probes.js";
import { alternate, time, type Budget, type Timing } from "./sample.js";
import { SIMD_BUILDS, SLICES, THREADED, runsWorkload, trainedWorkloads, type Impl, type Selection, type Settings } from "./plan.js";
import { OPT, SEED, epochOf, loadAll, network, twins, workload, type Data, type WorkloadId } from "./workloads.js";

export type Kind = "peak" | "kernel" | "epoch" | "threads" | "slices" | "l2" | "breakdown" | "fit";

export interface Measurement {
  kind: Kind;
  /**
   * Unique per implementation: the case id, "peak", "epoch/W", "threads/W/T", "slices/R", "l2/read",
   * "l2/update", "l2/epoch", "breakdown/W/I" (I: row, or "epoch"), "fit/W/1", "fit/W/auto".
   */
  id: string;
  impl: Impl;
  /** The figure, ms: per call (kernel, peak loop, epoch, streaming pass); for a fit, all 1000 epochs. */
  ms: number;
  /** Which clock `ms` is: process CPU time (single-threaded work) or wall time (threads, fits, breakdown). */
  basis: "cpu" | "wall";
  cpu_ms?: number;
  wall_ms?: number;
  samples?: number;
  reps?: number;
  workload?: WorkloadId;
  threads?: number;
  slice_rows?: number;
  /** peak: per call; breakdown: the row's matmul flops per epoch. */
  flops?: number;
  /** l2: bytes moved per pass (read + written for update). */
  bytes?: number;
  /** breakdown rows. */
  label?: string;
  calls?: number;
  index?: number;
}

export interface WorkerOutput {
  impl: Impl;
  measurements: Measurement[];
  errors: string[];
}

interface Context {
  impl: Impl;
  sel: Selection;
  s: Settings;
  kernels: CompiledKernels;
  data: Map<string, Data>;
  budget: Budget;
  out: Measurement[];
}

const fromTiming = (t: Timing) => ({ ms: t.cpu_ms, basis: "cpu" as const, cpu_ms: t.cpu_ms, wall_ms: t.wall_ms, samples: t.samples, reps: t.reps });
const simd = (impl: Impl) => SIMD_BUILDS.includes(impl);
/** The workloads of a selection list that this implementation runs. */
const mine = (c: Context, ids: readonly WorkloadId[]) => ids.map(workload).filter((w) => runsWorkload(c.impl, w.small));

function log(impl: Impl, msg: string): void {
  if (process.env.WASM_MLP_BENCH_VERBOSE) process.stderr.write(`  [${impl}] ${msg}\n`);
}

async function measurePeak(c: Context): Promise<void> {
  if (!c.sel.peak || !simd(c.impl)) return;
  const probes = await loadProbes(c.impl as ProbeBuild), iters = 100_000;
  const t = time(() => void probes.peak(iters, 0.999, 0.001), c.budget);
  c.out.push({ kind: "peak", id: "peak", impl: c.impl, ...fromTiming(t), flops: peakFlops(iters) });
}

function measureCases(c: Context): void {
  if (!c.sel.cases.length) return;
  const thunks = c.impl === "ts"
    ? c.sel.cases.map((k) => k.ts(caseArrays(k)))
    : (() => {
        const { arena, ptrs } = placeCases(c.kernels, c.sel.cases);
        return c.sel.cases.map((k, i) => k.wasm(arena.raw, ptrs[i]));
      })();
  c.sel.cases.forEach((k, i) => {
    const t = time(thunks[i], c.budget);
    c.out.push({ kind: "kernel", id: k.id, impl: c.impl, ...fromTiming(t), flops: k.flops });
    log(c.impl, `${k.id} ${(t.cpu_ms * 1000).toFixed(2)} µs`);
  });
}

function measureEpochs(c: Context): void {
  for (const w of mine(c, c.sel.epochs)) {
    const net = network(c.kernels, w, c.data.get(w.data)!, { wrap: c.impl === "ts" ? twins : undefined });
    const t = time(epochOf(net, w), c.budget);
    c.out.push({ kind: "epoch", id: `epoch/${w.id}`, impl: c.impl, ...fromTiming(t), workload: w.id });
    log(c.impl, `epoch/${w.id} ${t.cpu_ms.toFixed(3)} ms`);
  }
}

function measureBreakdowns(c: Context): void {
  for (const w of mine(c, c.sel.breakdown)) {
    const timer = new CallTimer();
    const wrap = (raw: Parameters<typeof twins>[0], memory: WebAssembly.Memory) => timer.wrap(c.impl === "ts" ? referenceKernels(memory) : raw);
    const net = network(c.kernels, w, c.data.get(w.data)!, { wrap });
    const b = breakdown(timer, epochOf(net, w), c.budget.time, c.budget.warmup);
    const id = `breakdown/${w.id}`;
    b.rows.forEach((r, index) => {
      c.out.push({ kind: "breakdown", id: `${id}/${index}`, impl: c.impl, ms: r.ms, basis: "wall", samples: b.epochs, workload: w.id, label: r.label, calls: r.calls, flops: r.flops, index });
    });
    c.out.push({ kind: "breakdown", id: `${id}/epoch`, impl: c.impl, ms: b.epoch, basis: "cpu", samples: b.epochs, workload: w.id });
  }
}

/** The original MLP's epoch for each slice size, in alternation (the same weights' step, only cut differently). */
function measureSlices(c: Context): void {
  if (!c.sel.slices || !simd(c.impl)) return;
  const w = workload("mlp"), data = c.data.get(w.data)!;
  const variants = SLICES.map((rows) => ({ key: String(rows), fn: epochOf(network(c.kernels, w, data, { sliceRows: rows }), w) }));
  const times = alternate(variants, { ...c.budget, time: c.budget.time * variants.length }, 3);
  for (const rows of SLICES) {
    c.out.push({ kind: "slices", id: `slices/${rows}`, impl: c.impl, ...fromTiming(times.get(String(rows))!), workload: "mlp", slice_rows: rows });
  }
}

/** A streaming read and a read+write pass over an L2-sized buffer, and the original MLP's epoch next to them. */
async function measureL2(c: Context): Promise<void> {
  if (!c.sel.l2 || !simd(c.impl)) return;
  const probes = await loadProbes(c.impl as ProbeBuild), bytes = streamBytes(), p = probes.buffer(bytes);
  const read = time(() => void probes.stream_read(p, bytes), c.budget);
  const update = time(() => probes.stream_update(p, bytes), c.budget);
  const w = workload("mlp");
  const epoch = time(epochOf(network(c.kernels, w, c.data.get(w.data)!), w), c.budget);
  c.out.push(
    { kind: "l2", id: "l2/read", impl: c.impl, ...fromTiming(read), bytes },
    { kind: "l2", id: "l2/update", impl: c.impl, ...fromTiming(update), bytes: 2 * bytes },
    { kind: "l2", id: "l2/epoch", impl: c.impl, ...fromTiming(epoch), workload: "mlp" },
  );
}

/** Fits per figure: a fit is one long wall-clock run, so the figure is the median of a few. */
const FITS = 3;

/** MLP.fit for 1000 epochs as a user runs it (train_ms): on one thread, and with the default threads. */
async function measureFits(c: Context): Promise<void> {
  if (!simd(c.impl)) return;
  for (const w of mine(c, c.sel.fit)) {
    const data = c.data.get(w.data)!;
    for (const threads of [1, "auto"] as const) {
      const runs: { ms: number; threads: number }[] = [];
      for (let r = 0; r < FITS; r++) {
        const model = await MLP.create({ layers: [...w.layers], seed: SEED, kernels: c.kernels, normalize: w.normalize, threads });
        try {
          const f = model.fit(data.X, data.y, { epochs: 1000, every: 1e9, lr: OPT.lr, batch: w.batch });
          runs.push({ ms: f.train_ms, threads: f.threads });
        } finally {
          model.dispose();
        }
      }
      const mid = [...runs].sort((a, b) => a.ms - b.ms)[FITS >> 1];
      c.out.push({ kind: "fit", id: `fit/${w.id}/${threads}`, impl: c.impl, ms: mid.ms, basis: "wall", samples: FITS, workload: w.id, threads: mid.threads });
      log(c.impl, `fit/${w.id}/${threads} ${runs.map((x) => `${x.ms.toFixed(0)} ms (${x.threads})`).join(", ")}`);
    }
  }
}

/**
 * Each workload's epoch on every thread count, in alternation, by wall clock. Every thread count has a
 * network and a worker pool of its own, attached once (as fit attaches them) and kept attached while the
 * others run: a network detached and then stepped on fewer threads can race its workers' exit from the
 * previous job (Network.close does not wait for them), so no network changes its thread count here.
 */
async function measureThreads(c: Context): Promise<void> {
  if (c.impl !== THREADED || !c.sel.threads.length) return;
  const counts = c.s.threads, pools = new Map<number, Pool>();
  try {
    for (const t of counts.filter((x) => x > 1)) pools.set(t, Pool.start(c.kernels, t - 1));
    for (const p of pools.values()) await p.waitReady();
    for (const w of mine(c, c.sel.threads)) {
      const nets = counts.map((t) => {
        const net = network(c.kernels, w, c.data.get(w.data)!, { threads: t });
        const pool = pools.get(t);
        if (pool) net.attachThreads(pool, t);
        return net;
      });
      try {
        const variants = counts.map((t, i) => ({ key: String(t), fn: epochOf(nets[i], w) }));
        const times = alternate(variants, { ...c.budget, time: c.budget.time * counts.length }, 4);
        for (const t of counts) {
          const r = times.get(String(t))!;
          c.out.push({ kind: "threads", id: `threads/${w.id}/${t}`, impl: c.impl, ms: r.wall_ms, basis: "wall", wall_ms: r.wall_ms, cpu_ms: r.cpu_ms, samples: r.samples, reps: r.reps, workload: w.id, threads: t });
        }
      } finally {
        for (const net of nets) net.close();
      }
    }
  } finally {
    for (const p of pools.values()) p.terminate();
  }
}

export async function runWorker(impl: Impl, sel: Selection, s: Settings): Promise<WorkerOutput> {
  const errors: string[] = [];
  // the twins run inside a Network too, whose memory and layout any build can provide
  const kernels = await compileKernels(impl === "ts" ? "scalar" : (impl as KernelBuild)); // relaxed: also sets Node 20's flag
  const c: Context = {
    impl, sel, s, kernels, data: await loadAll(trainedWorkloads(sel)), out: [],
    budget: { time: s.time, warmup: s.warmup, minSamples: s.quick ? 3 : 5 },
  };
  const steps: [string, (c: Context) => void | Promise<void>][] = [
    ["peak", measurePeak], ["kernels", measureCases], ["epochs", measureEpochs], ["breakdown", measureBreakdowns],
    ["slices", measureSlices], ["l2", measureL2], ["fit", measureFits], ["threads", measureThreads],
  ];
  for (const [name, step] of steps) {
    try {
      await step(c);
    } catch (e) {
      errors.push(`${impl} ${name}: ${(e as Error).message}`);
    }
  }
  return { impl, measurements: c.out, errors };
}
