// One implementation's measurements, in a process of its own (run.ts spawns it with --worker IMPL). Every
// memory is set up before the first measurement: one arena holding every case's tensors (a fixed wasm memory
// that never grows), or for the TypeScript reference every Float32Array; then the networks for the epochs.
// Each measurement is its own tinybench Bench with one synchronous task; the result is its p50 latency.
// Kernels are called through the same raw exports the training loop uses (Arena.raw, no trap-naming wrapper).
// Order: peak, kernels, epochs, the in-situ breakdown, and last the 1000-epoch MLP.fit runs (each allocates).

import { Bench } from "tinybench";
import { compileKernels, type CompiledKernels, type KernelBuild } from "../src/kernels.js";
import { Arena, Layout } from "../src/arena.js";
import { MLP } from "../src/model.js";
import { seedOf } from "../src/reference/random.js";
import { fillTensor, type Arrays, type KernelCase, type Ptrs } from "./cases.js";
import { MODELS, OPT, SEED, digits, prepare, referenceNetwork, wasmEpochCalls, wasmNetwork, type ModelSpec } from "./epochs.js";
import { loadPeak, peakFlops, type PeakBuild } from "./peak.js";
import type { EpochCall } from "./reference-epoch.js";
import type { Impl, Selection, Settings } from "./plan.js";

export interface Measurement {
  kind: "kernel" | "peak" | "epoch" | "fit" | "breakdown";
  /** Case id, "peak", "epoch/mlp", "fit/mlp", "breakdown/mlp". */
  id: string;
  impl: Impl;
  /** Median latency of one call (one epoch, one peak loop, ...), ms. */
  p50_ms: number;
  mean_ms?: number;
  /** tinybench's relative margin of error of the mean, %. */
  rme?: number;
  /** Timed samples. */
  samples?: number;
  /** Calls per timed sample (tiny kernels are looped so a sample is well above the timer's resolution). */
  reps?: number;
  /** peak: flops of one call. */
  flops?: number;
  /** breakdown: the call's position and label; "epoch" rows hold the instrumented epoch's wall time. */
  index?: number;
  label?: string;
}

export interface WorkerOutput {
  impl: Impl;
  measurements: Measurement[];
  errors: string[];
}

const now = () => performance.now();

/** Calls per sample so that one sample lasts at least ~25 µs (after a short warm loop, so the estimate is JIT-ed code). */
function innerReps(fn: () => void, warmMs: number): number {
  let t0 = now();
  fn();
  if (now() - t0 > 1) return 1;
  t0 = now();
  while (now() - t0 < warmMs) fn();
  let n = 0;
  t0 = now();
  let dt = 0;
  do {
    fn();
    n++;
    dt = now() - t0;
  } while (dt < warmMs / 3);
  return Math.max(1, Math.min(100_000, Math.ceil(0.025 / (dt / n))));
}

async function measure(s: Settings, name: string, fn: () => void): Promise<Omit<Measurement, "kind" | "id" | "impl">> {
  const reps = innerReps(fn, s.quick ? 10 : 30);
  const body = reps === 1 ? fn : () => { for (let r = 0; r < reps; r++) fn(); };
  const bench = new Bench({
    name,
    time: s.time,
    warmupTime: s.warmupTime,
    iterations: s.quick ? 3 : 8,
    warmupIterations: s.quick ? 1 : 3,
    throws: true,
  });
  bench.add(name, body, { async: false });
  await bench.run();
  const r = bench.tasks[0].result;
  if (r.state !== "completed") throw new Error(`${name}: tinybench task ${r.state}`);
  const l = r.latency;
  return { p50_ms: l.p50 / reps, mean_ms: l.mean / reps, rme: l.rme, samples: l.samplesCount, reps };
}

/** Each call of the epoch timed where it runs, epoch after epoch; per-call medians and the wall time of the instrumented epoch. */
function inSitu(s: Settings, calls: readonly EpochCall[]): { perCall: number[]; wall: number; epochs: number; timer: number } {
  const n = calls.length;
  // warm: whole epochs, uninstrumented
  let t0 = now();
  while (now() - t0 < s.warmupTime) for (let i = 0; i < n; i++) calls[i].run();
  // the cost of one now() pair, subtracted from every call
  const pairs = new Float64Array(2001);
  for (let i = 0; i < pairs.length; i++) { const a = now(); pairs[i] = now() - a; }
  const timer = median(Array.from(pairs));
  const samples: number[][] = calls.map(() => []);
  const walls: number[] = [];
  t0 = now();
  let epochs = 0;
  while (now() - t0 < s.time || epochs < 10) {
    const w0 = now();
    for (let i = 0; i < n; i++) {
      const a = now();
      calls[i].run();
      samples[i].push(now() - a);
    }
    walls.push(now() - w0);
    epochs++;
  }
  return { perCall: samples.map((x) => Math.max(0, median(x) - timer)), wall: median(walls), epochs, timer };
}

export function median(xs: readonly number[]): number {
  const a = [...xs].sort((x, y) => x - y), m = a.length >> 1;
  return a.length === 0 ? NaN : a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

function log(impl: Impl, msg: string): void {
  if (process.env.WASM_MLP_BENCH_VERBOSE) process.stderr.write(`  [${impl}] ${msg}\n`);
}

export async function runWorker(impl: Impl, sel: Selection, s: Settings): Promise<WorkerOutput> {
  const out: Measurement[] = [], errors: string[] = [];
  const wasm = impl !== "ts";
  let kernels: CompiledKernels | undefined;
  if (wasm) kernels = await compileKernels(impl as KernelBuild); // relaxed: also sets Node 20's relaxed-SIMD flag

  // ---- set-up: every tensor of every case, then the networks -------------------------------------------
  const thunks: { c: KernelCase; fn: () => void }[] = [];
  if (sel.cases.length) {
    if (wasm) {
      const layout = new Layout();
      const placed = sel.cases.map((c) => {
        const ptrs: Ptrs = {};
        for (const [name, spec] of Object.entries(c.tensors)) ptrs[name] = layout.add(`${c.id}:${name}`, ...spec.shape).ptr;
        return ptrs;
      });
      const arena = new Arena(kernels!, layout);
      sel.cases.forEach((c, i) => {
        for (const [name, spec] of Object.entries(c.tensors)) fillTensor(arena.view(layout.get(`${c.id}:${name}`)), spec, seedOf(c.id, name));
        thunks.push({ c, fn: c.wasm(arena.raw, placed[i]) });
      });
    } else {
      for (const c of sel.cases) {
        const arrays: Arrays = {};
        for (const [name, spec] of Object.entries(c.tensors)) {
          if (spec.wasmOnly) continue;
          arrays[name] = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
          fillTensor(arrays[name], spec, seedOf(c.id, name));
        }
        thunks.push({ c, fn: c.ts(arrays) });
      }
    }
  }
  const fits = impl === "simd" || impl === "relaxed"; // the others would take seconds per 1000 epochs
  const models = MODELS.filter((m) => sel.epochs.includes(m.id) || sel.breakdown.includes(m.id) || (fits && sel.fit.includes(m.id)));
  const data = models.length ? await digits() : undefined;
  const nets = new Map<ModelSpec["id"], { epoch: () => void; calls: readonly EpochCall[]; fit?: () => Promise<number> }>();
  for (const m of models) {
    const p = prepare(m, data!);
    if (wasm) {
      const net = wasmNetwork(kernels!, m, p, data!.n);
      // a second network for the in-situ breakdown, so the epoch timing and the breakdown each train their own weights
      const probe = wasmNetwork(kernels!, m, p, data!.n);
      const k = kernels!;
      nets.set(m.id, {
        epoch: () => net.epoch(OPT, undefined),
        calls: wasmEpochCalls(probe),
        fit: async () => {
          const model = await MLP.create({ layers: [...m.layers], seed: SEED, kernels: k, normalize: m.normalize });
          return model.fit(data!.X, data!.y, { epochs: 1000, every: 1e9, lr: OPT.lr }).train_ms;
        },
      });
    } else {
      const net = referenceNetwork(m, p), probe = referenceNetwork(m, p);
      nets.set(m.id, { epoch: () => net.epoch(), calls: probe.calls() });
    }
  }

  // ---- measurements --------------------------------------------------------------------------------------
  if (sel.peak && (impl === "simd" || impl === "relaxed")) {
    try {
      const peak = await loadPeak(impl as PeakBuild);
      const iters = 100_000;
      const r = await measure(s, "peak", () => { peak(iters, 0.999, 0.001); });
      out.push({ kind: "peak", id: "peak", impl, ...r, flops: peakFlops(iters) });
      log(impl, `peak ${(peakFlops(iters) / r.p50_ms / 1e6).toFixed(1)} GFLOP/s`);
    } catch (e) {
      errors.push(`peak: ${(e as Error).message}`);
    }
  }
  for (const { c, fn } of thunks) {
    const r = await measure(s, c.id, fn);
    out.push({ kind: "kernel", id: c.id, impl, ...r });
    log(impl, `${c.id} ${(r.p50_ms * 1000).toFixed(2)} µs`);
  }
  for (const m of models) {
    const net = nets.get(m.id)!;
    if (sel.epochs.includes(m.id)) {
      const r = await measure(s, `epoch/${m.id}`, net.epoch);
      out.push({ kind: "epoch", id: `epoch/${m.id}`, impl, ...r });
      log(impl, `epoch/${m.id} ${r.p50_ms.toFixed(3)} ms`);
    }
    if (sel.breakdown.includes(m.id)) {
      const b = inSitu(s, net.calls);
      b.perCall.forEach((ms, index) => {
        out.push({ kind: "breakdown", id: `breakdown/${m.id}`, impl, p50_ms: ms, samples: b.epochs, index, label: net.calls[index].label });
      });
      out.push({ kind: "breakdown", id: `breakdown/${m.id}`, impl, p50_ms: b.wall, samples: b.epochs, index: -1, label: "epoch" });
    }
  }
  // last, because each fit allocates a Network (a new wasm memory) and garbage
  for (const m of models) {
    const fit = nets.get(m.id)!.fit;
    if (fits && fit && sel.fit.includes(m.id)) {
      const ms = await fit();
      out.push({ kind: "fit", id: `fit/${m.id}`, impl, p50_ms: ms, samples: 1 });
      log(impl, `fit/${m.id} 1000 epochs ${ms.toFixed(0)} ms`);
    }
  }
  return { impl, measurements: out, errors };
}
