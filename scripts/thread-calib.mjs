// How much a second thread saves on small training steps: per-step time on one and two threads (the calling
// thread and one pool worker, alternated, best of two runs of 100 epochs) for small networks and batches,
// and what each meeting of the threads costs beyond half the work (threads.ts's BARRIER_US).
//
//   npm run build && node scripts/thread-calib.mjs [scalar|simd|relaxed]

import { fileURLToPath } from "node:url";
const D = fileURLToPath(new URL("../dist", import.meta.url));
const { Network } = await import(D + "/src/engine/network.js");
const { compileKernels } = await import(D + "/src/engine/kernels.js");
const { Pool } = await import(D + "/src/engine/pool.js");
const { stepFlops } = await import(D + "/src/engine/threads.js");
const build = process.argv[2] ?? "relaxed";
const kernels = await compileKernels(build);
const pool = Pool.start(kernels, 1); await pool.waitReady();
const opt = { kind: "sgd", lr: 0.01, momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
const rng = { shuffle: (o) => o.reverse() };
for (const [layers, batch] of [[[64, 10], 32], [[64, 10], 64], [[64, 10], 128], [[64, 32, 10], 16], [[64, 32, 10], 32], [[64, 32, 10], 64], [[64, 16, 10], 64], [[64, 32, 10], 128], [[784, 128, 10], 16], [[784, 128, 10], 64]]) {
  const train = 1792, res = [];
  for (const T of [1, 2, 1, 2]) {
    const net = new Network(kernels, { layers, train, batch, eval: 0, optimizer: "sgd", threads: 2 });
    net.setTrain(new Float32Array(train * layers[0]).map(() => Math.random()), new Float32Array(train * layers.at(-1)).map((_, i) => (i % layers.at(-1) === 0 ? 1 : 0)));
    if (T > 1) net.attachThreads(pool, T);
    for (let i = 0; i < 30; i++) net.epoch(opt, rng);
    const n = 100, t0 = performance.now();
    for (let i = 0; i < n; i++) net.epoch(opt, rng);
    res.push(((performance.now() - t0) / n / (train / batch)) * 1000);
    net.close();
  }
  const t1 = Math.min(res[0], res[2]), t2 = Math.min(res[1], res[3]);
  console.log(`${layers.join("-")} b${batch}: ${(stepFlops(layers, batch) / 1e6).toFixed(3)} Mflop, 1t ${t1.toFixed(2)} µs, 2t ${t2.toFixed(2)} µs, 2t/1t ${(t2 / t1).toFixed(2)}, rate ${(stepFlops(layers, batch) / t1 / 1e3).toFixed(1)} GF/s, barrier-equiv ${((t2 - t1 / 2) / (Math.ceil(batch / 512) + 2)).toFixed(2)} µs`);
}
pool.terminate(); process.exit(0);
