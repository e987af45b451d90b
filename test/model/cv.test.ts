// Cross-validation: folds dealt by a seeded shuffle (per class for labels: each fold holds about 1/K of every
// class), K models each measured on its own held-out fold, and the mean and standard deviation of the figures.

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { loadDigits } from "../../src/data/datasets.js";
import { crossValidate, foldOf } from "../../src/model/cv.js";
import { MLP } from "../../src/model/mlp.js";
import { ensureBuilt, ROOT, TRAIN } from "../robustness/helpers.js";

describe("crossValidate", () => {
  it("stratified folds: every class spread over the folds to within one row, the same for the same seed", () => {
    const y = Uint8Array.from({ length: 103 }, (_, i) => (i * 7) % 3);
    const fold = foldOf(103, 4, 42, y);
    for (let c = 0; c < 3; c++) {
      const counts = [0, 0, 0, 0];
      for (let i = 0; i < 103; i++) if (y[i] === c) counts[fold[i]]++;
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
    expect(foldOf(103, 4, 42, y)).toEqual(fold);
    expect(foldOf(103, 4, 43, y)).not.toEqual(fold);
  });

  it("classifies the digits on 3 folds: each fold's held-out accuracy, their mean and std", async () => {
    const d = await loadDigits();
    const cv = await crossValidate(d.X, d.y, { folds: 3, create: () => MLP.create({ layers: [64, 16, 10], threads: 1 }), fit: { epochs: 150, every: 50 } });
    expect(cv.folds.map((f) => f.test)).toEqual([599, 599, 599]);
    expect(cv.folds.map((f) => f.train)).toEqual([1198, 1198, 1198]);
    for (const f of cv.folds) expect(f.figures.accuracy).toBeGreaterThan(0.8);
    const acc = cv.folds.map((f) => f.figures.accuracy), mean = acc.reduce((a, b) => a + b) / 3;
    expect(cv.mean.accuracy).toBeCloseTo(mean, 12);
    expect(cv.std.accuracy).toBeCloseTo(Math.sqrt(acc.reduce((a, b) => a + (b - mean) ** 2, 0) / 3), 12);
  });

  it("regression: rmse, mae, r2 and loss per fold", async () => {
    const n = 120, X = Float32Array.from({ length: n * 2 }, (_, i) => Math.sin(i * 1.7)), y = Float32Array.from({ length: n }, (_, i) => 4 * X[2 * i] - X[2 * i + 1]);
    const cv = await crossValidate(X, y, { folds: 4, create: () => MLP.create({ layers: [2, 8, 1], task: "regress", threads: 1 }), fit: { epochs: 100, batch: 16, optimizer: "adam", lr: 0.01 } });
    expect(Object.keys(cv.mean).sort()).toEqual(["loss", "mae", "r2", "rmse"]);
    expect(cv.folds.reduce((a, f) => a + f.test, 0)).toBe(n);
    expect(cv.mean.r2).toBeGreaterThan(0.9);
  });

  it("--cv K in the CLI prints each fold and the mean ± std", async () => {
    await ensureBuilt();
    const r = spawnSync(process.execPath, [TRAIN, "--cv", "3", "--epochs", "30", "--hidden", "8", "--threads", "1"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 3).map((l) => l.slice(0, 8))).toEqual(["Fold 1/3", "Fold 2/3", "Fold 3/3"]);
    expect(lines[3]).toMatch(/^Mean of 3 folds \(± population std\) \| accuracy: 0\.\d{4} ± 0\.\d{4} \| loss: /);
    const bad = spawnSync(process.execPath, [TRAIN, "--cv", "3", "--test-split", "0.2"], { cwd: ROOT, encoding: "utf8" });
    expect(bad.status).toBe(2);
  });
});
