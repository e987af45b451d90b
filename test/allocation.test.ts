// The epoch loop allocates nothing: wasm memory keeps its buffer and size (it cannot grow), the JS heap
// is flat after a GC, and the young generation takes only what V8 itself allocates around calls into wasm:
// measured here at about 80 bytes an epoch plus 8 a mini-batch step, with no object of ours (the bound
// allows 100 + 32 a step). Run in a plain Node process (fixtures/alloc-probe.mjs), away from the test
// runner's own allocations. An object per kernel call (13 calls a step, 16+ bytes each) is 200+ a step.

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { KERNEL_BUILDS } from "../src/engine/kernels.js";

const probe = fileURLToPath(new URL("fixtures/alloc-probe.mjs", import.meta.url));

describe.each(KERNEL_BUILDS)("%s build", (build) => {
  it.each([
    ["full-batch sgd", "full", "sgd", build === "scalar" ? 200 : 600],
    ["mini-batch adam", "128", "adam", 40],
    ["mini-batch momentum", "64", "momentum", 20],
  ] as const)("%s: no allocation in the epoch loop", (_, batch, optimizer, epochs) => {
    const r = spawnSync(process.execPath, ["--expose-gc", probe, build, batch, optimizer, String(epochs)], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.sameBuffer).toBe(true);
    expect(out.sameSize).toBe(true);
    expect(out.loss).toBeGreaterThan(0);
    expect(out.retained).toBeLessThan(32 * 1024);
    expect(out.youngPerEpoch, JSON.stringify(out)).toBeLessThan(100 + 32 * out.steps);
  });
});
