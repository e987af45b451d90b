// Bias and ReLU, forward and backward. Byte pointers, element counts. The SIMD and scalar paths do the
// same arithmetic per element, so both builds give identical results.

// X[M,N] += b[N] on every row
export function bias_add(x: usize, b: usize, M: i32, N: i32): void {
  const sx = <usize>N << 2, N4 = N & ~3;
  for (let i = 0; i < M; i++) {
    const px = x + <usize>i * sx;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j < N4; j += 4) {
        const o = <usize>j << 2;
        v128.store(px + o, f32x4.add(v128.load(px + o), v128.load(b + o)));
      }
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(px + o, load<f32>(px + o) + load<f32>(b + o));
    }
  }
}

// Y[n] = max(0, X[n])   (in place when y == x). As pmax(x, 0), one instruction: NaN passes through, -0 stays.
export function relu_forward(x: usize, y: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0), n4 = n & ~3;
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.pmax(v128.load(x + o), zero));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2, v = load<f32>(x + o);
    store<f32>(y + o, v < 0 ? 0 : v);
  }
}

// dX[n] = dY[n] · (Y[n] > 0)   (Y is the ReLU's output; in place when dx == dy)
export function relu_backward(dy: usize, y: usize, dx: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0), n4 = n & ~3;
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
  }
}
