// The README's browser recipe in a fresh Vite app, as a web developer would try it: the package packed with
// npm pack and installed from the tarball, Vite with no config file, a Worker that trains, and headless
// Chromium (Debian's; nothing downloads a browser) reading the accuracy under `vite` (dev server, with
// dependency pre-bundling), `vite preview`, and `vite build` served by a plain static server and by one
// that gzips every response with Content-Encoding. A second worker checks what production bundles and
// encoding servers used to break: error names after minification, the CSV file under Content-Encoding,
// fromBytes from a Response and a URL, and that only the kernel build that runs is fetched. Each mode runs
// twice more with the cross-origin isolation headers a page needs for threads (one vite.config line): there a
// third worker trains on two threads, which must give Node's one-thread model byte for byte.
// Skipped, with one line saying why, where no Chromium can be launched; under CI=true that is a failure.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createReadStream, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { createHash } from "node:crypto";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { createGzip } from "node:zlib";
import { serve, MIME } from "../../scripts/serve.mjs";
import { MLP, loadDigits } from "../../src/index.js";
import { packedApp } from "../packed.js";
import { browserForTests } from "./chromium.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const VITE = join(root, "node_modules", "vite", "bin", "vite.js");

/** The README's worker, verbatim: the ```js block that starts with "// worker.js". */
function readmeWorker(): string {
  const blocks = [...readFileSync(join(root, "README.md"), "utf8").matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  const worker = blocks.filter((b) => b.startsWith("// worker.js"));
  expect(worker, "README.md has one ```js block starting with // worker.js").toHaveLength(1);
  return worker[0];
}

const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>wasm-mlp in Vite</title></head>
<body><p id="accuracy">training…</p><script type="module" src="./main.js"></script></body></html>
`;

// the page: runs the README's worker and the checks, and rebuilds the trained model on this thread
const MAIN_JS = `import { MLP, loadDigits } from "wasm-mlp";

const result = { reports: 0 };
// where the page is cross-origin isolated, a third worker trains on two threads
const threaded = self.crossOriginIsolated;
const done = () => {
  if (result.summary && result.checks && result.reloaded !== undefined && (!threaded || result.threads)) window.__result = result;
};
const fail = (where, e) => { window.__result = { error: where + ": " + (e.message ?? e) }; };

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
worker.onerror = (e) => fail("worker", e);
worker.onmessage = async (e) => {
  if (e.data.error) return fail("worker", e.data.error);
  if (e.data.report) return void result.reports++;
  result.summary = e.data.summary;
  document.getElementById("accuracy").textContent = (e.data.summary.accuracy * 100).toFixed(2) + "%";
  try {
    const model = await MLP.fromBytes(e.data.model);
    const data = await loadDigits();
    const p = model.predict(data.X);
    let right = 0;
    for (let i = 0; i < data.n; i++) right += p[i] === data.y[i] ? 1 : 0;
    result.reloaded = right / data.n;
    done();
  } catch (err) { fail("page", err); }
};

const checks = new Worker(new URL("./checks.js", import.meta.url), { type: "module" });
checks.onerror = (e) => fail("checks", e);
checks.onmessage = (e) => { result.checks = e.data; done(); };

if (threaded) {
  const threads = new Worker(new URL("./threads.js", import.meta.url), { type: "module" });
  threads.onerror = (e) => fail("threads", e);
  threads.onmessage = (e) => { result.threads = e.data; done(); };
}
`;

// the README recipe on two threads, told explicitly (with "auto" a worker that starts late joins later)
const THREADS_JS = `import { MLP, loadDigits } from "wasm-mlp";

async function run() {
  const data = await loadDigits();
  const model = await MLP.create({ layers: [64, 32, 10], seed: 42, threads: 2 });
  const summary = model.fit(data.X, data.y, { epochs: 1000, every: 100, threads: 2 });
  const sha256 = [...new Uint8Array(await crypto.subtle.digest("SHA-256", model.toBytes()))].map((b) => b.toString(16).padStart(2, "0")).join("");
  postMessage({ threads: summary.threads, accuracy: summary.accuracy, sha256 });
  model.dispose();
}
run().catch((e) => postMessage({ failed: String(e) }));
`;

/** The one line of configuration threads need: Vite's servers send the cross-origin isolation headers. */
const ISOLATED_CONFIG = `const headers = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };
export default { server: { headers }, preview: { headers } };
`;

const CHECKS_JS = `import { DataError, MLP, UsageError, WasmMlpError, loadCsv, loadDigits } from "wasm-mlp";
import csvUrl from "wasm-mlp/digits.csv.gz?url";

async function run() {
  const out = {};
  const builtIn = await loadDigits();
  // a .gz file that Vite's servers (and many others) send with Content-Encoding: gzip
  const fromCsv = await loadDigits(csvUrl);
  out.csvMatches = fromCsv.n === builtIn.n && fromCsv.X.every((v, i) => v === builtIn.X[i]) && fromCsv.y.every((v, i) => v === builtIn.y[i]);
  const errors = [];
  for (const bad of [() => loadCsv(new TextEncoder().encode("1,2,0\\n3,x,1\\n")), () => MLP.create({ layers: [64, 10], optimizer: "adam" })]) {
    try { await bad(); errors.push("no error"); } catch (e) {
      errors.push({ text: String(e), name: e.name, wasmMlp: e instanceof WasmMlpError, data: e instanceof DataError, usage: e instanceof UsageError });
    }
  }
  out.errors = errors;
  const model = await MLP.create({ layers: [64, 16, 10], seed: 7, kernels: "simd" });
  model.fit(builtIn.X, builtIn.y, { epochs: 20 });
  const bytes = model.toBytes();
  const want = Array.from(model.predict(builtIn.X)).join("");
  const url = URL.createObjectURL(new Blob([bytes]));
  out.fromBytes = [];
  for (const source of [new Response(bytes), url, new URL(url), bytes.slice().buffer]) {
    const back = await MLP.fromBytes(source);
    out.fromBytes.push(Array.from(back.predict(builtIn.X)).join("") === want);
  }
  // the browser's storage, from a worker: save, load back, and a location that is not one
  await model.save("indexeddb://vite-check");
  const stored = await MLP.load("indexeddb://vite-check");
  out.saveLoad = Array.from(stored.predict(builtIn.X)).join("") === want;
  out.badLocation = await MLP.load("vite-check").then(() => "loaded", (e) => e.name + ": " + e.message);
  postMessage(out);
}
run().catch((e) => postMessage({ failed: String(e) }));
`;

interface PageResult {
  error?: string;
  reports: number;
  summary: { accuracy: number; epochs: number; kernels: string; threads: number };
  reloaded: number;
  checks: {
    failed?: string;
    csvMatches: boolean;
    errors: { text: string; name: string; wasmMlp: boolean; data: boolean; usage: boolean }[];
    fromBytes: boolean[];
    saveLoad: boolean;
    badLocation: string;
  };
  threads?: { failed?: string; threads: number; accuracy: number; sha256: string };
}

interface ModeRun {
  result: PageResult;
  shown: string;
  kernelChunks: string[];
  problems: string[];
}

let dir: string;
let app: string;
let browser: Browser | undefined;
const children: ChildProcess[] = [];
const servers: Server[] = [];
/** What Node trains with the same recipe and kernel build: the browser must match it. */
let node: { accuracy: number; sha256: string };

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts `vite <args>` in the app on a free port and waits until it answers. */
async function startVite(args: string[]): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [VITE, ...args, "--host", "127.0.0.1", "--port", String(port), "--strictPort"], { cwd: app, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}/`;
  for (const t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 100))) {
    if (child.exitCode !== null) throw new Error(`vite ${args.join(" ")} exited: ${log}`);
    try {
      if ((await fetch(url)).ok) return url;
    } catch {
      // not listening yet
    }
  }
  throw new Error(`vite ${args.join(" ")} did not answer: ${log}`);
}

/**
 * A static server like nginx with `gzip on` and gzip_static: every response gzip-compressed with
 * Content-Encoding: gzip, and a .gz file sent as it is, also with Content-Encoding: gzip.
 */
async function serveGzip(dirToServe: string): Promise<string> {
  const base = resolve(dirToServe);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = resolve(join(base, path.endsWith("/") ? path + "index.html" : path));
    if (!file.startsWith(base + sep) || !(await stat(file).then((s) => s.isFile(), () => false))) {
      res.writeHead(404).end();
      return;
    }
    const gz = file.endsWith(".gz");
    res.writeHead(200, { "Content-Type": gz ? "text/csv" : ((MIME as Record<string, string>)[extname(file)] ?? "application/octet-stream"), "Content-Encoding": "gzip" });
    const body = createReadStream(file);
    (gz ? body : body.pipe(createGzip())).pipe(res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
}

/** Opens the app at `url` in a fresh page and waits for the worker's accuracy and the checks. */
async function runPage(url: string): Promise<ModeRun> {
  const page = await browser!.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("request", (r) => requests.push(r.url()));
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  try {
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result, undefined, { timeout: 45_000 });
    const result = await page.evaluate(() => (window as unknown as { __result: PageResult }).__result);
    const kernelChunks = [...new Set(requests.map((u) => /\/kernels\.(\w+)[.-]/.exec(u)?.[1]).filter((b): b is string => !!b))];
    return { result, shown: (await page.textContent("#accuracy"))!, kernelChunks, problems };
  } finally {
    await page.close();
  }
}

const runs: Record<string, Promise<ModeRun>> = {};
/** Each mode's run, started once (the tests of one mode share it). */
const mode = (name: string, url: () => Promise<string>) => (runs[name] ??= url().then(runPage));

// launched once, while the file is collected, so that a browser that cannot run skips the tests below
const chromium = await browserForTests("Vite browser tests");
const skip = chromium.skip;

beforeAll(async () => {
  browser = chromium.need();
  ({ dir, app } = await packedApp("wasm-mlp-vite-"));
  // a fresh Vite app: vite in its node_modules (the repository's, linked: no download), no vite.config
  symlinkSync(join(root, "node_modules", "vite"), join(app, "node_modules", "vite"));
  writeFileSync(join(app, "index.html"), INDEX_HTML);
  writeFileSync(join(app, "main.js"), MAIN_JS);
  writeFileSync(join(app, "worker.js"), readmeWorker());
  writeFileSync(join(app, "checks.js"), CHECKS_JS);
  writeFileSync(join(app, "threads.js"), THREADS_JS);
  writeFileSync(join(app, "isolated.config.js"), ISOLATED_CONFIG);
  const build = spawnSync(process.execPath, [VITE, "build", "--logLevel", "warn"], { cwd: app, encoding: "utf8" });
  expect(build.status, build.stdout + build.stderr).toBe(0);
  // Vite warns about nothing in the package (node: built-ins it would have to stub, say). Rolldown's
  // [PLUGIN_TIMINGS] note, that its plugins' callbacks took most of the build, says how busy the machine was
  // (seen once in CI beside other jobs), not what is in the package: that block alone is set aside.
  const said = (build.stdout + build.stderr).replace(/\x1b\[[0-9;]*m/g, "").replace(/\[PLUGIN_TIMINGS\][\s\S]*?(\n\s*\n|$)/g, "");
  expect(said.trim(), build.stdout + build.stderr).toBe("");
  // the README recipe's numbers in Node, with the build Chromium picks (relaxed), on one thread
  const data = await loadDigits();
  const model = await MLP.create({ layers: [64, 32, 10], seed: 42, kernels: "relaxed", threads: 1 });
  const summary = model.fit(data.X, data.y, { epochs: 1000, every: 100 });
  node = { accuracy: summary.accuracy, sha256: createHash("sha256").update(model.toBytes()).digest("hex") };
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const c of children) c.kill();
  for (const s of servers) s.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const isolated = ["--config", "isolated.config.js"];
const staticServer = (isolate: boolean) => async () => {
  const s = await serve(join(app, "dist"), 0, "127.0.0.1", { isolate });
  servers.push(s.server);
  return s.url;
};

const MODES: [string, () => Promise<string>][] = [
  ["vite (dev server)", () => startVite([])],
  ["vite preview", () => startVite(["preview"])],
  ["vite build + plain static server", staticServer(false)],
  ["vite build + static server with Content-Encoding: gzip", () => serveGzip(join(app, "dist"))],
];

// the same app with the isolation headers (vite build's output does not depend on them)
const ISOLATED_MODES: [string, () => Promise<string>][] = [
  ["vite (dev server), isolated", () => startVite(isolated)],
  ["vite preview, isolated", () => startVite(["preview", ...isolated])],
  ["vite build + static server sending the isolation headers", staticServer(true)],
];

describe.skipIf(skip).each(ISOLATED_MODES)("the recipe on two threads in a cross-origin isolated Vite app: %s", (name, url) => {
  it("trains on two threads to the bytes of Node's one-thread model, the README recipe beside it", async () => {
    const run = await mode(name, url);
    expect(run.result.error).toBeUndefined();
    expect(run.problems).toEqual([]);
    expect(run.result.threads).toEqual({ threads: 2, accuracy: node.accuracy, sha256: node.sha256 });
    // the recipe's "auto" uses both cores too (create waits for the worker: see MLPOptions.threads)
    expect(run.result.summary.threads).toBe(2);
    expect(run.result.summary.accuracy).toBe(node.accuracy);
    expect(run.shown).toBe(`${(node.accuracy * 100).toFixed(2)}%`);
    console.log(`${name}: ${run.shown}, two threads`);
  });
});

describe.skipIf(skip).each(MODES)("the README's browser recipe in a fresh Vite app, no config: %s", (name, url) => {
  it("trains in the worker to Node's accuracy with the same build, and the page shows it", async () => {
    const run = await mode(name, url);
    expect(run.result.error).toBeUndefined();
    expect(run.problems).toEqual([]);
    expect(run.result.summary.kernels).toBe("relaxed");
    expect(run.result.summary.epochs).toBe(1000);
    expect(run.result.reports).toBe(10);
    expect(run.result.summary.accuracy).toBe(node.accuracy);
    expect(run.shown).toBe(`${(node.accuracy * 100).toFixed(2)}%`);
    // the page rebuilt the model from the worker's bytes and predicts as it does
    expect(run.result.reloaded).toBe(node.accuracy);
    // not cross-origin isolated: no shared memory, so one thread, and no threads worker
    expect(run.result.summary.threads).toBe(1);
    expect(run.result.threads).toBeUndefined();
    console.log(`${name}: ${run.shown} (${run.result.summary.kernels})`);
  });

  it("keeps error names (minified or not), reads the CSV under any encoding, and fromBytes takes a Response and URLs", async () => {
    const { checks } = (await mode(name, url)).result;
    expect(checks.failed).toBeUndefined();
    expect(checks.csvMatches).toBe(true);
    expect(checks.errors).toEqual([
      { text: "DataError: (bytes):2: column 2 is not a number: \"x\"", name: "DataError", wasmMlp: true, data: true, usage: false },
      { text: expect.stringMatching(/^UsageError: MLP\.create: unknown option "optimizer"/), name: "UsageError", wasmMlp: true, data: false, usage: true },
    ]);
    expect(checks.fromBytes).toEqual([true, true, true, true]);
    // model.save("indexeddb://NAME") and MLP.load read the same model back (IndexedDB, in a worker)
    expect(checks.saveLoad).toBe(true);
    expect(checks.badLocation).toBe('UsageError: MLP.load: the location must be "indexeddb://NAME" (the browser\'s storage), got "vite-check"');
  });

  it("fetches only the kernel builds that run (never scalar, which Chromium does not need)", async () => {
    const run = await mode(name, url);
    // the dev server serves each from the pre-bundled dependency: relaxed for training, simd for the
    // checks' model; vite build's default worker format (iife) inlines the workers' dynamic imports, so
    // only the page (an ES module) fetches a chunk, relaxed, for the model it rebuilds
    expect(run.kernelChunks.sort()).toEqual(name.startsWith("vite (dev") ? ["relaxed", "simd"] : ["relaxed"]);
  });
});
