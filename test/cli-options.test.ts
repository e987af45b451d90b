// The training options beyond the original's, and predict / evaluate on a saved model, as a user runs them.

import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name: string) => join(root, "dist/src/cli", name);
const dir = mkdtempSync(join(tmpdir(), "wasm-mlp-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(tool: string, args: string[]) {
  const r = spawnSync(process.execPath, [bin(tool), ...args], { cwd: root, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: () => r.stdout.trim().split("\n").map((l) => JSON.parse(l)) };
}

describe("train options", () => {
  it("--test-split: reports gain held-out metrics and the summary a 10x10 confusion matrix of the held-out rows", () => {
    const r = run("train.js", ["--epochs", "200", "--every", "100", "--test-split", "0.2", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out.slice(0, 2).every((o) => typeof o.test_accuracy === "number" && typeof o.test_loss === "number")).toBe(true);
    const s = out[2];
    expect(s.confusion).toHaveLength(10);
    expect(s.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(359); // round(0.2 * class size), summed
    const diag = s.confusion.reduce((a: number, row: number[], i: number) => a + row[i], 0);
    expect(diag / 359).toBeCloseTo(s.test_accuracy, 5);
    expect(s.precision).toHaveLength(10);
    expect(s.recall).toHaveLength(10);
    expect(s.test_accuracy).toBeGreaterThan(0.9);
  });

  it("without --test-split the original's output is unchanged (no held-out fields)", () => {
    const out = run("train.js", ["--epochs", "101", "--json"]).json();
    expect(Object.keys(out[0]).sort()).toEqual(["accuracy", "epoch", "loss"]);
    expect(out[2].confusion).toBeUndefined();
  });

  it("mini-batches, Adam, momentum, deeper networks and other inits all learn", () => {
    for (const args of [
      ["--batch", "64", "--optimizer", "adam", "--epochs", "15"],
      ["--batch", "32", "--optimizer", "momentum", "--lr", "0.01", "--epochs", "15"],
      ["--hidden", "48,24", "--init", "he", "--epochs", "300"],
      ["--model", "slp", "--init", "xavier", "--batch", "100", "--epochs", "30"],
    ]) {
      const r = run("train.js", [...args, "--every", "1000", "--json"]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      const s = r.json().at(-1);
      expect(s.accuracy, args.join(" ")).toBeGreaterThan(0.95);
    }
    expect(run("train.js", ["--hidden", "48,24", "--epochs", "1", "--json"]).json().at(-1).layers).toEqual([64, 48, 24, 10]);
  });

  it("--patience stops early and says which epoch's weights it kept", () => {
    const r = run("train.js", ["--test-split", "0.2", "--batch", "32", "--optimizer", "adam", "--lr", "0.01", "--hidden", "64", "--epochs", "500", "--patience", "5"]);
    expect(r.code, r.stderr).toBe(0);
    const m = /(\d+) epochs in/.exec(r.stdout)!;
    expect(Number(m[1])).toBeLessThan(500);
    expect(r.stdout).toMatch(/Early stopping kept the weights of epoch \d+/);
  });

  it("--data trains on a user's CSV with a header, its own feature and class counts", () => {
    // three Gaussian blobs in 3-D, labels 0..2
    let csv = "a,b,c,class\n";
    let s = 1;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
    for (let i = 0; i < 300; i++) {
      const k = i % 3;
      csv += `${k * 3 + rand()},${-k * 2 + rand()},${rand()},${k}\n`;
    }
    const file = join(dir, "blobs.csv.gz");
    writeFileSync(file, gzipSync(csv));
    const r = run("train.js", ["--data", file, "--hidden", "8", "--epochs", "200", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const summary = r.json().at(-1);
    expect(summary.layers).toEqual([3, 8, 3]);
    expect(summary.samples).toBe(300);
    expect(summary.accuracy).toBeGreaterThan(0.98);
  });

  it("--plot writes an SVG chart; --save writes a model that predict and evaluate read", () => {
    const svg = join(dir, "curve.svg"), model = join(dir, "m.wmlp");
    const r = run("train.js", ["--epochs", "300", "--every", "50", "--test-split", "0.2", "--plot", svg, "--save", model]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(svg, "utf8");
    expect(text).toMatch(/<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(text).toMatch(/held-out/i);
    expect(readFileSync(model).subarray(0, 4).toString()).toBe("WMLP");

    // five digits rows from the data, with and without labels
    const rows = readFileSync(join(root, "data/digits.csv.gz"));
    const lines = spawnSync("gzip", ["-dc"], { input: rows }).stdout.toString().split("\n").slice(0, 5);
    const labelled = join(dir, "rows.csv"), bare = join(dir, "bare.csv");
    writeFileSync(labelled, lines.join("\n") + "\n");
    writeFileSync(bare, lines.map((l) => l.split(",").slice(0, 64).join(",")).join("\n") + "\n");

    const p = run("predict.js", ["--model", model, "--data", bare, "--json"]);
    expect(p.code, p.stderr).toBe(0);
    const preds = p.json();
    expect(preds).toHaveLength(5);
    for (const o of preds) {
      expect(o.probabilities).toHaveLength(10);
      expect(o.probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 4);
      expect(o.label).toBe(o.probabilities.indexOf(Math.max(...o.probabilities)));
    }
    expect(preds.map((o) => o.label)).toEqual([0, 1, 2, 3, 4]); // the data's first five rows are 0..4

    const pl = run("predict.js", ["--model", model, "--data", labelled, "--json"]).json();
    expect(pl.at(-1).accuracy).toBe(1);

    const e = run("predict.js", ["--evaluate", "--model", model, "--data", labelled]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/5 rows \| Acc: 100\.0%/);
    expect(e.stdout).toMatch(/precision/);

    // pixels outside the range the model was trained on are refused, naming the file and line
    writeFileSync(bare, lines[0].split(",").slice(0, 63).join(",") + ",255\n");
    const bad = run("predict.js", ["--model", model, "--data", bare]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(new RegExp(`bare\\.csv:1: column 64 is 255, outside 0\\.\\.16$`));
    expect(existsSync(model)).toBe(true);
  });
});
