// Activations, weight decay and dropout keep what sets the project apart: the same bits for any thread
// count, scalar and SIMD builds bit-identical, and nothing changed when they are off.

import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDigits, MLP, type Dataset, type FitOptions } from "../../src/index.js";
import type { ActivationKind } from "../../src/engine/activations.js";

let digits: Dataset;
beforeAll(async () => {
  digits = await loadDigits();
});

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** The model file's hash after a short fit. */
async function trained(create: { activation?: ActivationKind; kernels?: "scalar" | "simd"; threads?: number }, fit: FitOptions): Promise<string> {
  const model = await MLP.create({ layers: [64, 20, 13, 10], seed: 11, threads: create.threads ?? 1, ...create });
  try {
    model.fit(digits.X, digits.y, { epochs: 6, ...fit });
    return sha(model.toBytes());
  } finally {
    model.dispose();
  }
}

describe("the same bits", () => {
  it.each(["sgd", "momentum", "adam"] as const)("%s with dropout and weight decay: 1, 2 and 3 threads give byte-identical model files", async (optimizer) => {
    const fit: FitOptions = { optimizer, batch: 100, dropout: 0.3, weightDecay: 0.01, lr: optimizer === "adam" ? 0.01 : 0.1 };
    const hashes = await Promise.all([1, 2, 3].map((threads) => trained({ threads: 3 }, { ...fit, threads })));
    expect(new Set(hashes).size).toBe(1);
  });

  it.each(["relu", "leaky_relu", "tanh", "sigmoid", "gelu"] as const)("%s with dropout: the scalar and SIMD builds give byte-identical model files", async (activation) => {
    const fit: FitOptions = { optimizer: "adam", lr: 0.01, batch: 64, dropout: 0.25, weightDecay: 0.001 };
    expect(await trained({ activation, kernels: "scalar" }, fit)).toBe(await trained({ activation, kernels: "simd" }, fit));
  });

  it("dropout 0 and weight decay 0 are today's training, bit for bit; each on its own changes it", async () => {
    const base = await trained({}, { batch: 128 });
    expect(await trained({}, { batch: 128, dropout: 0, weightDecay: 0 })).toBe(base);
    expect(await trained({}, { batch: 128, dropout: 0.1 })).not.toBe(base);
    expect(await trained({}, { batch: 128, weightDecay: 0.01 })).not.toBe(base);
  });
});

describe("what they do", () => {
  it("weight decay keeps the weights smaller; dropout is off in predict (the same probabilities every call)", async () => {
    const norm = async (weightDecay: number) => {
      const model = await MLP.create({ layers: [64, 32, 10], seed: 3, threads: 1 });
      model.fit(digits.X, digits.y, { epochs: 30, optimizer: "adam", lr: 0.01, batch: 64, weightDecay, dropout: 0.2 });
      const p1 = model.predictProba(digits.X), p2 = model.predictProba(digits.X);
      expect(Array.from(p1)).toEqual(Array.from(p2));
      const { W } = model.getParams();
      model.dispose();
      return W.reduce((s, w) => s + w.reduce((t, v) => t + v * v, 0), 0);
    };
    expect(await norm(0.5)).toBeLessThan(0.8 * (await norm(0)));
  });

  it("refuses a dropout of 1 or more, a negative weight decay and an unknown activation, saying what is allowed", async () => {
    const model = await MLP.create({ layers: [64, 8, 10], threads: 1 });
    expect(() => model.fit(digits.X, digits.y, { dropout: 1 })).toThrow(/fit: dropout must be a number from 0 up to \(not including\) 1, got 1/);
    expect(() => model.fit(digits.X, digits.y, { weightDecay: -1 })).toThrow(/fit: weightDecay must be/);
    await expect(MLP.create({ layers: [64, 8, 10], activation: "swish" as ActivationKind })).rejects.toThrow(/MLP.create: activation must be "relu", "leaky_relu", "tanh", "sigmoid" or "gelu", got "swish"/);
    model.dispose();
  });
});
