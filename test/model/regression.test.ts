// Regression (task "regress"): linear outputs trained on the mean squared error of standardised targets.
// The library learns a known function, keeps the target scaling in its file, gives the same bits on 1, 2 and
// 3 threads, refuses wrong targets; the CLI trains from a table with one or several target columns, holds
// out a shuffle split, saves, and predict and evaluate read the model back.

import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MLP, type FitOptions, type RegressionReport } from "../../src/model/mlp.js";
import { DataError, UsageError } from "../../src/errors.js";
import { ensureBuilt, PREDICT, ROOT, TRAIN } from "../robustness/helpers.js";

/** n rows of 3 inputs in -2..2 and targets y1 = 3·x0 - 2·x1 + 50 (+ x2² with two targets: y2 = x2² · 10). */
function problem(n: number, outputs: 1 | 2, seed = 1, scale = 1): { X: Float32Array; y: Float32Array } {
  let s = seed;
  const rand = () => (((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 4 - 2) * scale;
  const X = new Float32Array(n * 3), y = new Float32Array(n * outputs);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) X[i * 3 + j] = rand();
    y[i * outputs] = 3 * X[i * 3] - 2 * X[i * 3 + 1] + 50;
    if (outputs === 2) y[i * 2 + 1] = X[i * 3 + 2] ** 2 * 10;
  }
  return { X, y };
}

function hash(model: MLP<"regress">, history: RegressionReport[]): string {
  const h = createHash("sha256"), p = model.getParams();
  for (const a of [...p.W, ...p.b]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  for (const r of history) h.update(new Float64Array([r.epoch, r.loss, r.rmse, r.mae, r.r2, r.test_loss ?? -1, r.test_r2 ?? -1]));
  return h.digest("hex");
}

describe("regression in the library", () => {
  it("learns a linear function, predicts in the targets' units, evaluates, and round-trips its file", async () => {
    const { X, y } = problem(400, 1), held = problem(100, 1, 7, 0.9);
    const model = await MLP.create({ layers: [3, 16, 1], task: "regress", seed: 3, threads: 1 });
    try {
      const s = model.fit(X, y, { epochs: 200, batch: 32, optimizer: "adam", lr: 0.01, every: 50, validation: { X: held.X, y: held.y } });
      expect(model.task).toBe("regress");
      expect(s.history.map((r) => r.epoch)).toEqual([0, 50, 100, 150]);
      expect(s.history[0].lr).toBe(0.01);
      expect(s.r2).toBeGreaterThan(0.99);
      expect(s.test_r2!).toBeGreaterThan(0.99);
      const p = model.predict(held.X);
      expect(p).toBeInstanceOf(Float32Array);
      expect(p.length).toBe(100);
      for (let i = 0; i < 100; i++) expect(Math.abs(p[i] - held.y[i])).toBeLessThan(1);
      const e = model.evaluate(held.X, held.y);
      expect(Object.keys(e).sort()).toEqual(["loss", "mae", "n", "r2", "rmse"]);
      expect(e.r2).toBeCloseTo(s.test_r2!, 10);
      expect(e.rmse).toBeCloseTo(s.test_rmse!, 10);
      const back = await MLP.fromBytes<"regress">(model.toBytes());
      expect(back.task).toBe("regress");
      expect(back.predict(held.X)).toEqual(p);
      back.dispose();
    } finally {
      model.dispose();
    }
  });

  it("fits several targets at once (R² averaged over them)", async () => {
    const { X, y } = problem(500, 2);
    const model = await MLP.create({ layers: [3, 32, 2], task: "regress", seed: 1, threads: 1 });
    const s = model.fit(X, y, { epochs: 150, batch: 32, optimizer: "adam", lr: 0.01 });
    expect(model.predict(X.subarray(0, 30)).length).toBe(20);
    expect(s.r2).toBeGreaterThan(0.95);
    model.dispose();
  });

  it("refuses labels, wrong lengths and non-finite targets; a regression model has one output or more", async () => {
    const { X, y } = problem(20, 1);
    const model = await MLP.create({ layers: [3, 4, 1], task: "regress", threads: 1 });
    expect(() => model.fit(X, new Uint8Array(20) as never)).toThrow(UsageError);
    expect(() => model.fit(X, y.subarray(0, 19))).toThrow(/20 rows of X but 19 target values/);
    expect(() => model.fit(X, Object.assign(y.slice(), { 3: NaN }))).toThrow(DataError);
    expect(() => model.predict(X)).toThrow(/untrained/);
    model.dispose();
    await expect(MLP.create({ layers: [3, 4, 1] })).rejects.toThrow(/2 to 255 classes/);
  });

  it.each(["simd", "relaxed", "scalar"] as const)("%s kernels: the same bits for 1, 2 and 3 threads", async (kernels) => {
    const { X, y } = problem(700, 2), held = problem(90, 2, 5, 0.9);
    const fit: FitOptions<"regress"> = { epochs: 4, every: 1, batch: 130, optimizer: "adam", lr: 0.01, validation: held };
    const hashes: string[] = [], ran: number[] = [];
    for (const threads of [1, 2, 3]) {
      const model = await MLP.create({ layers: [3, 40, 24, 2], task: "regress", seed: 9, kernels, threads });
      const s = model.fit(X, y, { ...fit, threads });
      hashes.push(hash(model, s.history));
      ran.push(s.threads);
      model.dispose();
    }
    expect(ran).toEqual([1, 2, 3]);
    expect(new Set(hashes).size).toBe(1);
  });

  it("a classifier's summary carries its history too (with the rate)", async () => {
    const { X, y } = problem(60, 1);
    const labels = Uint8Array.from(y, (v) => (v > 50 ? 1 : 0));
    const model = await MLP.create({ layers: [3, 4, 2], threads: 1 });
    const s = model.fit(X, labels, { epochs: 30, every: 10, lrSchedule: "step" });
    expect(s.history.map((r) => [r.epoch, r.lr])).toEqual([[0, 0.1], [10, 0.1], [20, 0.01]]);
    expect(s.history[0].accuracy).toBeGreaterThanOrEqual(0);
    model.dispose();
  });
});

describe("regression in the CLI", () => {
  it("trains on target columns by name, holds out a shuffle split, saves; predict and evaluate read it", async () => {
    await ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), "wasm-mlp-regress-"));
    const { X, y } = problem(300, 2);
    const rows = ["a,b,c,price,size"];
    for (let i = 0; i < 300; i++) rows.push([X[i * 3], X[i * 3 + 1], X[i * 3 + 2], y[i * 2], y[i * 2 + 1]].join(","));
    writeFileSync(join(dir, "t.csv"), rows.join("\n") + "\n");
    const model = join(dir, "m.wmlp");
    const run = (cmd: string, args: string[]) => spawnSync(process.execPath, [cmd, ...args], { cwd: ROOT, encoding: "utf8" });
    const t = run(TRAIN, ["--task", "regress", "--data", join(dir, "t.csv"), "--label", "price,size", "--test-split", "0.2", "--hidden", "32", "--epochs", "60", "--json", "--save", model, "--threads", "1"]);
    expect(t.status, t.stderr).toBe(0);
    const lines = t.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const summary = lines.at(-1);
    expect(lines[0]).toHaveProperty("rmse");
    expect(summary.samples).toBe(240);
    expect(summary.targets).toEqual(["price", "size"]);
    expect(summary.test_r2).toBeGreaterThan(0.5);
    expect(summary.history.length).toBe(6);
    const e = run(PREDICT, ["--evaluate", "--json", "--model", model, "--data", join(dir, "t.csv")]);
    expect(e.status, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).r2).toBeGreaterThan(0.5);
    const p = run(PREDICT, ["--model", model, "--data", join(dir, "t.csv")]);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout.split("\n")[0]).toMatch(/^row +1: price [-\d.]+ \(true [-\d.]+\) +size [-\d.]+ \(true [-\d.]+\)$/);
    expect(p.stdout).toMatch(/300 rows \| RMSE: .* \| R²: /);
  });
});
