// Row softmax, the cross-entropy gradient, and the loss and accuracy on one-hot targets. Byte pointers,
// element counts. Rows are processed in chunks of four lanes; the scalar build keeps the same four partial
// sums, so both builds give identical results. A row may be read up to 12 bytes past its end.

import { expf, expf4 } from "./expf";

// Lanes of the last, partial chunk of a row: all ones for the lanes that are inside it.
@inline function tailMask(rem: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(rem));
}

// Stores the first n (0..3) lanes of v at p.
@inline function storeLanes(p: usize, v: v128, n: i32): void {
  if (n > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

@inline function rowMax(pz: usize, N: i32): f32 {
  let m = load<f32>(pz);
  if (ASC_FEATURE_SIMD) {
    const N4 = N & ~3;
    let vm = f32x4.splat(m), j = 0;
    for (; j < N4; j += 4) vm = f32x4.max(vm, v128.load(pz + (<usize>j << 2)));
    if (j < N) vm = f32x4.max(vm, v128.bitselect(v128.load(pz + (<usize>j << 2)), f32x4.splat(m), tailMask(N - j)));
    m = max(max(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)), max(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
  } else {
    for (let j = 1; j < N; j++) m = max(m, load<f32>(pz + (<usize>j << 2)));
  }
  return m;
}

// E[j] = exp(Z[j] - m) for one row, stored at pe; returns Σ E in the four-partial-sum order.
@inline function rowExp(pz: usize, pe: usize, N: i32, m: f32): f32 {
  const N4 = N & ~3;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(m);
    let acc = f32x4.splat(0);
    for (; j < N4; j += 4) {
      const o = <usize>j << 2, e = expf4(f32x4.sub(v128.load(pz + o), vm));
      v128.store(pe + o, e);
      acc = f32x4.add(acc, e);
    }
    if (j < N) {
      const o = <usize>j << 2, e = expf4(f32x4.sub(v128.load(pz + o), vm));
      storeLanes(pe + o, e, N - j);
      acc = f32x4.add(acc, v128.and(e, tailMask(N - j)));
    }
    return (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  }
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  for (; j < N4; j += 4) {
    const o = <usize>j << 2;
    const e0 = expf(load<f32>(pz + o) - m), e1 = expf(load<f32>(pz + o, 4) - m);
    const e2 = expf(load<f32>(pz + o, 8) - m), e3 = expf(load<f32>(pz + o, 12) - m);
    store<f32>(pe + o, e0); store<f32>(pe + o, e1, 4); store<f32>(pe + o, e2, 8); store<f32>(pe + o, e3, 12);
    s0 += e0; s1 += e1; s2 += e2; s3 += e3;
  }
  const o = <usize>j << 2;
  if (j < N) { const e = expf(load<f32>(pz + o) - m); store<f32>(pe + o, e); s0 += e; }
  if (j + 1 < N) { const e = expf(load<f32>(pz + o, 4) - m); store<f32>(pe + o, e, 4); s1 += e; }
  if (j + 2 < N) { const e = expf(load<f32>(pz + o, 8) - m); store<f32>(pe + o, e, 8); s2 += e; }
  return (s0 + s1) + (s2 + s3);
}

// P[j] /= sum; when g != 0 also G[j] = (P[j] - Y[j]) / rows. One row.
@inline function rowFinish(pp: usize, py: usize, pg: usize, N: i32, sum: f32, rows: f32, grad: bool): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const N4 = N & ~3, vs = f32x4.splat(sum), vr = f32x4.splat(rows);
    for (; j < N4; j += 4) {
      const o = <usize>j << 2, p = f32x4.div(v128.load(pp + o), vs);
      v128.store(pp + o, p);
      if (grad) v128.store(pg + o, f32x4.div(f32x4.sub(p, v128.load(py + o)), vr));
    }
  }
  for (; j < N; j++) {
    const o = <usize>j << 2, p = load<f32>(pp + o) / sum;
    store<f32>(pp + o, p);
    if (grad) store<f32>(pg + o, (p - load<f32>(py + o)) / rows);
  }
}

// P[M,N] = softmax(Z[M,N]) per row, stabilised by the row maximum   (in place when p == z)
export function softmax_rows(z: usize, p: usize, M: i32, N: i32): void {
  const s = <usize>N << 2;
  for (let i = 0; i < M; i++) {
    const pz = z + <usize>i * s, pp = p + <usize>i * s;
    const sum = rowExp(pz, pp, N, rowMax(pz, N));
    rowFinish(pp, 0, 0, N, sum, 0, false);
  }
}

// G[M,N] = (P - Y) / M: the gradient of the mean cross-entropy with respect to the softmax's input
export function softmax_xent_backward(p: usize, y: usize, g: usize, M: i32, N: i32): void {
  const n = M * N, rows = <f32>M;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vr = f32x4.splat(rows), n4 = n & ~3;
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      v128.store(g + o, f32x4.div(f32x4.sub(v128.load(p + o), v128.load(y + o)), vr));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(g + o, (load<f32>(p + o) - load<f32>(y + o)) / rows);
  }
}

// P[M,N] = softmax(Z) and G[M,N] = (P - Y) / M in one pass over each row   (softmax_rows then
// softmax_xent_backward, fused; identical results)
export function softmax_xent(z: usize, y: usize, p: usize, g: usize, M: i32, N: i32): void {
  const s = <usize>N << 2, rows = <f32>M;
  for (let i = 0; i < M; i++) {
    const o = <usize>i * s, pz = z + o, pp = p + o;
    const sum = rowExp(pz, pp, N, rowMax(pz, N));
    rowFinish(pp, y + o, g + o, N, sum, rows, true);
  }
}

// Σ over rows of -Σ_j Y log P, with log P taken from the logits Z (log-sum-exp in f64), so a probability
// that underflowed to 0 in f32 still gives a finite loss. Returns the sum; the caller divides by M.
export function xent_loss(z: usize, y: usize, M: i32, N: i32): f64 {
  const s = <usize>N << 2;
  let total: f64 = 0;
  for (let i = 0; i < M; i++) {
    const pz = z + <usize>i * s, py = y + <usize>i * s;
    const m = rowMax(pz, N);
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
