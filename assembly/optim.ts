// Parameter updates and the reductions that feed them. Byte pointers, element counts.

// out[N] = Σ_i G[i, :] over the M rows of G[M,N]   (bias gradients)
export function colsum(g: usize, out: usize, M: i32, N: i32): void {
  const s = <usize>N << 2;
  memory.fill(out, 0, s);
  for (let i = 0; i < M; i++) {
    const pg = g + <usize>i * s;
    for (let j = 0; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(out + o, load<f32>(out + o) + load<f32>(pg + o));
    }
  }
}

// W[n] -= lr · G[n]
export function sgd(w: usize, g: usize, n: i32, lr: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(w + o, load<f32>(w + o) - lr * load<f32>(g + o));
  }
}
