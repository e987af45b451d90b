// What a pause between two steps costs a two-thread network: the original MLP's full-batch step (64-32-10 on
// 1797 rows of random inputs, relaxed build) on the calling thread and one pool worker, with the calling
// thread busy for 0, 2, 5, 10 and 20 µs after every step (a fit's own work between steps: a report, the
// thread tuner, a shuffle). A worker that has stopped spinning on the command word by then sleeps, and
// waking it costs more than the pause itself. Prints the step's time, less the pause, for each pause, twice.
//
//   npm run build && node scripts/step-gap.mjs [DIST]          DIST: another build's dist/ to compare

import { fileURLToPath, pathToFileURL } from "node:url";
import { resolve } from "node:path";

const dist = resolve(process.argv[2] ?? fileURLToPath(new URL("../dist", import.meta.url)));
const load = (p) => import(pathToFileURL(resolve(dist, p)).href);
const { Network } = await load("src/engine/network.js");
const { compileKernels } = await load("src/engine/kernels.js");
const { Pool } = await load("src/engine/pool.js");

const kernels = await compileKernels("relaxed");
const pool = Pool.start(kernels, 1);
await pool.waitReady();
const opt = { kind: "sgd", lr: 0.1, momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
const layers = [64, 32, 10], train = 1797;
const net = new Network(kernels, { layers, train, batch: train, eval: 0, optimizer: "sgd", threads: 2 });
net.setTrain(new Float32Array(train * 64).map(() => Math.random()), new Float32Array(train * 10).map((_, i) => (i % 10 === 0 ? 1 : 0)));
net.setParams({ layers, W: [new Float32Array(64 * 32).map(() => Math.random() - 0.5), new Float32Array(320).map(() => Math.random() - 0.5)], b: [new Float32Array(32), new Float32Array(10)] });
net.attachThreads(pool, 2);
try {
  for (const gap of [0, 2, 5, 10, 20, 0, 2, 5, 10, 20]) {
    for (let i = 0; i < 200; i++) net.epoch(opt, undefined);
    const n = 1000, t0 = performance.now();
    let paused = 0;
    for (let i = 0; i < n; i++) {
      net.epoch(opt, undefined);
      const g = performance.now();
      while (performance.now() - g < gap / 1000);
      paused += performance.now() - g;
    }
    console.log(`pause ${String(gap).padStart(2)} µs: step ${(((performance.now() - t0 - paused) / n) * 1000).toFixed(1)} µs`);
  }
} finally {
  net.close();
  pool.terminate();
}
