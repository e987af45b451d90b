// `npm run train` and the other scripts that build first: one Node process that checks for stale outputs,
// then runs the tool itself (scripts/run.mjs), instead of a build process and then the tool's.

import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { ensureBuilt, ROOT } from "./robustness/helpers.js";
import { cleanCopy } from "./packed.js";

const scripts: Record<string, string> = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts;
const noSpawn = join(ROOT, "test/fixtures/no-spawn-preload.mjs");

function run(args: string[], nodeArgs: string[] = []) {
  const r = spawnSync(process.execPath, [...nodeArgs, "scripts/run.mjs", ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => ensureBuilt(), 240_000);

describe("npm scripts that build first", () => {
  it.each(["train", "test", "bench", "predict", "evaluate", "export", "build:web"])("%s is one node command through scripts/run.mjs", (name) => {
    expect(scripts[name]).toMatch(/^node scripts\/run\.mjs \S+/);
    expect(scripts[name]).not.toMatch(/&&|;|\|/);
  });

  it("with nothing stale, train runs in the same process: no child process at all", () => {
    const r = run(["dist/src/cli/train.js", "--epochs", "2", "--json"], ["--import", noSpawn]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim().split("\n").at(-1)!).epochs).toBe(2);
  });

  it("passes the arguments and the exit code through", () => {
    const bad = run(["dist/src/cli/train.js", "--epochs", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^train: --epochs must be between 1 and/);
    const evaluate = run(["dist/src/cli/predict.js", "--evaluate", "--help"]);
    expect(evaluate.code).toBe(0);
    expect(evaluate.stdout).toMatch(/^Usage: wasm-mlp evaluate .*\n.*npm run evaluate/);
  });

  it("on a fresh clone the first run says on stderr that it builds, then trains (stdout stays the tool's)", () => {
    const dir = mkdtempSync(join(tmpdir(), "wasm-mlp-first-run-"));
    try {
      const copy = cleanCopy(dir);
      const r = spawnSync(process.execPath, ["scripts/run.mjs", "dist/src/cli/train.js", "--epochs", "2", "--json"], { cwd: copy, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^wasm-mlp: building the kernels and the host \(only after a change\)\.\.\.\nwasm-mlp: built in \d+\.\d s\n$/);
      expect(JSON.parse(r.stdout.trim().split("\n").at(-1)!).epochs).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
