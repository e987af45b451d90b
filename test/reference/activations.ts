// Plain TypeScript references for the bias and ReLU kernels in assembly/activations.ts: same names, same
// argument order, Float32Arrays in place of byte pointers. Used as the test oracle and the benchmark baseline.
// Nothing is allocated.

/**
 * X[M,N] += b[N] on every row (in place).
 * JS adds the two f32 values in f64 and the store rounds to f32; for a single addition that double rounding
 * gives exactly the correctly rounded f32 sum, so this matches any IEEE f32 kernel bit for bit.
 */
export function bias_add(X: Float32Array, b: Float32Array, M: number, N: number): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) X[i * N + j] += b[j];
  }
}

/** Y[n] = max(0, X[n]); in place when Y === X. -0 gives +0; NaN inputs are outside the contract. */
export function relu_forward(X: Float32Array, Y: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = X[i];
    Y[i] = v > 0 ? v : 0;
  }
}

/** dX[n] = dY[n] · (Y[n] > 0), Y being the ReLU's output; in place when dX === dY. */
export function relu_backward(dY: Float32Array, Y: Float32Array, dX: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dX[i] = Y[i] > 0 ? dY[i] : 0;
}
