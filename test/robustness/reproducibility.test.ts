// Same seed, data and flags give bit-identical weights: across CLI runs, between the CLI and the library
// API, on every build; and scalar == simd bit-for-bit (same arithmetic in the same order), while relaxed SIMD
// (fused multiply-add where the engine likes) only has to agree with itself.
//
// No hash is hard-coded: the point is equality across runs, processes and paths. The SHA-256 is taken over
// the weights alone (W1, b1, W2, b2, ... as little-endian f32), so it does not depend on the file format.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { readFile } from "node:fs/promises";
import { decodeModel } from "../../src/model/modelfile.js";
import { loadDigits } from "../../src/data/datasets.js";
import { MLP, type FitOptions, type MLPOptions } from "../../src/model/mlp.js";
import type { KernelBuild } from "../../src/engine/kernels.js";
import type { Params } from "../../src/model/init.js";
import { ensureBuilt, sha256, tempDir, train, removeTempDirs } from "./helpers.js";

afterAll(removeTempDirs);

const BUILDS: KernelBuild[] = ["scalar", "simd", "relaxed"];

function weightsHash(p: Params): string {
  const parts: Buffer[] = [];
  p.W.forEach((w, l) => parts.push(Buffer.from(w.buffer, w.byteOffset, w.byteLength), Buffer.from(p.b[l].buffer, p.b[l].byteOffset, p.b[l].byteLength)));
  return sha256(Buffer.concat(parts));
}

interface Config {
  name: string;
  cli: string[];
  create: Omit<MLPOptions, "kernels">;
  fit: FitOptions;
}

// the CLI on the bundled digits normalises per feature for the MLP (see train.ts)
const CONFIGS: Config[] = [
  {
    name: "full-batch SGD (the original's training)",
    cli: ["--epochs", "25", "--hidden", "16", "--seed", "7"],
    create: { layers: [64, 16, 10], seed: 7, normalize: "feature" },
    fit: { epochs: 25 },
  },
  {
    name: "shuffled mini-batches, momentum, two hidden layers, He init",
    cli: ["--epochs", "4", "--hidden", "24,12", "--seed", "1234", "--batch", "100", "--optimizer", "momentum", "--lr", "0.05", "--init", "he"],
    create: { layers: [64, 24, 12, 10], seed: 1234, normalize: "feature", init: "he" },
    fit: { epochs: 4, batch: 100, optimizer: "momentum", lr: 0.05 },
  },
  {
    name: "Adam, mini-batches",
    cli: ["--epochs", "3", "--hidden", "20", "--seed", "99", "--batch", "64", "--optimizer", "adam"],
    create: { layers: [64, 20, 10], seed: 99, normalize: "feature" },
    fit: { epochs: 3, batch: 64, optimizer: "adam" },
  },
];

describe.concurrent("reproducibility", () => {
  let dir: string;
  /** CLI-saved bytes by "config:build:run" (two runs each for the first config). */
  const cliBytes = new Map<string, Buffer>();
  const saved = (ci: number, build: KernelBuild, run = 0) => {
    const b = cliBytes.get(`${ci}:${build}:${run}`);
    if (!b) throw new Error(`no CLI run ${ci}:${build}:${run}`);
    return b;
  };

  beforeAll(async () => {
    await ensureBuilt();
    dir = await tempDir();
    const jobs: Promise<void>[] = [];
    for (const [ci, cfg] of CONFIGS.entries()) {
      for (const build of BUILDS) {
        const runs = ci === 0 ? 2 : 1;
        for (let run = 0; run < runs; run++) {
          jobs.push(
            (async () => {
              const file = join(dir, `c${ci}-${build}-${run}.wmlp`);
              const r = await train([...cfg.cli, "--kernels", build, "--save", file, "--json"]);
              expect(r.code, r.stderr).toBe(0);
              cliBytes.set(`${ci}:${build}:${run}`, await readFile(file));
            })(),
          );
        }
      }
    }
    await Promise.all(jobs);
  }, 120_000);

  it.each(BUILDS)("%s: two CLI runs save bit-identical model files", (build) => {
    const a = saved(0, build, 0), b = saved(0, build, 1);
    expect(a.length).toBeGreaterThan(0);
    expect(a.equals(b)).toBe(true);
    expect(weightsHash(decodeModel(a).params)).toBe(weightsHash(decodeModel(b).params));
  });

  for (const [ci, cfg] of CONFIGS.entries()) {
    it.each(BUILDS)(`%s: the library API gives the CLI's exact bytes — ${cfg.name}`, async (build) => {
      const data = await loadDigits();
      const model = await MLP.create({ ...cfg.create, kernels: build });
      model.fit(data.X, data.y, cfg.fit);
      const lib = Buffer.from(model.toBytes());
      const cli = saved(ci, build);
      expect(weightsHash(model.getParams())).toBe(weightsHash(decodeModel(cli).params));
      expect(lib.equals(cli)).toBe(true);
      // and the library agrees with itself in one process (fresh model, same everything)
      const again = await MLP.create({ ...cfg.create, kernels: build });
      again.fit(data.X, data.y, cfg.fit);
      expect(weightsHash(again.getParams())).toBe(weightsHash(model.getParams()));
    });

    it(`scalar and simd are bit-identical; relaxed is reported — ${cfg.name}`, () => {
      const h = Object.fromEntries(BUILDS.map((b) => [b, weightsHash(decodeModel(saved(ci, b)).params)]));
      expect(h.scalar).toBe(h.simd);
      expect(saved(ci, "scalar").equals(saved(ci, "simd"))).toBe(true);
      console.info(`${cfg.name}: sha256(weights) scalar=simd=${h.scalar.slice(0, 16)}…, relaxed ${h.relaxed === h.scalar ? "equal" : `differs (${h.relaxed.slice(0, 16)}…)`}`);
    });
  }

  it("reporting does not change the weights (onReport every epoch vs none)", async () => {
    const data = await loadDigits();
    const a = await MLP.create({ layers: [64, 16, 10], seed: 5, kernels: "simd" });
    const b = await MLP.create({ layers: [64, 16, 10], seed: 5, kernels: "simd" });
    a.fit(data.X, data.y, { epochs: 6, batch: 200 });
    b.fit(data.X, data.y, { epochs: 6, batch: 200, every: 1, onReport: () => {}, onEpoch: () => {} });
    expect(weightsHash(a.getParams())).toBe(weightsHash(b.getParams()));
  });

  it("a different seed gives different weights (the hash can tell)", async () => {
    const data = await loadDigits();
    const a = await MLP.create({ layers: [64, 16, 10], seed: 7, normalize: "feature", kernels: "scalar" });
    a.fit(data.X, data.y, { epochs: 25 });
    const cli = decodeModel(saved(0, "scalar")).params;
    expect(weightsHash(a.getParams())).toBe(weightsHash(cli));
    const c = await MLP.create({ layers: [64, 16, 10], seed: 8, normalize: "feature", kernels: "scalar" });
    c.fit(data.X, data.y, { epochs: 25 });
    expect(weightsHash(c.getParams())).not.toBe(weightsHash(cli));
  });
});
