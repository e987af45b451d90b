// How the page's "Your data" view copes with a large file (issue 23's target): the time from choosing a CSV
// in #data-file to the first epoch report of a run started as soon as the columns are shown (with the
// page's defaults), and the longest main-thread task in that time, by Chromium's long-task timing (a
// PerformanceObserver for "longtask" installed before the page's own scripts run).
//
//   npm run build:web                                              the page, into dist/web (once)
//   node scripts/page-timing.mjs /work/notes/fashion/fashion-train.csv [--web DIR] [--epochs N]
//
// Prints two lines: the time to the first epoch report (with the read and the wait for training between),
// and the longest main-thread task (with the number of long tasks, over 50 ms, and the longest's start).
// Builds nothing: it serves the built page (dist/web, or --web DIR) cross-origin isolated with
// scripts/serve.mjs and drives Debian's /usr/bin/chromium, or the binary named by CHROMIUM_PATH, headless
// through playwright-core; nothing here downloads a browser. The file reaches the page as a user's choice
// does: Playwright hands Chromium its path (DOM.setFileInputFiles), not its bytes.

import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runIfMain } from "./main.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const USAGE = "usage: node scripts/page-timing.mjs FILE.csv [--web DIR] [--epochs N]";

function args(argv) {
  const out = { web: join(ROOT, "dist", "web"), epochs: undefined, file: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--web") out.web = resolve(argv[++i] ?? "");
    else if (a === "--epochs") out.epochs = Number(argv[++i]);
    else if (a.startsWith("--")) throw new Error(`unknown flag ${a}; ${USAGE}`);
    else if (out.file === undefined) out.file = resolve(a);
    else throw new Error(`one file only; ${USAGE}`);
  }
  if (!out.file) throw new Error(USAGE);
  if (!existsSync(out.file)) throw new Error(`${out.file} does not exist`);
  if (!existsSync(join(out.web, "index.html"))) throw new Error(`${out.web} holds no built page; run npm run build:web first (or pass --web DIR)`);
  return out;
}

/** Installed before the page's scripts: every long task (over 50 ms) of the main thread, with when it began. */
function watchLongTasks() {
  const tasks = (window.__longTasks = []);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) tasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: "longtask", buffered: true });
}

async function measure(page, url, file, epochs) {
  await page.goto(`${url}#your-data`);
  await page.waitForSelector("#your-data:not([hidden])");
  await page.waitForSelector("#saved-models li");
  const t0 = await page.evaluate(() => performance.now());
  await page.setInputFiles("#data-file", file);
  await page.waitForSelector("#data-summary:not([hidden])", { timeout: 600_000 });
  const shown = await page.evaluate(() => performance.now());
  if (epochs !== undefined) await page.fill("#data-epochs", String(epochs));
  await page.click("#data-train-button");
  // the first report writes the epoch ("0 of 10"); the page's clock when it is seen
  const first = await page.waitForFunction(() => document.getElementById("data-epoch").textContent !== "—" && performance.now(), undefined, { timeout: 600_000, polling: "raf" });
  const t1 = await first.jsonValue();
  const error = await page.$eval("#data-error", (e) => (e.hidden ? "" : e.textContent));
  if (error) throw new Error(`the page showed an error: ${error}`);
  const tasks = (await page.evaluate(() => window.__longTasks)).filter((t) => t.start >= t0 && t.start <= t1);
  const rows = await page.getAttribute("#data-rows", "data-rows");
  return { t0, read: shown - t0, first: t1 - t0, rows, tasks, reportEpoch: await page.textContent("#data-epoch") };
}

async function main(argv) {
  const { web, epochs, file } = args(argv);
  const { withServedPage } = await import("./chromium.mjs");
  await withServedPage(web, async (browser, url) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript(watchLongTasks);
    const m = await measure(page, url, file, epochs);
    const mb = (statSync(file).size / 2 ** 20).toFixed(0);
    const longest = m.tasks.reduce((a, t) => (t.duration > a.duration ? t : a), { duration: 0, start: 0 });
    console.log(`first epoch report: ${(m.first / 1000).toFixed(2)} s after choosing the file (${mb} MiB, ${Number(m.rows).toLocaleString("en")} rows; columns shown at ${(m.read / 1000).toFixed(2)} s, then Train; epoch shown "${m.reportEpoch}")`);
    console.log(`longest main-thread task: ${longest.duration.toFixed(0)} ms (${m.tasks.length} long tasks over 50 ms${m.tasks.length ? `; the longest began ${((longest.start - m.t0) / 1000).toFixed(2)} s after choosing the file` : ""})`);
  });
}

await runIfMain(import.meta.url, main);
