// npm run bench, smoke-tested: it runs every implementation in its own process and reports real numbers.
// (Speed itself is measured by the bench, not asserted here.)

import { expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

it("bench --quick --json measures a kernel on ts, scalar, simd and relaxed", () => {
  const r = spawnSync(process.execPath, ["dist/bench/run.js", "--quick", "--json", "--filter", "^sgd/"], { cwd: root, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.errors).toEqual([]);
  const m = out.measurements.filter((x: { id: string }) => x.id === "sgd/2048");
  expect(m.map((x: { impl: string }) => x.impl).sort()).toEqual(["relaxed", "scalar", "simd", "ts"]);
  for (const x of m) {
    expect(x.p50_us).toBeGreaterThan(0);
    expect(Number.isFinite(x.gbps)).toBe(true);
  }
});
