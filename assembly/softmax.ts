// Row softmax and the cross-entropy loss on one-hot targets. Byte pointers, element counts.

// P[M,N] = softmax(Z[M,N]) per row, stabilised by the row maximum   (in place when p == z)
export function softmax_rows(z: usize, p: usize, M: i32, N: i32): void {
  const s = <usize>N << 2;
  for (let i = 0; i < M; i++) {
    const pz = z + <usize>i * s, pp = p + <usize>i * s;
    let m = load<f32>(pz);
    for (let j = 1; j < N; j++) m = max(m, load<f32>(pz + (<usize>j << 2)));
    let sum: f32 = 0;
    for (let j = 0; j < N; j++) {
      const o = <usize>j << 2, e = Mathf.exp(load<f32>(pz + o) - m);
      store<f32>(pp + o, e);
      sum += e;
    }
    for (let j = 0; j < N; j++) { const o = <usize>j << 2; store<f32>(pp + o, load<f32>(pp + o) / sum); }
  }
}

// G[M,N] = (P - Y) / M: the gradient of the mean cross-entropy with respect to the softmax's input
export function softmax_xent_backward(p: usize, y: usize, g: usize, M: i32, N: i32): void {
  const n = M * N, inv = <f32>M;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(g + o, (load<f32>(p + o) - load<f32>(y + o)) / inv);
  }
}

// Σ over rows of -Σ_j Y log P, with log P taken from the logits Z (log-sum-exp), so a probability
// that underflowed to 0 in f32 still gives a finite loss. Returns the sum; the caller divides by M.
export function xent_loss(z: usize, y: usize, M: i32, N: i32): f64 {
  const s = <usize>N << 2;
  let total: f64 = 0;
  for (let i = 0; i < M; i++) {
    const pz = z + <usize>i * s, py = y + <usize>i * s;
    let m = load<f32>(pz);
    for (let j = 1; j < N; j++) m = max(m, load<f32>(pz + (<usize>j << 2)));
    let sum: f64 = 0;
    for (let j = 0; j < N; j++) sum += Math.exp(<f64>(load<f32>(pz + (<usize>j << 2)) - m));
    const lse = Math.log(sum);
    for (let j = 0; j < N; j++) {
      const t = load<f32>(py + (<usize>j << 2));
      if (t != 0) total += <f64>t * (lse - <f64>(load<f32>(pz + (<usize>j << 2)) - m));
    }
  }
  return total;
}

// Number of rows whose argmax of P equals the argmax of Y (first maximum wins, as NumPy's argmax)
export function count_correct(p: usize, y: usize, M: i32, N: i32): i32 {
  const s = <usize>N << 2;
  let correct = 0;
  for (let i = 0; i < M; i++) {
    const pp = p + <usize>i * s, py = y + <usize>i * s;
    let bp = 0, by = 0;
    let mp = load<f32>(pp), my = load<f32>(py);
    for (let j = 1; j < N; j++) {
      const o = <usize>j << 2, vp = load<f32>(pp + o), vy = load<f32>(py + o);
      if (vp > mp) { mp = vp; bp = j; }
      if (vy > my) { my = vy; by = j; }
    }
    if (bp == by) correct++;
  }
  return correct;
}
