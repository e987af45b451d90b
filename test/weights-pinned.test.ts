// Training results pinned bit for bit. The kernels get faster (packed GEMM, a step sliced for the cache,
// threads), but every weight gradient is still summed over the rows in the same order with the same
// operations, so the trained weights and every report must stay exactly those of the plain kernels.
//
// The fixture (test/fixtures/weights-pinned.json) holds, per config and kernel build, the SHA-256 of the
// trained weights (W1, b1, W2, b2, ... as little-endian f32) and of the reports (epoch, accuracy, loss as
// f64). It was written by this file at commit 3c77699 (the 4x8 register-blocked kernels, before the packed
// GEMM), on V8 11.3 / x86-64, with PIN_WEIGHTS=1 npx vitest run test/weights-pinned.test.ts. The relaxed
// build's figures hold on engines that fuse relaxed_madd (x86-64 with FMA); scalar and simd hold anywhere.

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDigits, type Dataset } from "../src/data/datasets.js";
import { KERNEL_BUILDS, type KernelBuild } from "../src/engine/kernels.js";
import { MLP, type FitOptions, type MLPOptions, type Report } from "../src/model/mlp.js";

const FIXTURE = new URL("./fixtures/weights-pinned.json", import.meta.url);
const PIN = process.env.PIN_WEIGHTS === "1";

interface Config {
  name: string;
  create: Omit<MLPOptions, "kernels">;
  fit: FitOptions;
}

const CONFIGS: Config[] = [
  { name: "original MLP 64-32-10, 1000 full-batch epochs", create: { layers: [64, 32, 10], seed: 42 }, fit: { epochs: 1000, every: 100 } },
  { name: "original SLP 64-10, 1000 full-batch epochs", create: { layers: [64, 10], seed: 42, normalize: "global" }, fit: { epochs: 1000, every: 100 } },
  { name: "MLP 64-256-256-10, 5 full-batch epochs", create: { layers: [64, 256, 256, 10], seed: 42 }, fit: { epochs: 5, every: 1 } },
  { name: "odd widths 64-300-13-10, 4 full-batch epochs", create: { layers: [64, 300, 13, 10], seed: 5, init: "he" }, fit: { epochs: 4, every: 1 } },
  { name: "mini-batches of 64, Adam, 64-32-10, 2 epochs", create: { layers: [64, 32, 10], seed: 3 }, fit: { epochs: 2, every: 1, batch: 64, optimizer: "adam" } },
  {
    name: "mini-batches of 100, momentum, 64-24-12-10, 3 epochs",
    create: { layers: [64, 24, 12, 10], seed: 1234, init: "xavier" },
    fit: { epochs: 3, every: 1, batch: 100, optimizer: "momentum", lr: 0.05 },
  },
  { name: "mini-batches of 500, SGD, 64-130-10, 3 epochs", create: { layers: [64, 130, 10], seed: 11 }, fit: { epochs: 3, every: 1, batch: 500 } },
];

type Pinned = Record<string, Record<KernelBuild, { weights: string; reports: string }>>;

function sha256(parts: ArrayBufferView[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return h.digest("hex");
}

function reportsHash(reports: Report[]): string {
  return sha256(reports.map((r) => new Float64Array([r.epoch, r.accuracy, r.loss])));
}

let data: Dataset;
const pinned: Pinned = PIN ? {} : JSON.parse(readFileSync(FIXTURE, "utf8")).pinned;

beforeAll(async () => {
  data = await loadDigits();
});

afterAll(() => {
  if (!PIN) return;
  const doc = {
    about: "SHA-256 of trained weights and reports per config and kernel build; see test/weights-pinned.test.ts for provenance",
    pinned,
  };
  writeFileSync(FIXTURE, JSON.stringify(doc, null, 2) + "\n");
});

describe.each(CONFIGS)("$name", (cfg) => {
  it.each(KERNEL_BUILDS)("%s kernels: weights and reports as pinned", async (build) => {
    const model = await MLP.create({ ...cfg.create, kernels: build });
    const reports: Report[] = [];
    model.fit(data.X, data.y, { ...cfg.fit, onReport: (r) => reports.push(r) });
    const p = model.getParams();
    const got = { weights: sha256(p.W.flatMap((w, l) => [w, p.b[l]])), reports: reportsHash(reports) };
    model.dispose();
    if (PIN) {
      (pinned[cfg.name] ??= {} as Pinned[string])[build] = got;
      return;
    }
    expect(got).toEqual(pinned[cfg.name]?.[build]);
  });
});
