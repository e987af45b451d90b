// The browser tests on a machine without a usable Chromium: skipped with one line saying why and how to
// enable them, so `npm test` passes; with CI=true the same machine fails the run. Runs vitest on the
// browser test file in a child process with CHROMIUM_PATH pointing at browsers that cannot run.

import { afterAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./robustness/helpers.js";
import { chromiumPath, inCi, DEFAULT_CHROMIUM } from "./e2e/chromium.js";

const dir = mkdtempSync(join(tmpdir(), "wasm-mlp-nobrowser-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const exits1 = join(dir, "chromium-exits-1");
writeFileSync(exits1, "#!/bin/sh\nexit 1\n");
chmodSync(exits1, 0o755);
const notExecutable = join(dir, "chromium-not-executable");
writeFileSync(notExecutable, "#!/bin/sh\nexit 0\n");
chmodSync(notExecutable, 0o644);

function vitestOnBrowserTests(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  // the child is a fresh vitest, not one of this run's workers
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|TEST$|NODE_ENV$|CI$)/.test(k)));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["node_modules/vitest/vitest.mjs", "run", "test/e2e/browser.test.ts", "--color=false"], {
      cwd: ROOT,
      env: { ...clean, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe.concurrent("browser tests without a usable Chromium", () => {
  it.each([
    ["is missing", "/nonexistent/chromium", /\/nonexistent\/chromium does not exist/],
    ["exits 1", exits1, /chromium-exits-1 did not start \(it exited with code 1\)/],
    ["is not executable", notExecutable, /chromium-not-executable is not executable/],
  ])("a browser that %s: skipped with one line saying why and how to enable them, and the run passes", async (_, path, why) => {
    const r = await vitestOnBrowserTests({ CHROMIUM_PATH: path });
    expect(r.code, r.out).toBe(0);
    const notes = r.out.split("\n").filter((l) => l.includes("browser tests skipped"));
    expect(notes, r.out).toHaveLength(1);
    expect(notes[0]).toMatch(why);
    expect(notes[0]).toContain("apt-get install chromium");
    expect(notes[0]).toContain("CHROMIUM_PATH");
    // every browser test skipped, none run
    expect(r.out).toMatch(/Tests\s+(\d+) skipped \(\1\)/);
  }, 60_000);

  it.each([
    ["is missing", "/nonexistent/chromium"],
    ["exits 1", exits1],
  ])("with CI=true, a browser that %s fails the run and says why", async (_, path) => {
    const r = await vitestOnBrowserTests({ CHROMIUM_PATH: path, CI: "true" });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toMatch(/CI=true and no usable browser: .*(does not exist|did not start)/);
    expect(r.out).not.toMatch(/browser tests skipped/);
  }, 60_000);

  it("CHROMIUM_PATH chooses the browser (Debian's by default); CI is true, 1 or yes", () => {
    expect(chromiumPath({})).toBe(DEFAULT_CHROMIUM);
    expect(chromiumPath({ CHROMIUM_PATH: "" })).toBe(DEFAULT_CHROMIUM);
    expect(chromiumPath({ CHROMIUM_PATH: "/opt/chrome" })).toBe("/opt/chrome");
    for (const v of ["true", "1", "TRUE", "yes"]) expect(inCi({ CI: v }), v).toBe(true);
    for (const v of [undefined, "", "false", "0"]) expect(inCi({ CI: v }), String(v)).toBe(false);
  });
});
