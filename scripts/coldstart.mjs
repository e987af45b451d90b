// Cold start, from process start to the first epoch's report, and where the milliseconds go:
//
//   node scripts/coldstart.mjs [--runs N] [--dist DIR]...     (after npm run build; N defaults to 21)
//
// 1. Whole processes, round-robin (so a load that comes and goes hits each alike): `node -e 0` and
//    `node DIR/src/cli/train.js --epochs 1 --every 1`, median and minimum wall time of N runs each.
// 2. The library in N fresh processes, each timing its own steps: importing the package, loadDigits(),
//    compileKernels("auto"), MLP.create, fit up to the first report (set-up and epoch 0), the second
//    epoch, and when the first report came after the process started. Medians.
// --dist defaults to this checkout's dist/; give it more than once (another checkout's dist/, built) to
// compare builds in the same round-robin.

import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const root = fileURLToPath(new URL("..", import.meta.url));
const dists = args.flatMap((a, i) => (a === "--dist" ? [resolve(args[i + 1])] : []));
if (dists.length === 0) dists.push(join(root, "dist"));
const runs = Number(flag("--runs", 21));

if (args.includes("--child")) {
  const t0 = performance.now();
  const lib = await import(pathToFileURL(join(dists[0], "src", "index.js")).href);
  const t1 = performance.now();
  const data = await lib.loadDigits();
  const t2 = performance.now();
  await lib.compileKernels("auto");
  const t3 = performance.now();
  const model = await lib.MLP.create({ layers: [64, 32, 10], seed: 42 });
  const t4 = performance.now();
  const reports = [];
  model.fit(data.X, data.y, { epochs: 2, every: 1, onReport: () => reports.push(performance.now()) });
  console.log(JSON.stringify({
    import: t1 - t0, loadDigits: t2 - t1, compileKernels: t3 - t2, "MLP.create": t4 - t3,
    "fit to first report": reports[0] - t4, "second epoch": reports[1] - reports[0], "first report after start": reports[0],
  }));
  process.exit(0);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1).padStart(6)} ms`;

const commands = [["-e", "0"], ...dists.map((d) => [join(d, "src", "cli", "train.js"), "--epochs", "1", "--every", "1"])];
const wall = commands.map(() => []);
for (let i = 0; i <= runs; i++) {
  commands.forEach((cmd, j) => {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, cmd, { stdio: ["ignore", "ignore", "inherit"] });
    if (r.status !== 0) throw new Error(`node ${cmd.join(" ")} failed`);
    if (i > 0) wall[j].push(Number(process.hrtime.bigint() - t) / 1e6); // the first round warms the file cache
  });
}
console.log(`whole processes, ${runs} runs each, round-robin (median, min):`);
commands.forEach((cmd, j) => {
  const more = j === 0 ? "" : `   (${(median(wall[j]) - median(wall[0])).toFixed(1)} ms more than node -e 0)`;
  console.log(`  ${ms(median(wall[j]))} ${ms(Math.min(...wall[j]))}  node ${cmd.join(" ")}${more}`);
});

const steps = dists.map(() => []);
for (let i = 0; i < runs; i++) {
  dists.forEach((d, j) => {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", "--dist", d], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    steps[j].push(JSON.parse(r.stdout));
  });
}
console.log(`\nthe library in ${runs} fresh processes, median ms (${dists.map((d, j) => `[${j + 1}] ${d}`).join(", ")}):`);
for (const key of Object.keys(steps[0][0])) {
  console.log(`  ${dists.map((_, j) => ms(median(steps[j].map((s) => s[key])))).join(" ")}  ${key}`);
}
