// D[rows,cols] = S[idx[r], :] for r < rows   (assembling a shuffled mini-batch; idx holds i32 row numbers)
export function gather_rows(s: usize, idx: usize, d: usize, rows: i32, cols: i32): void {
  const bytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    memory.copy(d + <usize>r * bytes, s + <usize>load<i32>(idx + (<usize>r << 2)) * bytes, bytes);
  }
}
