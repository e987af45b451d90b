// The browser soak (issue 22): --rounds rounds (default 200) of create, fit with worker threads (fit and
// fitAsync in turn), save, export, load, predict and dispose, in a Worker of a page in headless Chromium
// (Debian's /usr/bin/chromium or $CHROMIUM_PATH, driven by playwright-core; nothing is downloaded), on a
// copy of the built library (dist/src and dist/build: `node scripts/build.mjs --if-stale` first). Every 20
// rounds it samples the renderer process (VmRSS and Threads: in /proc/<pid>/status, its pid from DevTools'
// SystemInfo.getProcessInfo) and the workers DevTools lists. At the end it prints the first and the last
// sample's figures and exits 1 when the renderer's RSS grew by more than 20% between them, or it has more
// workers, or more than 2 more threads (its own helpers come and go), at the end than after the first 20.
//
//   node scripts/soak-browser.mjs [--rounds 200]

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./chromium.mjs";
import { serve } from "./serve.mjs";

const args = process.argv.slice(2);
const i = args.indexOf("--rounds");
const ROUNDS = i < 0 ? 200 : Number(args[i + 1]);
if (!(ROUNDS >= 40)) throw new Error(`--rounds takes a number from 40 up, got ${args[i + 1]}`);
const EVERY = 20;

const RUNNER = String.raw`
const { MLP, loadDigits } = await import("/src/index.js");
const d = await loadDigits();
const Xtest = d.X.subarray(900 * 64);
async function round(i) {
  const m = await MLP.create({ layers: [64, 32, 10], threads: 2, seed: i });
  const opts = { epochs: 4, batch: 128, threads: 2, optimizer: "adam", lr: 0.01 };
  const s = i % 2 === 0 ? m.fit(d.X, d.y, opts) : await m.fitAsync(d.X, d.y, opts);
  if (s.threads !== 2) throw new Error("the fit ran on " + s.threads + " threads, not 2");
  const bytes = m.toBytes();
  if (m.toOnnx().length === 0) throw new Error("empty ONNX export");
  const loaded = await MLP.fromBytes(bytes, { threads: 2 });
  const a = m.predict(Xtest), b = loaded.predict(Xtest);
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) throw new Error("round " + i + ": the loaded model predicts differently");
  m.dispose();
  loaded.dispose();
}
self.onmessage = async (e) => {
  try {
    for (let r = e.data.from; r < e.data.to; r++) await round(r);
    postMessage({ done: e.data.to });
  } catch (err) {
    postMessage({ error: String(err && err.stack || err) });
  }
};
postMessage({ ready: true });
`;

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "wmlp-soak-browser-"));
for (const d of ["src", "build"]) cpSync(join(root, "dist", d), join(dir, d), { recursive: true });
writeFileSync(join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><title>soak</title><link rel="icon" href="data:,">`);
writeFileSync(join(dir, "runner.js"), RUNNER);
const { server, url } = await serve(dir, 0);
const browser = await launch();
const status = (pid) => readFileSync(`/proc/${pid}/status`, "utf8");
const field = (text, name) => Number(new RegExp(`^${name}:\\s*(\\d+)`, "m").exec(text)?.[1] ?? NaN);
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  const cdp = await browser.newBrowserCDPSession();
  const pageCdp = await page.context().newCDPSession(page);
  await pageCdp.send("Performance.enable");

  async function sample(rounds) {
    const { processInfo } = await cdp.send("SystemInfo.getProcessInfo");
    const renderers = processInfo.filter((p) => p.type === "renderer");
    let rss = 0, threads = 0;
    for (const p of renderers) {
      try {
        const s = status(p.id);
        rss += field(s, "VmRSS") * 1024;
        threads += field(s, "Threads");
      } catch { /* gone */ }
    }
    const { targetInfos } = await cdp.send("Target.getTargets");
    const workers = targetInfos.filter((t) => t.type === "worker").length;
    const { metrics } = await pageCdp.send("Performance.getMetrics").catch(() => ({ metrics: [] }));
    const heap = metrics.find((m) => m.name === "JSHeapUsedSize")?.value;
    return { rounds, renderers: renderers.length, rssMiB: Number((rss / 2 ** 20).toFixed(1)), threads, workers, pageHeapMiB: heap && Number((heap / 2 ** 20).toFixed(1)) };
  }

  await page.evaluate(() => new Promise((resolve, reject) => {
    const w = new Worker("/runner.js", { type: "module" });
    w.onerror = (e) => reject(new Error(e.message));
    w.onmessage = (e) => (e.data.ready ? resolve() : undefined);
    window.__soak = w;
  }));
  const samples = [await sample(0)];
  const t0 = Date.now();
  for (let r = 0; r < ROUNDS; r += EVERY) {
    const to = Math.min(ROUNDS, r + EVERY);
    const res = await page.evaluate(([from, to]) => new Promise((resolve) => {
      window.__soak.onmessage = (e) => resolve(e.data);
      window.__soak.postMessage({ from, to });
    }), [r, to]);
    if (res.error) throw new Error(res.error);
    // the disposed models' workers end in the background: a moment before sampling
    await new Promise((r) => setTimeout(r, 300));
    samples.push(await sample(to));
    console.log(JSON.stringify(samples.at(-1)));
  }
  if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
  const first = samples[1], last = samples.at(-1);
  console.log(`rounds: ${ROUNDS} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  console.log(`before: ${JSON.stringify(samples[0])}`);
  console.log(`first ${EVERY} rounds: ${JSON.stringify(first)}`);
  console.log(`last ${EVERY} rounds:  ${JSON.stringify(last)}`);
  const problems = [];
  if (last.rssMiB > 1.2 * first.rssMiB) problems.push(`renderer RSS grew: ${first.rssMiB} MiB -> ${last.rssMiB} MiB (more than 20%)`);
  // the renderer's own helper threads come and go by one or two
  if (last.threads > first.threads + 2) problems.push(`renderer threads grew: ${first.threads} -> ${last.threads}`);
  if (last.workers > first.workers) problems.push(`workers grew: ${first.workers} -> ${last.workers}`);
  console.log(problems.length ? `NOT FLAT: ${problems.join("; ")}` : "flat: RSS within 20%, no more threads or workers");
  process.exitCode = problems.length ? 1 : 0;
} finally {
  await browser.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
