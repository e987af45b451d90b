// The README's pictures, made by the project's own tools (issue 24):
//
//   docs/images/training.svg   the training CLI's --plot of the original's MLP on the digits (1000 epochs,
//                              seed 42, see plotArgs); deterministic: test/pictures.test.ts checks it is current
//   docs/images/page.png       the demo page on a desktop (1280 wide) after training: settings, chart,
//                              confusion matrix
//   docs/images/page-phone.png the same on a phone (390 wide): the chart and the confusion matrix
//
//   node scripts/pictures.mjs              all three
//   node scripts/pictures.mjs --svg-only   the SVG only (no browser needed)
//
// Builds what is stale first (as `node scripts/build.mjs --if-stale`), builds the page with vite into a
// temporary folder (not dist/web, which the browser test and `npm run demo` use), serves it cross-origin
// isolated on 127.0.0.1 with scripts/serve.mjs, and drives Debian's /usr/bin/chromium, or the binary named
// by CHROMIUM_PATH, headless through playwright-core; nothing here downloads a browser. The screenshots show
// live numbers (speed, threads), so they differ from run to run; the SVG does not.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { runIfMain } from "./main.mjs";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const IMAGES = join(ROOT, "docs", "images");
export const SVG = join(IMAGES, "training.svg");
export const TRAIN = join(ROOT, "dist", "src", "cli", "train.js");

/**
 * The training CLI's arguments for the committed chart, writing it to `out`: the original's MLP (64-32-10,
 * lr 0.1, the defaults) for 1000 epochs from seed 42, spelled out so a change of default does not silently
 * change the picture. A report every 10 epochs, as the page charts them: every 100 (the CLI's default)
 * draws a straight line from epoch 0 to 100 and stops at 900 on an axis to 1000. The SIMD build, not
 * `auto`: scalar and SIMD give the same bits on every engine and CPU, relaxed SIMD may round differently
 * on another machine. Any thread count gives the same bits.
 */
export function plotArgs(out) {
  return ["--epochs", "1000", "--every", "10", "--seed", "42", "--kernels", "simd", "--plot", out];
}

const show = (file) => `${relative(ROOT, file)} (${(statSync(file).size / 1024).toFixed(1)} KB)`;

/** Runs the CLI into `out`; throws with its output if it fails. */
function trainInto(out, extra = []) {
  const r = spawnSync(process.execPath, [TRAIN, ...plotArgs(out), ...extra], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`train.js ${plotArgs(out).join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/**
 * Writes docs/images/training.svg: trains twice, with the automatic thread count and with one thread, and
 * refuses to write a chart that is not the same bytes both times.
 */
function makeSvg() {
  const tmp = mkdtempSync(join(tmpdir(), "wasm-mlp-pictures-"));
  try {
    const a = join(tmp, "a.svg"), b = join(tmp, "b.svg");
    trainInto(a);
    trainInto(b, ["--threads", "1"]);
    const bytes = readFileSync(a);
    if (!bytes.equals(readFileSync(b))) throw new Error("the chart differs between two runs (threads auto and 1); not writing it");
    const before = (() => { try { return readFileSync(SVG); } catch { return undefined; } })();
    writeFileSync(SVG, bytes);
    console.log(`wrote ${show(SVG)}: byte-identical over two runs (threads auto and 1)${before?.equals(bytes) ? ", unchanged" : before ? ", changed" : ""}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Builds the page into `out` with the demo's vite config (as `npm run build:web`, another folder). */
async function buildPage(out) {
  const vite = await import("vite");
  await vite.build({ configFile: join(ROOT, "web", "vite.config.ts"), logLevel: "warn", build: { outDir: out, emptyOutDir: true } });
}

/** Trains on the page with its own defaults (the original's MLP, 1000 epochs) and waits for the result. */
async function trainOnPage(page, url) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById("status")?.textContent?.startsWith("Ready"), undefined, { timeout: 60_000 });
  if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error("the page is not cross-origin isolated");
  await page.click("#train-button");
  // the last thing the page does when a run ends: the weights' hash on <body> (web/main.ts, onDone)
  await page.waitForSelector("body[data-weights-sha256]", { timeout: 120_000 });
  // the chart draws on the next animation frame; let it, and the fonts, settle
  await page.evaluate(() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))));
  if (errors.length) throw new Error(`the page reported errors:\n${errors.join("\n")}`);
  return page.textContent("#final");
}

/** A screenshot of the page from `top` down to `bottom` (elements), written through a temporary file. */
async function shoot(page, file, topSel, bottomSel, pad) {
  const top = await page.locator(topSel).boundingBox();
  const bottom = await page.locator(bottomSel).boundingBox();
  const width = page.viewportSize().width;
  const y = Math.max(0, Math.floor(top.y - pad));
  const clip = { x: 0, y, width, height: Math.ceil(bottom.y + bottom.height + pad) - y };
  const tmp = `${file}.tmp`;
  await page.screenshot({ path: tmp, type: "png", clip, fullPage: true, animations: "disabled", caret: "hide" });
  renameSync(tmp, file);
  console.log(`wrote ${show(file)}: ${clip.width}x${clip.height} CSS px`);
}

async function makeScreenshots() {
  const { withServedPage } = await import("./chromium.mjs");
  const web = mkdtempSync(join(tmpdir(), "wasm-mlp-pictures-web-"));
  try {
    await buildPage(web);
    await withServedPage(web, async (browser, url) => {
      // desktop: the header and the whole training card (settings, stats, chart, accuracy, confusion matrix)
      const desktop = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
      console.log(`desktop: ${await trainOnPage(desktop, url)}`);
      await shoot(desktop, join(IMAGES, "page.png"), "nav.views", "#train", 8);
      // phone: from the stats to the confusion matrix (the settings above it are a long column of fields)
      const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
      console.log(`phone:   ${await trainOnPage(phone, url)}`);
      await shoot(phone, join(IMAGES, "page-phone.png"), "#train .progress-panel", "#result", 12);
    });
  } finally {
    rmSync(web, { recursive: true, force: true });
  }
}

async function main(argv) {
  const unknown = argv.filter((a) => a !== "--svg-only");
  if (unknown.length) throw new Error(`unknown argument ${unknown[0]}; usage: node scripts/pictures.mjs [--svg-only]`);
  const { build } = await import("./build.mjs");
  await build({ ifStale: true, say: (line) => console.log(line) });
  mkdirSync(IMAGES, { recursive: true });
  makeSvg();
  if (!argv.includes("--svg-only")) await makeScreenshots();
}

await runIfMain(import.meta.url, main);
