// T[C,R] = A[R,C]ᵀ   (small matrices: a layer's weights, once per step)
export function transpose(a: usize, t: usize, R: i32, C: i32): void {
  for (let i = 0; i < R; i++) {
    const pa = a + (<usize>i * <usize>C << 2);
    for (let j = 0; j < C; j++) store<f32>(t + ((<usize>j * <usize>R + <usize>i) << 2), load<f32>(pa + (<usize>j << 2)));
  }
}
