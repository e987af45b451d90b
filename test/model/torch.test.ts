// examples/onnx_to_torch.py, the way on to PyTorch: it loads a model trained here and exported to ONNX into
// a torch.nn.Sequential whose probabilities match predictProba on every digit, and trains it one epoch more.
// Needs Debian's python3-torch and python3-onnx: without them it says it is skipped and why (with CI=true,
// a failure).

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDigits, MLP } from "../../src/index.js";
import { inCi } from "../e2e/chromium.js";
import { ensureBuilt, ROOT, TRAIN } from "../robustness/helpers.js";

const PYTHON = "/usr/bin/python3";
const SCRIPT = join(ROOT, "examples/onnx_to_torch.py");

function problem(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} does not exist`;
  const r = spawnSync(PYTHON, ["-c", "import torch, onnx"], { encoding: "utf8" });
  if (r.status !== 0) return `${PYTHON} cannot import torch and onnx (${(r.stderr || r.error?.message || "").trim().split("\n").pop()})`;
  return undefined;
}
const missing = problem();
const skip = missing !== undefined && !inCi();
if (skip) process.stderr.write(`PyTorch test skipped: ${missing}; apt-get install python3-torch python3-onnx to run it. (With CI=true this fails.)\n`);

describe.skipIf(skip)("continue in PyTorch (examples/onnx_to_torch.py)", () => {
  let dir: string;
  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "wasm-mlp-torch-"));
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads the exported weights with predictProba's probabilities (within 1e-5 on all 1797 digits) and trains one more epoch", async () => {
    if (missing) throw new Error(`cannot run the PyTorch example: ${missing}; apt-get install python3-torch python3-onnx`);
    const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: dir, encoding: "utf8" });
    for (const [cmd, args] of [[process.execPath, [TRAIN, "--epochs", "300", "--save", "m.wmlp"]], [process.execPath, [join(ROOT, "dist/src/cli/export.js"), "--model", "m.wmlp"]]] as const) {
      const r = run(cmd, [...args]);
      expect(r.status, r.stderr).toBe(0);
    }
    const model = await MLP.fromBytes(readFileSync(join(dir, "m.wmlp")), { threads: 1 });
    const digits = await loadDigits();
    const P = model.predictProba(digits.X);
    model.dispose();
    writeFileSync(join(dir, "probs.csv"), Array.from({ length: digits.n }, (_, i) => Array.from(P.subarray(10 * i, 10 * i + 10)).join(",")).join("\n") + "\n");
    const r = run(PYTHON, [SCRIPT, "m.onnx", join(ROOT, "data/digits.csv.gz"), "--expect", "probs.csv", "--epochs", "1", "--out", "m.pt"]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(report.layers).toBe("64-32-10");
    expect(report.rows).toBe(1797);
    expect(report.max_abs_diff).toBeLessThan(1e-5);
    expect(report.accuracy_before).toBeGreaterThan(0.95);
    // one more epoch of Adam at a small rate goes on from where wasm-mlp stopped: no restart from scratch
    expect(report.loss_after).toBeLessThan(report.loss_before);
    expect(existsSync(join(dir, "m.pt"))).toBe(true);
  }, 120_000);
});
