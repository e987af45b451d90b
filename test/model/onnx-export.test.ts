// Models trained here, exported to ONNX and run by ONNX Runtime (onnxruntime-web's wasm backend, in Node):
// the probabilities match predictProba within 1e-5 on every row of the digits, and the labels its argmax,
// for 1, 2 and 3 hidden layers and each normalisation; and `wasm-mlp export` writes such a file from a
// saved model.

import * as ort from "onnxruntime-web";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDigits, MLP, type Dataset } from "../../src/index.js";
import { ensureBuilt, ROOT, TRAIN } from "../robustness/helpers.js";

ort.env.wasm.numThreads = 1;
const TOLERANCE = 1e-5;

let digits: Dataset;
beforeAll(async () => {
  digits = await loadDigits();
});

/** ONNX Runtime's outputs for the rows of X. */
async function runOrt(bytes: Uint8Array, X: Float32Array, n: number, F: number) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ input: new ort.Tensor("float32", X, [n, F]) });
    return { proba: out.probabilities.data as Float32Array, label: out.label.data as BigInt64Array };
  } finally {
    await session.release();
  }
}

/** The largest difference of any probability, after checking every label is the argmax of ORT's probabilities and predict's label. */
function compare(got: { proba: Float32Array; label: BigInt64Array }, want: Float32Array, labels: Uint8Array, C: number): number {
  expect(got.proba.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got.proba[i] - want[i]));
  let agree = 0;
  for (let r = 0; r < labels.length; r++) agree += Number(got.label[r]) === labels[r] ? 1 : 0;
  // where two classes tie within float noise the argmax may differ; anywhere else it must not
  expect(agree).toBeGreaterThanOrEqual(labels.length - 1);
  return worst;
}

describe("ONNX export of trained models, run by ONNX Runtime", () => {
  const configs = [[16], [24, 12], [20, 16, 12]].flatMap((hidden) => (["feature", "global"] as const).map((normalize) => ({ hidden, normalize })));
  it.each(configs)("hidden $hidden, $normalize standardisation: every digit's probabilities within 1e-5 of predictProba", async ({ hidden, normalize }) => {
    const layers = [64, ...hidden, 10];
    const model = await MLP.create({ layers, seed: 3, normalize, threads: 1 });
    try {
      model.fit(digits.X, digits.y, { epochs: 30, batch: 64, optimizer: "adam", lr: 0.01 });
      const bytes = model.toOnnx();
      const worst = compare(await runOrt(bytes, digits.X, digits.n, 64), model.predictProba(digits.X), model.predict(digits.X), 10);
      expect(worst).toBeLessThan(TOLERANCE);
    } finally {
      model.dispose();
    }
  });
});

describe("every hidden activation exports: ONNX Runtime gives predictProba's probabilities", () => {
  it.each(["leaky_relu", "tanh", "sigmoid", "gelu"] as const)("%s, two hidden layers: within 1e-5 on every digit", async (activation) => {
    const model = await MLP.create({ layers: [64, 24, 12, 10], seed: 5, activation, threads: 1 });
    try {
      model.fit(digits.X, digits.y, { epochs: 20, batch: 64, optimizer: "adam", lr: 0.01 });
      const again = await MLP.fromBytes(model.toBytes(), { threads: 1 });
      expect(again.activation).toBe(activation);
      expect(Array.from(again.predictProba(digits.X))).toEqual(Array.from(model.predictProba(digits.X)));
      again.dispose();
      const worst = compare(await runOrt(model.toOnnx(), digits.X, digits.n, 64), model.predictProba(digits.X), model.predict(digits.X), 10);
      expect(worst).toBeLessThan(TOLERANCE);
    } finally {
      model.dispose();
    }
  });
});

describe("wasm-mlp export", () => {
  let dir: string;
  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "wasm-mlp-export-"));
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cli = (script: string, args: string[]) => spawnSync(process.execPath, [join(ROOT, "dist/src/cli", script), ...args], { cwd: dir, encoding: "utf8" });

  it("writes an ONNX file beside the model that ONNX Runtime runs with the model's predictions", async () => {
    const trained = spawnSync(process.execPath, [TRAIN, "--epochs", "100", "--save", "m.wmlp"], { cwd: dir, encoding: "utf8" });
    expect(trained.status, trained.stderr).toBe(0);
    const r = cli("wasm-mlp.js", ["export", "--model", "m.wmlp"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Wrote m\.onnx \(ONNX, opset 13, 64-32-10, \d+ bytes\)\n$/);
    const model = await MLP.fromBytes(readFileSync(join(dir, "m.wmlp")), { threads: 1 });
    const worst = compare(await runOrt(readFileSync(join(dir, "m.onnx")), digits.X, digits.n, 64), model.predictProba(digits.X), model.predict(digits.X), 10);
    expect(worst).toBeLessThan(TOLERANCE);
    model.dispose();
  });

  it("refuses a missing model, an unknown format and a destination it cannot write, in one line each", () => {
    const cases: [string[], RegExp][] = [
      [["--model", "none.wmlp"], /^export: .*none\.wmlp/],
      [["--model", "m.wmlp", "--to", "keras"], /^export: --to must be one of onnx, tfjs, got "keras"\n$/],
      [["--model", "m.wmlp", "--out", "no/such/dir/m.onnx"], /^export: --out no\/such\/dir\/m\.onnx: the directory .* does not exist\n$/],
      [["--out", "x.onnx"], /^export: --model FILE is required\n$/],
    ];
    for (const [args, err] of cases) {
      const r = cli("export.js", args);
      expect(r.status, args.join(" ")).not.toBe(0);
      expect(r.stderr).toMatch(err);
      expect(r.stdout).toBe("");
    }
  });
});

describe("a regression model's ONNX export, run by ONNX Runtime", () => {
  it.each([[1, "relu"], [2, "tanh"]] as const)("%i target(s), %s: \"prediction\" within 1e-5 (relative) of predict on every row, in the targets' units", async (targets, activation) => {
    // targets from the digits' pixels, in units far from 0..1 so that the unscaling matters
    const n = digits.n, Y = new Float32Array(n * targets);
    for (let i = 0; i < n; i++) for (let j = 0; j < targets; j++) Y[i * targets + j] = 1000 + 37 * digits.X[i * 64 + 20 + j] - 11 * digits.X[i * 64 + 43];
    const model = await MLP.create<"regress">({ task: "regress", layers: [64, 16, targets], seed: 4, activation, threads: 1 });
    try {
      model.fit(digits.X, Y, { epochs: 20, batch: 64, optimizer: "adam", lr: 0.01 });
      const session = await ort.InferenceSession.create(model.toOnnx());
      const out = await session.run({ input: new ort.Tensor("float32", digits.X, [n, 64]) });
      await session.release();
      expect(Object.keys(out)).toEqual(["prediction"]);
      const got = out.prediction.data as Float32Array, want = model.predict(digits.X);
      expect(got.length).toBe(n * targets);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
      expect(worst).toBeLessThan(TOLERANCE);
    } finally {
      model.dispose();
    }
  });
});
