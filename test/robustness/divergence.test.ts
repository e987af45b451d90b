// Training that diverges (--lr 1e4 on the digits): stop at once, name the epoch, suggest a smaller learning
// rate, exit non-zero, and save nothing: a model already at --save (and a chart at --plot) stays as it was.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { DivergenceError } from "../../src/errors.js";
import { loadDigits } from "../../src/data/datasets.js";
import { MLP } from "../../src/model/mlp.js";
import { ensureBuilt, expectUntouched, expectUserError, lines, listDir, plantFile, tempDir, train, removeTempDirs } from "./helpers.js";

afterAll(removeTempDirs);

describe("MLP.fit (library)", () => {
  it.each(["scalar", "simd", "relaxed"] as const)("%s: --lr 1e4 throws DivergenceError naming the epoch, weights unchanged", async (kernels) => {
    const data = await loadDigits();
    const m = await MLP.create({ layers: [64, 32, 10], seed: 42, kernels });
    const before = m.getParams();
    const reports: number[] = [];
    let err: unknown;
    try {
      m.fit(data.X, data.y, { epochs: 50, lr: 1e4, every: 1, onReport: (r) => reports.push(r.loss) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DivergenceError);
    const msg = (err as Error).message;
    const epoch = Number(/epoch (\d+)/.exec(msg)?.[1]);
    expect(msg).toMatch(/smaller learning rate/);
    expect(msg).toContain("10000");
    // stopped at once: the epoch named is the last one that ran, and every earlier loss was finite
    expect(reports.length).toBe(epoch + 1);
    expect(reports.slice(0, epoch).every(Number.isFinite)).toBe(true);
    expect(epoch).toBeLessThan(50);
    // "leaving the model's weights as they were"
    expect(m.getParams()).toEqual(before);
    // and still untrained: it says so rather than answer with its initial weights
    expect(() => m.predict(data.X)).toThrow(/untrained/);
  });

  it("momentum and a tiny data set diverge the same way", async () => {
    const X = new Float32Array(40 * 4).map((_, i) => (i * 37) % 17);
    const y = new Uint8Array(40).map((_, i) => i % 2);
    const m = await MLP.create({ layers: [4, 8, 2], seed: 1, kernels: "simd" });
    expect(() => m.fit(X, y, { epochs: 200, lr: 1e5, optimizer: "momentum" })).toThrow(DivergenceError);
  });
});

describe.concurrent("CLI: a diverged run", () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it("--lr 1e4 --json --every 1: one line naming the epoch and a smaller rate; nothing saved or plotted", async () => {
    const dir = await tempDir();
    const existing = await plantFile(join(dir, "model.wmlp"), "WMLP-the-good-model");
    const chart = await plantFile(join(dir, "curve.svg"), "<svg>the good chart</svg>");
    const before = await listDir(dir);
    const r = await train(["--lr", "1e4", "--epochs", "200", "--every", "1", "--json", "--save", "model.wmlp", "--plot", "curve.svg"], { cwd: dir });
    const line = expectUserError(r, { tool: "train", code: 1, mentions: [/diverged at epoch \d+/, /NaN|infinite/, /smaller learning rate/, "10000"] });
    const epoch = Number(/epoch (\d+)/.exec(line)![1]);
    // stopped at once: the last report is the epoch named, and the run did not go on to 200
    const reports = lines(r.stdout).map((l) => JSON.parse(l));
    expect(reports.length).toBe(epoch + 1);
    expect(reports.at(-1).epoch).toBe(epoch);
    expect(reports.every((x) => !("train_ms" in x))).toBe(true);
    await expectUntouched(existing);
    await expectUntouched(chart);
    expect(await listDir(dir)).toEqual(before);
  });

  it("default output: the same, and the exit is non-zero with no summary", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "x"), "");
    const existing = await plantFile(join(dir, "model.wmlp"), "WMLP-the-good-model");
    const r = await train(["--lr", "1e4", "--epochs", "200", "--save", "model.wmlp"], { cwd: dir });
    expectUserError(r, { tool: "train", code: 1, mentions: [/epoch \d+/, /learning rate/] });
    await expectUntouched(existing);
    expect(await listDir(dir)).toEqual(["model.wmlp", "x"]);
  });
});
