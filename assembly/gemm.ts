// Matrix multiply in the three forms training needs. Row-major f32; every pointer is a byte address in
// linear memory; sizes are element counts. Outputs are overwritten, never accumulated into.

// C[M,N] = A[M,K] · B[K,N]
export function gemm_nn(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32): void {
  const sa = <usize>K << 2, sb = <usize>N << 2;
  for (let i = 0; i < M; i++) {
    const pa = a + <usize>i * sa, pc = c + <usize>i * sb;
    memory.fill(pc, 0, sb);
    for (let k = 0; k < K; k++) {
      const av = load<f32>(pa + (<usize>k << 2)), pb = b + <usize>k * sb;
      for (let j = 0; j < N; j++) {
        const o = <usize>j << 2;
        store<f32>(pc + o, load<f32>(pc + o) + av * load<f32>(pb + o));
      }
    }
  }
}

// C[M,N] = A[K,M]ᵀ · B[K,N]   (weight gradients: activationsᵀ · deltas, K is the batch)
export function gemm_tn(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32): void {
  const sa = <usize>M << 2, sb = <usize>N << 2;
  memory.fill(c, 0, <usize>M * sb);
  for (let k = 0; k < K; k++) {
    const pa = a + <usize>k * sa, pb = b + <usize>k * sb;
    for (let i = 0; i < M; i++) {
      const av = load<f32>(pa + (<usize>i << 2)), pc = c + <usize>i * sb;
      for (let j = 0; j < N; j++) {
        const o = <usize>j << 2;
        store<f32>(pc + o, load<f32>(pc + o) + av * load<f32>(pb + o));
      }
    }
  }
}

// C[M,N] = A[M,K] · B[N,K]ᵀ   (back-propagating deltas through a layer's weights)
export function gemm_nt(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32): void {
  const sa = <usize>K << 2, sc = <usize>N << 2;
  for (let i = 0; i < M; i++) {
    const pa = a + <usize>i * sa, pc = c + <usize>i * sc;
    for (let j = 0; j < N; j++) {
      const pb = b + <usize>j * sa;
      let s: f32 = 0;
      for (let k = 0; k < K; k++) s += load<f32>(pa + (<usize>k << 2)) * load<f32>(pb + (<usize>k << 2));
      store<f32>(pc + (<usize>j << 2), s);
    }
  }
}
