// The soak (issue 22): create, fit with worker threads, save, export, load, predict and dispose, in a loop,
// for --minutes minutes (default 10), in Node, on the built library (dist/src: `node scripts/build.mjs
// --if-stale` first). Every 10 s it samples the process's resident set (RSS) and its thread count (Threads:
// in /proc/self/status, Linux; elsewhere only RSS). At the end it prints the first and the last minute's
// figures and exits 1 when the last minute's mean RSS is more than 20% above the first's, or the last
// minute's most threads are more than the first minute's most: a leak of memory or of worker threads.
//
//   node scripts/soak.mjs [--minutes 10] [--every 10]

import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!(v > 0)) throw new Error(`--${name} takes a number above 0, got ${args[i + 1]}`);
  return v;
};
const minutes = arg("minutes", 10), everyS = arg("every", 10);
const window = Math.min(60, (minutes * 60) / 2); // the first and last minute (half the run when shorter than 2)

// a copy of the built library: a rebuild of dist/ meanwhile (tests do that) must not pull it from under the
// workers this loop starts (each loads engine/pool-worker.js when it starts)
const dist = fileURLToPath(new URL("../dist", import.meta.url)), lib = mkdtempSync(join(tmpdir(), "wmlp-soak-"));
for (const d of ["src", "build"]) cpSync(join(dist, d), join(lib, d), { recursive: true });
process.on("exit", () => rmSync(lib, { recursive: true, force: true }));
const { MLP, loadDigits } = await import(pathToFileURL(join(lib, "src/index.js")).href);

/** This process's thread count (Linux), or undefined. */
function threadCount() {
  try {
    return Number(/^Threads:\s*(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))[1]);
  } catch {
    return undefined;
  }
}

const d = await loadDigits();
const half = Math.floor(d.n / 2) * 64;
const Xtest = d.X.subarray(half);

/** One round: every step a user's program takes with a model, fit and fitAsync in turn. */
async function round(i) {
  const m = await MLP.create({ layers: [64, 32, 10], threads: 2, seed: i });
  const opts = { epochs: 4, batch: 128, threads: 2, optimizer: "adam", lr: 0.01 };
  const summary = i % 2 === 0 ? m.fit(d.X, d.y, opts) : await m.fitAsync(d.X, d.y, opts);
  if (summary.threads !== 2) throw new Error(`the fit ran on ${summary.threads} threads, not 2`);
  const bytes = m.toBytes();
  const onnx = m.toOnnx();
  if (onnx.length === 0) throw new Error("empty ONNX export");
  const loaded = await MLP.fromBytes(bytes, { threads: 2 });
  const a = m.predict(Xtest), b = loaded.predict(Xtest);
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) throw new Error(`round ${i}: the loaded model predicts differently at row ${k}`);
  m.dispose();
  loaded.dispose();
}

const samples = [];
const t0 = Date.now(), end = t0 + minutes * 60_000;
let rounds = 0, next = t0;
const sample = () => {
  samples.push({ s: (Date.now() - t0) / 1000, rss: process.memoryUsage().rss, threads: threadCount(), rounds });
  next += everyS * 1000;
};
sample();
while (Date.now() < end) {
  await round(rounds);
  rounds++;
  if (Date.now() >= next) sample();
}
// the workers of the last rounds end in the background: give them a moment before the last sample
await new Promise((r) => setTimeout(r, 500));
sample();

const mb = (b) => (b / 2 ** 20).toFixed(1);
function figures(list) {
  const rss = list.map((s) => s.rss), th = list.map((s) => s.threads).filter((t) => t !== undefined);
  return {
    samples: list.length,
    rssMeanMiB: Number(mb(rss.reduce((a, b) => a + b, 0) / rss.length)),
    rssMaxMiB: Number(mb(Math.max(...rss))),
    threadsMean: th.length ? Number((th.reduce((a, b) => a + b, 0) / th.length).toFixed(1)) : undefined,
    threadsMax: th.length ? Math.max(...th) : undefined,
  };
}
const last = samples[samples.length - 1].s;
const first = figures(samples.filter((s) => s.s <= window)), final = figures(samples.filter((s) => s.s >= last - window));
for (const s of samples) console.log(`t=${s.s.toFixed(0).padStart(4)} s  rounds ${String(s.rounds).padStart(5)}  rss ${mb(s.rss).padStart(6)} MiB  threads ${s.threads ?? "?"}`);
console.log(`rounds: ${rounds} in ${(last / 60).toFixed(1)} min`);
console.log(`first ${window} s: ${JSON.stringify(first)}`);
console.log(`last ${window} s:  ${JSON.stringify(final)}`);
const problems = [];
if (final.rssMeanMiB > 1.2 * first.rssMeanMiB) problems.push(`RSS grew: mean ${first.rssMeanMiB} MiB -> ${final.rssMeanMiB} MiB (more than 20%)`);
if (first.threadsMax !== undefined && final.threadsMax > first.threadsMax) problems.push(`threads grew: most ${first.threadsMax} -> ${final.threadsMax}`);
console.log(problems.length ? `NOT FLAT: ${problems.join("; ")}` : "flat: RSS within 20% and no more threads");
process.exit(problems.length ? 1 : 0);
