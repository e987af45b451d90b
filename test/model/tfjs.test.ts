// TF.js Layers export: @tensorflow/tfjs's own loadLayersModel reads the files, and its predictions match
// predictProba within 1e-5 on every digit, for each hidden activation and each normalisation (the
// standardisation is folded into the first layer).

import * as tf from "@tensorflow/tfjs";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, ROOT } from "../robustness/helpers.js";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDigits, MLP, type Dataset } from "../../src/index.js";
import { encodeTfjs } from "../../src/model/tfjs.js";
import type { ActivationKind } from "../../src/engine/activations.js";

let digits: Dataset;
beforeAll(async () => {
  await tf.setBackend("cpu");
  digits = await loadDigits();
});

async function tfjsProba(files: { modelJson: string; weights: Uint8Array }, X: Float32Array, n: number): Promise<Float32Array> {
  const json = JSON.parse(files.modelJson);
  expect(json.format).toBe("layers-model");
  expect(json.weightsManifest[0].paths).toEqual(["weights.bin"]);
  const weightData = files.weights.buffer.slice(files.weights.byteOffset, files.weights.byteOffset + files.weights.byteLength);
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
  const out = model.predict(tf.tensor2d(X, [n, X.length / n])) as tf.Tensor;
  const p = out.dataSync() as Float32Array;
  out.dispose();
  model.dispose();
  return p;
}

describe("TF.js Layers export, read by @tensorflow/tfjs", () => {
  const configs: [ActivationKind, "feature" | "global"][] = [["relu", "feature"], ["relu", "global"], ["leaky_relu", "feature"], ["tanh", "feature"], ["sigmoid", "global"]];
  it.each(configs)("%s, %s standardisation: every digit's probabilities within 1e-5 of predictProba", async (activation, normalize) => {
    const model = await MLP.create({ layers: [64, 24, 12, 10], seed: 5, activation, normalize, threads: 1 });
    try {
      model.fit(digits.X, digits.y, { epochs: 20, batch: 64, optimizer: "adam", lr: 0.01 });
      const { W, b } = model.getParams();
      const got = await tfjsProba(encodeTfjs({ layers: model.layers, W, b, normalization: model.normalization, activation }), digits.X, digits.n);
      const want = model.predictProba(digits.X);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      model.dispose();
    }
  });

  it.each([[[64, 16, 2]], [[64, 1]]])("a regression model %j (targets' unscaling folded into the last layer): predictions within 1e-5 (relative) of predict", async (layers) => {
    const n = digits.n, T = layers[layers.length - 1], Y = new Float32Array(n * T);
    for (let i = 0; i < n; i++) for (let j = 0; j < T; j++) Y[i * T + j] = 1000 + 37 * digits.X[i * 64 + 20 + j] - 11 * digits.X[i * 64 + 43];
    const model = await MLP.create<"regress">({ task: "regress", layers, seed: 4, threads: 1 });
    try {
      model.fit(digits.X, Y, { epochs: 20, batch: 64, optimizer: "adam", lr: 0.01 });
      const { W, b } = model.getParams();
      const got = await tfjsProba(encodeTfjs({ layers, W, b, normalization: model.normalization, targets: model.targetScaling }), digits.X, n);
      const want = model.predict(digits.X);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      model.dispose();
    }
  });

  it("refuses gelu, which TF.js has no matching layer for, saying to use ONNX", () => {
    const W = [new Float32Array(6), new Float32Array(6)], b = [new Float32Array(2), new Float32Array(3)];
    expect(() => encodeTfjs({ layers: [3, 2, 3], W, b, activation: "gelu" })).toThrow(/no GELU .* export it to ONNX instead/);
  });

  it("`wasm-mlp export --to tfjs` writes a folder that tf.loadLayersModel reads, with the model's predictions", async () => {
    await ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), "wasm-mlp-tfjs-"));
    try {
      const run = (script: string, args: string[]) => spawnSync(process.execPath, [join(ROOT, "dist/src/cli", script), ...args], { cwd: dir, encoding: "utf8" });
      const trained = run("train.js", ["--epochs", "100", "--activation", "tanh", "--save", "m.wmlp"]);
      expect(trained.status, trained.stderr).toBe(0);
      const r = run("wasm-mlp.js", ["export", "--model", "m.wmlp", "--to", "tfjs"]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Wrote m-tfjs\/model\.json and weights\.bin \(TF\.js Layers, 64-32-10, \d+ bytes of weights\)\n$/);
      const weights = readFileSync(join(dir, "m-tfjs", "weights.bin"));
      const got = await tfjsProba({ modelJson: readFileSync(join(dir, "m-tfjs", "model.json"), "utf8"), weights }, digits.X, digits.n);
      const model = await MLP.fromBytes(readFileSync(join(dir, "m.wmlp")), { threads: 1 });
      const want = model.predictProba(digits.X);
      model.dispose();
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
