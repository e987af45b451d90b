// npm run bench, smoke-tested on a kernel case and a small workload: it checks both against their TypeScript
// twins before timing, times every implementation in its own process, and reports real numbers; a case
// that disagrees with its twin stops it before anything is timed. (Speed itself is measured by the bench,
// not asserted here.)

import { expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

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
