// What the "Your data" view's Chromium tests (data-view, data-regress) share: the page built into a folder of
// their own, and the view opened in a page.

import type { Page } from "playwright-core";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { KERNEL_BUILDS } from "../../src/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Builds the page into `out` (the kernels first, if they were never built). */
export function buildPage(out: string): void {
  const node = (args: string[]) => {
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8" });
    expect(r.status, `${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
  };
  if (!KERNEL_BUILDS.every((b) => existsSync(join(root, "build", `kernels.${b}.wasm`)))) node(["scripts/build.mjs", "--if-stale"]);
  node([join(root, "node_modules", "vite", "bin", "vite.js"), "build", "--config", "web/vite.config.ts", "--outDir", out, "--emptyOutDir", "--logLevel", "warn"]);
  expect(existsSync(join(out, "index.html"))).toBe(true);
}

/** Opens the "Your data" view of the page served at `base` in `p`, and waits until its script runs. */
export async function openView(p: Page, base: string): Promise<void> {
  await p.goto(base);
  await p.click("#data-view");
  await p.waitForSelector("#your-data:not([hidden])");
  // the view's script has started once the saved-models list is filled
  await p.waitForSelector("#saved-models li");
}
