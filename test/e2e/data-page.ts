// What the "Your data" view's Chromium tests (data-view, data-regress) share: the page built into a folder of
// their own, served, and the view opened in a page whose errors are collected.

import type { Browser, BrowserContext, Page } from "playwright-core";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../../scripts/serve.mjs";
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

/** Collects a page's uncaught errors and its console's errors into `errors`. */
export function watchErrors(p: Page, errors: string[]): Page {
  p.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  p.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  return p;
}

/** The page built, served, and its "Your data" view open in a page of its own context. */
export interface DataPage {
  readonly out: string;
  readonly server: Server;
  readonly base: string;
  readonly context: BrowserContext;
  readonly page: Page;
}

/**
 * Builds the page into a new temporary folder (named after `name`), serves it, and opens the "Your data" view
 * in a new context of `browser`, its errors going to `errors`. What it made is removed again if it fails.
 */
export async function startDataPage(browser: Browser, name: string, errors: string[]): Promise<DataPage> {
  const out = mkdtempSync(join(tmpdir(), `wasm-mlp-${name}-`));
  let server: Server | undefined;
  try {
    buildPage(out);
    const served = await serve(out, 0);
    server = served.server;
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
    const page = watchErrors(await context.newPage(), errors);
    await openView(page, served.url);
    return { out, server, base: served.url, context, page };
  } catch (e) {
    await stopServing(server, out);
    throw e;
  }
}

/** Stops serving the page and removes its folder (the browser, and so the context, stays the caller's). */
export async function stopDataPage(d: DataPage | undefined): Promise<void> {
  if (d) await stopServing(d.server, d.out);
}

async function stopServing(server: Server | undefined, out: string): Promise<void> {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  rmSync(out, { recursive: true, force: true });
}
