// Check before timing (as llm.c's dev/cpu/matmul_forward.c does): before any worker times anything, every
// selected kernel case runs once on each selected build and its outputs are compared with the TypeScript
// twin's at the kernel tests' tolerance, and every selected workload runs one epoch of the real step on
// each build against the same epoch on the twins (referenceKernels through Network's wrap), within the
// tolerance test/reference-kernels.test.ts asserts. The twin's result is computed once per case and
// compared with every build. A failure posts no number: run.ts prints what failed and exits non-zero.
//
// WASM_MLP_BENCH_CORRUPT=REGEX adds 1 to the first output of every check whose id matches before it is
// compared: how the smoke test proves that a wrong kernel stops the bench.

import { compileKernels, type CompiledKernels, type KernelBuild } from "../src/engine/kernels.js";
import type { Params } from "../src/model/init.js";
import type { Stats } from "../src/engine/network.js";
import { compare, stepDifference, stepDisagreement } from "../test/reference/tolerance.js";
import { caseArrays, placeCases, type KernelCase } from "./cases.js";
import { SLICES, runsWorkload, trainedWorkloads, type Impl, type Selection } from "./plan.js";
import { epochOf, network, twins, type Data, type NetworkOptions, type Workload } from "./workloads.js";

export interface CheckResult {
  /** Checks run: (case or workload or slice size) × build. */
  checks: number;
  failures: string[];
  /** One line for the report. */
  summary: string;
}

const corrupt = process.env.WASM_MLP_BENCH_CORRUPT ? new RegExp(process.env.WASM_MLP_BENCH_CORRUPT) : undefined;
const tamper = (id: string, a: Float32Array) => {
  if (corrupt?.test(id)) a[0] += 1;
};

/** The case's outputs on one build, compared with the twin's; a description of the worst miss, if any. */
function checkCase(c: KernelCase, kernels: CompiledKernels, expected: ReturnType<KernelCase["expect"]>): string | undefined {
  const { arena, ptrs } = placeCases(kernels, [c]);
  c.wasm(arena.raw, ptrs[0])();
  for (const e of expected) {
    const got = arena.view(arena.layout.get(`${c.id}:${e.tensor}`)).slice();
    tamper(c.id, got);
    const r = compare(got, e.want, e.tol);
    if (r.ratio > 1) {
      return `${e.tensor}[${r.index}] = ${r.got}, the twin's ${r.want}: |error| ${Math.abs(r.got - r.want)} > tolerance ${r.tol}`;
    }
  }
  return undefined;
}

/** One epoch with stats, and the parameters after it. */
function oneEpoch(kernels: CompiledKernels, w: Workload, data: Data, opts: NetworkOptions): { stats: Stats[]; params: Params } {
  const net = network(kernels, w, data, opts), stats: Stats = { correct: 0, loss: 0 };
  epochOf(net, w)(stats);
  return { stats: [stats], params: net.getParams() };
}

function checkWorkloads(sel: Selection, builds: Map<KernelBuild, CompiledKernels>, data: Map<string, Data>, fail: (m: string) => void): number {
  let checks = 0;
  for (const w of trainedWorkloads(sel)) {
    // the original MLP is also checked at every slice size the slice table times
    const slices = sel.slices && w.id === "mlp" ? SLICES : [];
    const runs = [...builds].filter(([b]) => runsWorkload(b, w.small));
    if (!runs.length) continue;
    const d = data.get(w.data)!, twin = oneEpoch(runs[0][1], w, d, { wrap: twins });
    for (const [build, kernels] of runs) {
      for (const sliceRows of [undefined, ...slices]) {
        const id = sliceRows === undefined ? `epoch/${w.id}` : `slices/${sliceRows}`, got = oneEpoch(kernels, w, d, { sliceRows });
        tamper(id, got.params.W[0]);
        const bad = stepDisagreement(stepDifference(twin, got));
        if (bad) fail(`${build} ${id} (${w.name}), one epoch against the step on the twins: ${bad}`);
        checks++;
      }
    }
  }
  return checks;
}

function summarise(checks: number, cases: number, sel: Selection, builds: string[]): string {
  const workloads = trainedWorkloads(sel).length;
  if (!builds.length) return "check: nothing to check (the TypeScript twins are the reference)";
  const what = [cases ? `${cases} kernel case${cases > 1 ? "s" : ""}` : "", workloads ? `${workloads} epoch workload${workloads > 1 ? "s" : ""}` : ""];
  const slices = sel.slices ? ", the original MLP also at every slice size" : "";
  return `check: all ${checks} cases agree with their TypeScript twins (${what.filter(Boolean).join(" and ")}${slices}; on ${builds.join(", ")}), before any timing`;
}

export async function runChecks(sel: Selection, impls: readonly Impl[], data: Map<string, Data>, progress: (m: string) => void): Promise<CheckResult> {
  const failures: string[] = [], fail = (m: string) => failures.push(m);
  const builds = new Map<KernelBuild, CompiledKernels>();
  for (const impl of impls) {
    if (impl === "ts") continue;
    try {
      builds.set(impl, await compileKernels(impl));
    } catch (e) {
      progress(`check: skipping the ${impl} build: ${(e as Error).message}`); // its worker reports the error
    }
  }
  let checks = 0;
  for (const c of builds.size ? sel.cases : []) {
    const expected = c.expect(caseArrays(c));
    for (const [build, kernels] of builds) {
      const bad = checkCase(c, kernels, expected);
      if (bad) fail(`${build} ${c.id} (${c.kernel} ${c.shape}): ${bad}`);
      checks++;
    }
  }
  checks += checkWorkloads(sel, builds, data, fail);
  return { checks, failures, summary: summarise(checks, sel.cases.length, sel, [...builds.keys()]) };
}
