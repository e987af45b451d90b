// Screenshots of each step of the demo page's "Your data" view, for the README (issue 23). GENERATED: do not
// edit the images by hand; make them again with
//
//   npm run build:web                      the page, into dist/web (this script builds nothing)
//   node scripts/screenshots.mjs [--web DIR]
//
// which writes docs/images/data-view/STEP-desktop.png (1280 px wide) and STEP-phone.png (390 px wide) for
// the steps: 1-choose (the empty view), 2-columns (data/iris.csv read: its columns and kinds), 3-training
// (a run in progress: stats and live chart), 4-confusion (the held-out confusion matrix), 4-regression
// (a regression's predicted-vs-true plot, on a table of house prices made here), 5-predictions (the
// predictions table for a second file) and 6-saved (the models saved in the browser). Each is cropped to its
// step's part of the page. It serves the built page (dist/web, or --web DIR) cross-origin isolated with
// scripts/serve.mjs and drives Debian's /usr/bin/chromium, or the binary named by CHROMIUM_PATH, headless
// through playwright-core; nothing here downloads a browser. Live numbers (speed, threads, dates) differ
// from run to run.

import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runIfMain } from "./main.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const OUT = join(ROOT, "docs", "images", "data-view");
const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };
/** Tallest crop, in CSS px: a long step (the columns of a wide table) is cut there. */
const MAX_HEIGHT = { desktop: 900, phone: 1100 };

const IRIS = readFileSync(join(ROOT, "data", "iris.csv"));

/** A table of house prices (seeded): area, rooms, district (words), price. */
function houses(n, seed) {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const lines = ["area,rooms,district,price"];
  for (let i = 0; i < n; i++) {
    const area = Math.round(40 + 110 * rnd()), rooms = 1 + Math.floor(rnd() * 5);
    const price = 30 + 2.2 * area + 12 * rooms + [0, 45, -20][i % 3] + 0.01 * (area - 90) ** 2 + 16 * (rnd() - 0.5);
    lines.push(`${area},${rooms},${["north", "river", "south"][i % 3]},${price.toFixed(1)}`);
  }
  return Buffer.from(lines.join("\n") + "\n");
}

const show = (file) => `${relative(ROOT, file)} (${(statSync(file).size / 1024).toFixed(1)} KB)`;
const settle = (page) => page.evaluate(() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))));

/** A screenshot from the top of `topSel` to the bottom of `bottomSel` (at most MAX_HEIGHT), written through a temporary file. */
async function shoot(page, kind, step, topSel, bottomSel = topSel) {
  await settle(page);
  // page coordinates (a locator's boundingBox is the viewport's, which moves as the page scrolls)
  const box = (sel) => page.$eval(sel, (e) => { const r = e.getBoundingClientRect(); return { top: r.top + scrollY, bottom: r.bottom + scrollY }; });
  const top = await box(topSel), bottom = await box(bottomSel);
  const y = Math.max(0, Math.floor(top.top - 8));
  const height = Math.min(MAX_HEIGHT[kind], Math.ceil(bottom.bottom + 8) - y);
  const file = join(OUT, `${step}-${kind}.png`), tmp = `${file}.tmp`;
  await page.screenshot({ path: tmp, type: "png", clip: { x: 0, y, width: page.viewportSize().width, height }, fullPage: true, animations: "disabled", caret: "hide" });
  renameSync(tmp, file);
  console.log(`wrote ${show(file)}`);
}


async function choose(page, input, name, buffer, done) {
  await page.setInputFiles(input, { name, mimeType: "text/csv", buffer });
  await page.waitForSelector(done, { timeout: 60_000 });
}

async function train(page) {
  await page.click("#data-train-button");
  await page.waitForFunction(() => window.__wasmMlpData.summary !== undefined, undefined, { timeout: 120_000 });
}

/** Every step at one width, on a fresh page of a fresh browser context (its own storage). */
async function steps(browser, url, kind) {
  const context = await browser.newContext({ viewport: WIDTHS[kind], deviceScaleFactor: 1, isMobile: kind === "phone", hasTouch: kind === "phone" });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${url}#your-data`);
  await page.waitForSelector("#saved-models li");
  await shoot(page, kind, "1-choose", "#data-header", "#data-open");

  await choose(page, "#data-file", "iris.csv", IRIS, "#data-summary:not([hidden])");
  await shoot(page, kind, "2-columns", "#data-open", kind === "phone" ? "#data-open" : "#data-form .buttons");

  // a long run, shot while it trains, then stopped
  await page.fill("#data-epochs", "100000");
  await page.click("#data-train-button");
  await page.waitForFunction(() => Number(document.getElementById("data-epoch").textContent.split(" ")[0].replace(/,/g, "")) >= 3000, undefined, { timeout: 120_000 });
  await shoot(page, kind, "3-training", kind === "phone" ? "#data-train .progress-panel" : "#data-train", "#data-train .progress-panel");
  await page.click("#data-stop-button");
  await page.waitForFunction(() => window.__wasmMlpData.summary?.interrupted === true, undefined, { timeout: 60_000 });

  await page.fill("#data-epochs", "200");
  await train(page);
  await shoot(page, kind, "4-confusion", "#data-result");

  await choose(page, "#predict-file", "iris-again.csv", IRIS, "#predict-result:not([hidden])");
  await page.fill("#model-name", "iris");
  await page.click("#save-model");
  await page.waitForSelector('#saved-models li[data-name="iris"]');
  await shoot(page, kind, "5-predictions", ".predict h3", ".predictions-wrap");

  await choose(page, "#data-file", "houses.csv", houses(300, 5), "#data-summary:not([hidden])");
  await page.selectOption("#task", "regress");
  await train(page);
  await shoot(page, kind, "4-regression", "#data-result");
  await page.fill("#model-name", "house prices");
  await page.click("#save-model");
  await page.waitForSelector('#saved-models li[data-name="house prices"]');
  await shoot(page, kind, "6-saved", "#data-keep-title", "#model-file");
  if (errors.length) throw new Error(`the page reported errors:\n${errors.join("\n")}`);
  await context.close();
}

async function main(argv) {
  let web = join(ROOT, "dist", "web");
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--web") web = resolve(argv[++i] ?? "");
    else throw new Error(`unknown argument ${argv[i]}; usage: node scripts/screenshots.mjs [--web DIR]`);
  }
  if (!existsSync(join(web, "index.html"))) throw new Error(`${web} holds no built page; run npm run build:web first (or pass --web DIR)`);
  const { withServedPage } = await import("./chromium.mjs");
  mkdirSync(OUT, { recursive: true });
  await withServedPage(web, async (browser, url) => {
    for (const kind of ["desktop", "phone"]) await steps(browser, url, kind);
  });
}

await runIfMain(import.meta.url, main);
