// Regression's loss: mean squared error on a linear output layer, its gradient and per-row losses in one
// pass. Byte pointers, element counts; rows contiguous (N floats apart). The SIMD and scalar paths do the
// same arithmetic per element, so both builds give identical results.

// G[M,N] = 2·(Ŷ - T) / (batch·N), and loss[i] (f64) = Σ_j (Ŷ - T)² / N: the gradient of the mean squared
// error over every row and output (PyTorch's MSELoss, reduction 'mean') and each row's mean, which the caller
// sums in row order and divides by the rows. batch: the rows of the whole mini-batch the mean is over, when
// these M rows are a slice of it; 0 for M. g = 0 skips G (evaluation), loss = 0 skips the losses.
export function mse(yhat: usize, t: usize, g: usize, loss: usize, M: i32, N: i32, batch: i32): void {
  const s = <usize>N << 2, den = <f32>(<f64>(batch > 0 ? batch : M) * <f64>N);
  if (g != 0) {
    const n = M * N;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const vd = f32x4.splat(den), n4 = n & ~3;
      for (; i < n4; i += 4) {
        const o = <usize>i << 2, d = f32x4.sub(v128.load(yhat + o), v128.load(t + o));
        v128.store(g + o, f32x4.div(f32x4.add(d, d), vd));
      }
    }
    for (; i < n; i++) {
      const o = <usize>i << 2, d = load<f32>(yhat + o) - load<f32>(t + o);
      store<f32>(g + o, (d + d) / den);
    }
  }
  if (loss != 0) {
    for (let i = 0; i < M; i++) {
      const py = yhat + <usize>i * s, pt = t + <usize>i * s;
      let sum: f64 = 0;
      for (let j = 0; j < N; j++) {
        const d = <f64>load<f32>(py + (<usize>j << 2)) - <f64>load<f32>(pt + (<usize>j << 2));
        sum += d * d;
      }
      store<f64>(loss + (<usize>i << 3), sum / <f64>N);
    }
  }
}
