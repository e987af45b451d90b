// The training step run on the plain TypeScript twins (src/reference/kernels.ts: the bench's baseline) agrees
// with the same step on the wasm kernels: the twins sum in f64, so not bit for bit, but every report and
// weight within float32 rounding after a few epochs (STEP_TOLERANCE, which the bench checks too), for full
// batch and mini-batches with each optimiser.

import { beforeAll, describe, expect, it } from "vitest";
import { loadDigits, type Dataset } from "../src/data/datasets.js";
import { compileKernels } from "../src/engine/kernels.js";
import { initParams } from "../src/model/init.js";
import { applyNormalization, fitNormalization, oneHot } from "../src/model/normalize.js";
import { Network, type Stats } from "../src/engine/network.js";
import { DEFAULT_OPTIMIZER, type OptimizerKind } from "../src/engine/optimizers.js";
import { MT19937 } from "../src/data/mt19937.js";
import { referenceKernels } from "./reference/kernels.js";
import { stepDifference, stepDisagreement } from "./reference/tolerance.js";

let data: Dataset;
beforeAll(async () => {
  data = await loadDigits();
});

async function run(layers: number[], batch: number, optimizer: OptimizerKind, reference: boolean) {
  const shape = { layers, train: data.n, batch, eval: 0, optimizer };
  const net = new Network(await compileKernels("simd"), shape, reference ? { wrap: (_, memory) => referenceKernels(memory) } : {});
  net.setTrain(applyNormalization(fitNormalization(data.X, data.n, 64, "feature"), data.X, data.n, 64), oneHot(data.y, 10));
  net.setParams(initParams(layers, 42));
  const opt = { ...DEFAULT_OPTIMIZER, kind: optimizer, lr: optimizer === "adam" ? 0.001 : 0.1 };
  const rng = batch < data.n ? new MT19937(1) : undefined, stats: Stats[] = [];
  for (let e = 0; e < 4; e++) {
    const s = { correct: 0, loss: 0 };
    net.epoch(opt, rng, s);
    stats.push(s);
  }
  return { stats, params: net.getParams() };
}

describe("the step on the TypeScript twins", () => {
  it.each([
    [[64, 32, 10], 1797, "sgd"],
    [[64, 24, 12, 10], 100, "momentum"],
    [[64, 32, 10], 64, "adam"],
  ] as const)("%j, batch %i, %s: the same reports and weights as the wasm kernels", async (layers, batch, optimizer) => {
    const [w, r] = await Promise.all([run([...layers], batch, optimizer, false), run([...layers], batch, optimizer, true)]);
    const d = stepDifference(r, w);
    expect(stepDisagreement(d)).toBeUndefined();
    expect(d.weight).toBeGreaterThan(0); // f64 sums: not the same bits
  });
});
