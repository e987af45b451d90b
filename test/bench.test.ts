// npm run bench, smoke-tested on a kernel case and a small workload: it checks both against their TypeScript
// twins before timing, times every implementation in its own process, and reports real numbers; a case
// that disagrees with its twin stops it before anything is timed. (Speed itself is measured by the bench,
// not asserted here.)

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { autoOverBest, type Count, type Run } from "../bench/busy.js";
import { parseSettings } from "../bench/plan.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const FILTER = "^sgd/2080$|^epoch/slp$";

function bench(env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ["dist/bench/run.js", "--quick", "--json", "--filter", FILTER], { cwd: root, encoding: "utf8", env: { ...process.env, ...env } });
}

it("bench --quick --json checks a kernel and an epoch against their twins, then times them on ts, scalar, simd and relaxed", () => {
  const r = bench();
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.errors).toEqual([]);
  expect(out.checks.failures).toEqual([]);
  expect(out.checks.count).toBe(6); // the case and the workload on each of the three builds
  for (const id of ["sgd/2080", "epoch/slp"]) {
    const m = out.measurements.filter((x: { id: string }) => x.id === id);
    expect(m.map((x: { impl: string }) => x.impl).sort()).toEqual(["relaxed", "scalar", "simd", "ts"]);
    for (const x of m) {
      expect(x.ms).toBeGreaterThan(0);
      expect(x.basis).toBe("cpu");
      expect(Number.isFinite(id === "sgd/2080" ? x.gbps : x.gflops)).toBe(true);
    }
  }
});

it("a case that disagrees with its twin stops the bench before any timing, with a non-zero exit", () => {
  const r = bench({ WASM_MLP_BENCH_CORRUPT: "^sgd/2080$" });
  expect(r.status).toBe(1);
  const out = JSON.parse(r.stdout);
  expect(out.checks.failures).toHaveLength(3);
  expect(out.checks.failures[0]).toMatch(/^scalar sgd\/2080 .*W\[0\]/);
  expect(out.measurements).toEqual([]);
});

describe("--busy (what --threads auto does beside busy processes; run by hand, as it loads the machine)", () => {
  it("is a mode of its own, with rounds from --pairs (at least 1), and refuses to be combined with another", () => {
    const s = parseSettings(["--busy", "--pairs", "1", "--filter", "digits"]);
    expect([s.mode, s.pairs, s.filterText]).toEqual(["busy", 1, "digits"]);
    expect(() => parseSettings(["--busy", "--vs-numpy"])).toThrow(/separate runs/);
    expect(() => parseSettings(["--vs-numpy", "--pairs", "1"])).toThrow(/--pairs/);
  });

  it("rates each round by auto's time over the faster fixed count's in that round", () => {
    const run = (round: number, threads: Count, train_ms: number): Run => ({ workload: "digits", busy: 1, round, threads, train_ms, busy_epochs: 0, ran_on: 2 });
    const runs = [run(0, "auto", 450), run(0, "1", 400), run(0, "all", 560), run(1, "all", 250), run(1, "auto", 275), run(1, "1", 390)];
    expect(autoOverBest(runs)).toEqual([450 / 400, 275 / 250]);
  });

  it("says which workloads there are when the filter matches none, and exits 2 without starting a busy process", () => {
    const r = spawnSync(process.execPath, ["dist/bench/run.js", "--busy", "--filter", "nothing-like-this"], { cwd: root, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("matches no workload (digits, mnist)");
  });
});
