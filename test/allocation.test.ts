// The epoch loop allocates nothing: wasm memory keeps its buffer and size (it cannot grow), and the JS heap
// gains no bytes per epoch. Measured in a plain Node process (fixtures/alloc-probe.mjs, which explains how),
// away from the test runner's own allocations: bytes per epoch come from the difference between windows of
// N and 2N epochs with no GC in them, exact to the byte, so one 16-byte object an epoch fails the test while
// the machine's load (late compiles, other processes) only makes the probe run a few more rounds.
// Epochs must add 0 bytes, full batch or mini-batches (the network makes the view of the row order it hands
// the shuffle once, not per epoch). An epoch that reports (sums loss and accuracy) may also have its loss boxed by V8
// (16 bytes) in a tier short of TurboFan; a probe that ends in such a tier is run again, in a new process.

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { KERNEL_BUILDS } from "../src/engine/kernels.js";

const probe = fileURLToPath(new URL("fixtures/alloc-probe.mjs", import.meta.url));

/** Runs the probe; again in a fresh process (up to 3 runs) while it finds more than allowed, as a V8 tier may box. */
function probeRun(build: string, batch: string, optimizer: string): { out: Probe; runs: Probe[] } {
  const runs: Probe[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    // --single-threaded: compiles finish synchronously, so tier-up does not wait on a busy machine
    const r = spawnSync(process.execPath, ["--expose-gc", "--single-threaded", probe, build, batch, optimizer], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Probe;
    runs.push(out);
    if (out.plain.best <= out.allowed && out.reporting.best <= out.allowed + out.numberBox) return { out, runs };
  }
  return { out: runs[runs.length - 1], runs };
}

interface Measure {
  best: number;
  windows: number[];
  rounds: number;
  clean: number;
  gcs: number;
}

interface Probe {
  viewBytes: number;
  allowed: number;
  numberBox: number;
  plain: Measure;
  reporting: Measure;
  sameBuffer: boolean;
  sameSize: boolean;
  loss: number;
}

describe.each(KERNEL_BUILDS)("%s build", (build) => {
  it.each([
    ["full-batch sgd", "full", "sgd"],
    ["mini-batch adam", "16", "adam"],
    ["mini-batch momentum", "8", "momentum"],
  ] as const)("%s: no allocation in the epoch loop", (_, batch, optimizer) => {
    const { out, runs } = probeRun(build, batch, optimizer);
    const ctx = JSON.stringify(runs);
    expect(out.sameBuffer).toBe(true);
    expect(out.sameSize).toBe(true);
    expect(out.loss).toBeGreaterThan(0);
    // a view was seen to cost bytes, and rounds without a GC or noise were measured
    expect(out.viewBytes, ctx).toBeGreaterThan(0);
    expect(out.allowed, ctx).toBe(0);
    expect(out.plain.clean, ctx).toBeGreaterThan(0);
    expect(out.reporting.clean, ctx).toBeGreaterThan(0);
    expect(out.plain.best, ctx).toBeLessThanOrEqual(out.allowed);
    expect(out.reporting.best, ctx).toBeLessThanOrEqual(out.allowed + out.numberBox);
  });
});
