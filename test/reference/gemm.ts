// Plain TypeScript references for the matrix kernels in assembly/gemm.ts (and the data-movement kernel
// gather_rows of assembly/gather.ts): same names, same argument order, Float32Arrays in place of byte pointers. They
// are the oracle the kernel tests compare against and the JavaScript baseline the benchmarks time, so they stay
// naive: one dot product per output element, summed in a JS number (an f64) and rounded to f32 once, on the
// store. That makes them more accurate than any f32 kernel, which is what an oracle should be. Row-major;
// outputs are overwritten, never accumulated into (except where the name says update); an output must not
// alias an input. Nothing is allocated.

import { activate, derivative } from "./activations.js";

/** C[M,N] = A[M,K] · B[K,N] */
export function gemm_nn(A: Float32Array, B: Float32Array, C: Float32Array, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
      C[i * N + j] = s;
    }
  }
}

/** C[M,N] = A[K,M]ᵀ · B[K,N]   (weight gradients: activationsᵀ · deltas, K is the batch) */
export function gemm_tn(A: Float32Array, B: Float32Array, C: Float32Array, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[k * M + i] * B[k * N + j];
      C[i * N + j] = s;
    }
  }
}

/**
 * C[M,N] = A[M,K] · B[N,K]ᵀ   (back-propagating deltas through a layer's weights)
 * The kernels take one more argument, scratch to pack operands in; the references need none.
 */
export function gemm_nt(A: Float32Array, B: Float32Array, C: Float32Array, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[i * K + k] * B[j * K + k];
      C[i * N + j] = s;
    }
  }
}

/**
 * The general product on one memory (`m`, a view of all of it; offsets and strides in elements): C[M,N]
 * (flags) A·B with A(i,k) = m[a + i·ars + k·aks], B(k,j) = m[b + k·brs + j·bcs], rows of C ldc apart.
 * flags: 1 start from C, 2 + bias m[aux + j], 4 ReLU, 8 keep only where the gate m[aux + i·ldc + j] > 0;
 * then 1024 store the value at m[aux + i·ldc + j] (rounded to f32, as stored), bits 4-6 an activation
 * (code·16: leaky_relu, tanh, sigmoid, gelu), bits 7-9 a derivative gate (code·128) times the derivative
 * from m[aux + i·ldc + j] (activations.ts). All in f64, rounded once on the store.
 */
export function gemm(
  m: Float32Array, flags: number, a: number, ars: number, aks: number, b: number, brs: number, bcs: number, c: number, ldc: number,
  M: number, K: number, N: number, aux: number,
): void {
  const act = (flags >> 4) & 7, gate = (flags >> 7) & 7;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = flags & 1 ? m[c + i * ldc + j] : 0;
      for (let k = 0; k < K; k++) s += m[a + i * ars + k * aks] * m[b + k * brs + j * bcs];
      if (flags & 2) s += m[aux + j];
      if (flags & 4 && !(s > 0)) s = 0;
      if (flags & 8 && !(m[aux + i * ldc + j] > 0)) s = 0;
      if (flags & 1024) m[aux + i * ldc + j] = s;
      if (act) s = activate(act, s);
      if (gate) s *= derivative(gate, m[aux + i * ldc + j]);
      m[c + i * ldc + j] = s;
    }
  }
}

/** D[rows,cols] = S[idx[r], :] for r < rows   (assembling a shuffled mini-batch; idx holds row numbers) */
export function gather_rows(S: Float32Array, idx: Int32Array, D: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const from = idx[r] * cols;
    for (let j = 0; j < cols; j++) D[r * cols + j] = S[from + j];
  }
}
