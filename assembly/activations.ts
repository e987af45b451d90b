// Bias and ReLU, forward and backward. Byte pointers, element counts.

// X[M,N] += b[N] on every row
export function bias_add(x: usize, b: usize, M: i32, N: i32): void {
  const sx = <usize>N << 2;
  for (let i = 0; i < M; i++) {
    const px = x + <usize>i * sx;
    for (let j = 0; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(px + o, load<f32>(px + o) + load<f32>(b + o));
    }
  }
}

// Y[n] = max(0, X[n])   (in place when y == x)
export function relu_forward(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2, v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : 0);
  }
}

// dX[n] = dY[n] · (Y[n] > 0)   (Y is the ReLU's output; in place when dx == dy)
export function relu_backward(dy: usize, y: usize, dx: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
  }
}
