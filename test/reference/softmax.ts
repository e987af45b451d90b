// Plain TypeScript references for the softmax and cross-entropy kernels in assembly/softmax.ts: same names,
// same argument order, Float32Arrays in place of byte pointers. Used as the test oracle and the benchmark
// baseline. Arithmetic is in JS numbers (f64); only stores round to f32. Nothing is allocated.

/** P[M,N] = softmax(Z[M,N]) per row; in place when P === Z. */
export function softmax_rows(Z: Float32Array, P: Float32Array, M: number, N: number): void {
  for (let i = 0; i < M; i++) {
    const r = i * N;
    // Subtracting the row maximum keeps every exponent <= 0, so exp cannot overflow for large logits.
    let m = Z[r];
    for (let j = 1; j < N; j++) if (Z[r + j] > m) m = Z[r + j];
    let sum = 0;
    for (let j = 0; j < N; j++) {
      const e = Math.exp(Z[r + j] - m); // reads Z[r+j] before P[r+j] is written: safe in place
      P[r + j] = e;
      sum += e;
    }
    for (let j = 0; j < N; j++) P[r + j] /= sum;
  }
}

/**
 * Σ over rows of -Σ_j Y log P, with log P taken from the logits Z as (Z_j - max) - log Σ exp(Z - max), so a
 * probability that would underflow to 0 in f32 still gives a finite loss. Returns the sum; the caller divides
 * by M. Zero targets are skipped, as in the kernel.
 */
export function xent_loss(Z: Float32Array, Y: Float32Array, M: number, N: number): number {
  let total = 0;
  for (let i = 0; i < M; i++) {
    const r = i * N;
    let m = Z[r];
    for (let j = 1; j < N; j++) if (Z[r + j] > m) m = Z[r + j];
    let sum = 0;
    for (let j = 0; j < N; j++) sum += Math.exp(Z[r + j] - m);
    const lse = Math.log(sum);
    for (let j = 0; j < N; j++) {
      const t = Y[r + j];
      if (t !== 0) total += t * (lse - (Z[r + j] - m));
    }
  }
  return total;
}

/** Number of rows whose argmax of P equals the argmax of Y; the first maximum wins (as NumPy's argmax). */
export function count_correct(P: Float32Array, Y: Float32Array, M: number, N: number): number {
  let correct = 0;
  for (let i = 0; i < M; i++) {
    const r = i * N;
    let bp = 0;
    let by = 0;
    // Strict ">" keeps the first of equal maxima.
    for (let j = 1; j < N; j++) {
      if (P[r + j] > P[r + bp]) bp = j;
      if (Y[r + j] > Y[r + by]) by = j;
    }
    if (bp === by) correct++;
  }
  return correct;
}

/**
 * P[M,N] = softmax(Z) and G[M,N] = (P - Y) / batch (batch 0: M): softmax_rows and the gradient of the mean
 * cross-entropy, in one call. batch is the whole mini-batch's size when these M rows are a slice of it.
 */
export function softmax_xent(Z: Float32Array, Y: Float32Array, P: Float32Array, G: Float32Array, M: number, N: number, batch = 0): void {
  softmax_rows(Z, P, M, N);
  const rows = batch > 0 ? batch : M, n = M * N;
  for (let i = 0; i < n; i++) G[i] = (P[i] - Y[i]) / rows;
}

/** Per row: loss[i] = -Σ_j Y log softmax(Z) (as xent_loss), correct[i] = 1 when argmax P is argmax Y. */
export function xent_rows(Z: Float32Array, P: Float32Array, Y: Float32Array, loss: Float64Array, correct: Int32Array, M: number, N: number): void {
  for (let i = 0; i < M; i++) {
    const r = i * N;
    loss[i] = xent_loss(Z.subarray(r, r + N), Y.subarray(r, r + N), 1, N);
    correct[i] = count_correct(P.subarray(r, r + N), Y.subarray(r, r + N), 1, N);
  }
}
