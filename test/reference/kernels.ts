// The plain TypeScript twins as a kernel set: the same exports as the wasm module, called with the same byte
// pointers into the same memory, so a Network can run its one training step on them (the benchmark's
// baseline, and a check of the step itself). Slower by one to two orders of magnitude, and not bit-identical
// to the wasm builds (the twins sum in f64 and round once).

import type { KernelExports } from "../../src/engine/kernels.js";
import * as drop from "./dropout.js";
import * as gemm from "./gemm.js";
import * as loss from "./loss.js";
import * as optim from "./optim.js";
import * as soft from "./softmax.js";

/** Every kernel of KernelExports over `memory`, implemented by the references. */
export function referenceKernels(memory: WebAssembly.Memory): KernelExports {
  const f32 = new Float32Array(memory.buffer), f64 = new Float64Array(memory.buffer), i32 = new Int32Array(memory.buffer);
  const v = (p: number, n: number) => f32.subarray(p >> 2, (p >> 2) + n);
  const gemmAt = (flags: number, a: number, ars: number, aks: number, b: number, brs: number, bcs: number, c: number, ldc: number, M: number, K: number, N: number, aux: number) =>
    gemm.gemm(f32, flags, a >> 2, ars >> 2, aks >> 2, b >> 2, brs >> 2, bcs >> 2, c >> 2, ldc >> 2, M, K, N, aux >> 2);
  return {
    gemm: gemmAt,
    gemm_nn: (a, b, c, M, K, N) => gemmAt(0, a, 4 * K, 4, b, 4 * N, 4, c, 4 * N, M, K, N, 0),
    gemm_tn: (a, b, c, M, K, N) => gemmAt(0, a, 4, 4 * M, b, 4 * N, 4, c, 4 * N, M, K, N, 0),
    gemm_nt: (a, b, c, M, K, N) => gemmAt(0, a, 4 * K, 4, b, 4, 4 * K, c, 4 * N, M, K, N, 0),
    softmax_rows: (z, p, M, N) => soft.softmax_rows(v(z, M * N), v(p, M * N), M, N),
    softmax_xent: (z, y, p, g, M, N, batch) => soft.softmax_xent(v(z, M * N), v(y, M * N), v(p, M * N), v(g, M * N), M, N, batch),
    xent_rows: (z, p, y, loss, correct, M, N) =>
      soft.xent_rows(v(z, M * N), v(p, M * N), v(y, M * N), f64.subarray(loss >> 3, (loss >> 3) + M), i32.subarray(correct >> 2, (correct >> 2) + M), M, N),
    mse: (yhat, t, g, rowLoss, M, N, batch) =>
      loss.mse(v(yhat, M * N), v(t, M * N), g ? v(g, M * N) : null, rowLoss ? f64.subarray(rowLoss >> 3, (rowLoss >> 3) + M) : null, M, N, batch),
    sgd: (w, g, n, lr) => optim.sgd(v(w, n), v(g, n), n, lr),
    momentum: (w, g, vel, n, lr, mu) => optim.momentum(v(w, n), v(g, n), v(vel, n), n, lr, mu),
    adam: (w, g, m1, m2, n, lr, b1, b2, eps, c1, c2) => optim.adam(v(w, n), v(g, n), v(m1, n), v(m2, n), n, lr, b1, b2, eps, c1, c2),
    sgd_wd: (w, g, n, lr, wd) => optim.sgd_wd(v(w, n), v(g, n), n, lr, wd),
    momentum_wd: (w, g, vel, n, lr, mu, wd) => optim.momentum_wd(v(w, n), v(g, n), v(vel, n), n, lr, mu, wd),
    adamw: (w, g, m1, m2, n, lr, b1, b2, eps, c1, c2, wd) => optim.adamw(v(w, n), v(g, n), v(m1, n), v(m2, n), n, lr, b1, b2, eps, c1, c2, wd),
    dropout: (x, ldx, y, ldy, M, N, p, seed, stream, row0) => drop.dropout(f32, x >> 2, ldx >> 2, y >> 2, ldy >> 2, M, N, p, seed, stream, row0),
    gather_rows: (s, idx, d, rows, cols) => {
      const order = i32.subarray(idx >> 2, (idx >> 2) + rows);
      let hi = 0;
      for (let r = 0; r < rows; r++) hi = Math.max(hi, order[r] + 1);
      gemm.gather_rows(v(s, hi * cols), order, v(d, rows * cols), rows, cols);
    },
    // a Network on wrapped kernels runs the step's TypeScript description (src/engine/step.ts), call by call
    train_step: () => {
      throw new Error("train_step has no twin of its own: a Network on the twins runs src/engine/step.ts");
    },
    HEAP_BASE: new WebAssembly.Global({ value: "i32", mutable: false }, 0),
    GEMM_SCRATCH_BYTES: new WebAssembly.Global({ value: "i32", mutable: false }, 0),
  };
}
