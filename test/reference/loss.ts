// Plain TypeScript reference for assembly/loss.ts (the regression loss): same name, same argument order,
// Float32Arrays in place of byte pointers (null for an output the call skips). f64 arithmetic, one rounding on
// each f32 store; the per-row losses are the kernel's very operations (f64 in both), so they match bit for bit.

/**
 * G[M,N] = 2·(Ŷ - T) / (batch·N) (batch 0: M) and loss[i] = Σ_j (Ŷ - T)² / N: mean squared error over every
 * row and output (PyTorch's MSELoss, reduction 'mean'), its gradient, and each row's mean.
 */
export function mse(Yhat: Float32Array, T: Float32Array, G: Float32Array | null, loss: Float64Array | null, M: number, N: number, batch = 0): void {
  const den = (batch > 0 ? batch : M) * N;
  if (G) for (let i = 0; i < M * N; i++) G[i] = (2 * (Yhat[i] - T[i])) / den;
  if (loss) {
    for (let i = 0; i < M; i++) {
      let s = 0;
      for (let j = 0; j < N; j++) {
        const d = Yhat[i * N + j] - T[i * N + j];
        s += d * d;
      }
      loss[i] = s / N;
    }
  }
}
