// The README's training curve, docs/images/training.svg, is current: the training CLI, run with the flags
// scripts/pictures.mjs uses, writes the same bytes today. Training is deterministic (the same bits on any
// thread count; the pinned SIMD build is the same on any CPU), so a difference means the chart, the
// training or the plot changed: `node scripts/pictures.mjs --svg-only` writes the new one. The screenshots
// are not checked here (they take a browser and show live speeds).

import { beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
// the flags and paths come from the script itself, so the test cannot drift from what made the picture
import { plotArgs, SVG } from "../scripts/pictures.mjs";
import { ensureBuilt, ROOT, TRAIN } from "./robustness/helpers.js";

function train(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TRAIN, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

beforeAll(() => ensureBuilt(), 240_000);

describe("README pictures", () => {
  it("docs/images/training.svg is what the training CLI draws today", async () => {
    expect(existsSync(SVG), `${relative(ROOT, SVG)} is missing: node scripts/pictures.mjs --svg-only`).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), "wasm-mlp-pictures-test-"));
    try {
      const out = join(dir, "training.svg");
      const r = await train(plotArgs(out));
      expect(r.code, r.output).toBe(0);
      const fresh = await readFile(out);
      const committed = readFileSync(SVG);
      // compare as text first, so a failure shows the first differing lines, then as bytes
      const stale = `${relative(ROOT, SVG)} is out of date; run node scripts/pictures.mjs --svg-only (or npm run pictures) and commit it`;
      expect(committed.toString("utf8"), stale).toBe(fresh.toString("utf8"));
      expect(committed.equals(fresh), stale).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the chart is the original's MLP on the digits, trained for the 1000 epochs it says", () => {
    const svg = readFileSync(SVG, "utf8");
    expect(svg).toContain("<title>MLP 64-32-10 on digits</title>");
    expect(svg).toMatch(/100 reports, epochs 0–990 · last: training 9\d\.\d %/);
  });
});
