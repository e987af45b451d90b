// Row softmax, the cross-entropy gradient, and the loss and accuracy on one-hot targets. Byte pointers,
// element counts. Rows are processed in chunks of four lanes; the scalar build keeps the same four partial
// sums, so both builds give identical results. A row may be read up to 12 bytes past its end.

import { exp4, expConstant as k, exp_inplace } from "./expf";

// Lanes of the last, partial chunk of a row: all ones for the lanes that are inside it.
@inline function tailMask(rem: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(rem));
}

// The row's largest value. pmax (a single instruction; max with wasm's NaN rules is several) in both builds:
// a NaN anywhere but first is passed over, and then makes its own exp, the row's sum and so every P NaN.
@inline function rowMax(pz: usize, N: i32): f32 {
  let m = load<f32>(pz);
  if (ASC_FEATURE_SIMD) {
    const N4 = N & ~3;
    let vm = f32x4.splat(m), j = 0;
    for (; j < N4; j += 4) vm = f32x4.pmax(vm, v128.load(pz + (<usize>j << 2)));
    if (j < N) vm = f32x4.pmax(vm, v128.bitselect(v128.load(pz + (<usize>j << 2)), f32x4.splat(m), tailMask(N - j)));
    const a = f32x4.extract_lane(vm, 0), b = f32x4.extract_lane(vm, 1), c = f32x4.extract_lane(vm, 2), d = f32x4.extract_lane(vm, 3);
    const ab = a < b ? b : a, cd = c < d ? d : c;
    m = ab < cd ? cd : ab;
  } else {
    for (let j = 1; j < N; j++) {
      const v = load<f32>(pz + (<usize>j << 2));
      m = m < v ? v : m;
    }
  }
  return m;
}

// D[j] = Z[j] - m for one row.
@inline function rowShift(pz: usize, pd: usize, N: i32, m: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const N4 = N & ~3, vm = f32x4.splat(m);
    for (; j < N4; j += 4) {
      const o = <usize>j << 2;
      v128.store(pd + o, f32x4.sub(v128.load(pz + o), vm));
    }
  }
  for (; j < N; j++) {
    const o = <usize>j << 2;
    store<f32>(pd + o, load<f32>(pz + o) - m);
  }
}

// Σ E[j] over one row: four partial sums (lanes j mod 4), then (s0 + s1) + (s2 + s3), in both builds.
@inline function rowSum(pe: usize, N: i32): f32 {
  const N4 = N & ~3;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = f32x4.splat(0);
    for (; j < N4; j += 4) acc = f32x4.add(acc, v128.load(pe + (<usize>j << 2)));
    if (j < N) acc = f32x4.add(acc, v128.and(v128.load(pe + (<usize>j << 2)), tailMask(N - j)));
    return (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  }
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  for (; j < N4; j += 4) {
    const o = <usize>j << 2;
    s0 += load<f32>(pe + o); s1 += load<f32>(pe + o, 4); s2 += load<f32>(pe + o, 8); s3 += load<f32>(pe + o, 12);
  }
  const o = <usize>j << 2;
  if (j < N) s0 += load<f32>(pe + o);
  if (j + 1 < N) s1 += load<f32>(pe + o, 4);
  if (j + 2 < N) s2 += load<f32>(pe + o, 8);
  return (s0 + s1) + (s2 + s3);
}

// P = exp(Z - rowmax) for every row: shift row by row, then one flat exp pass (long vector runs, no tails).
@inline function shiftedExp(z: usize, p: usize, M: i32, N: i32): void {
  const s = <usize>N << 2;
  for (let i = 0; i < M; i++) {
    const o = <usize>i * s;
    rowShift(z + o, p + o, N, rowMax(z + o, N));
  }
  exp_inplace(p, M * N);
}

// P[j] /= sum; with grad, also G[j] = (P[j] - Y[j]) / rows. One row.
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

// Softmax of rows of 9 to 12 values (the usual 10 classes) held in three vectors: one load and one store
// per value instead of the passes above, and the same operations in the same order lane by lane (rowMax's
// pmax chain and its lane reduction, z - m, exp4, rowSum's four partial sums, the division), so the same
// bits. With grad, also G = (P - Y) / rows.
@inline function rows12(z: usize, y: usize, p: usize, g: usize, M: i32, N: i32, rows: f32, grad: bool): void {
  const s = <usize>N << 2, mask = tailMask(N - 8), vr = f32x4.splat(rows);
  const k0 = k(0), k1 = k(1), k2 = k(2), k3 = k(3), k4 = k(4), k5 = k(5), k6 = k(6), k7 = k(7);
  const k8 = k(8), k9 = k(9), k10 = k(10), k11 = k(11), k12 = k(12), k13 = k(13);
  for (let i = 0; i < M; i++) {
    const o = <usize>i * s, pz = z + o;
    const z0 = v128.load(pz), z1 = v128.load(pz, 16), z2 = v128.load(pz, 32), first = v128.load32_splat(pz);
    let vm = f32x4.pmax(f32x4.pmax(f32x4.pmax(first, z0), z1), v128.bitselect(z2, first, mask));
    const a = f32x4.extract_lane(vm, 0), b = f32x4.extract_lane(vm, 1), c = f32x4.extract_lane(vm, 2), d = f32x4.extract_lane(vm, 3);
    const ab = a < b ? b : a, cd = c < d ? d : c;
    vm = f32x4.splat(ab < cd ? cd : ab);
    const e0 = exp4(f32x4.sub(z0, vm), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13);
    const e1 = exp4(f32x4.sub(z1, vm), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13);
    const e2 = exp4(f32x4.sub(z2, vm), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13);
    const acc = f32x4.add(f32x4.add(e0, e1), v128.and(e2, mask));
    const vs = f32x4.splat((f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3)));
    const p0 = f32x4.div(e0, vs), p1 = f32x4.div(e1, vs), p2 = f32x4.div(e2, vs);
    const pp = p + o;
    v128.store(pp, p0); v128.store(pp, p1, 16);
    storeRest(pp + 32, p2, N - 8);
    if (grad) {
      const py = y + o, pg = g + o;
      v128.store(pg, f32x4.div(f32x4.sub(p0, v128.load(py)), vr));
      v128.store(pg, f32x4.div(f32x4.sub(p1, v128.load(py, 16)), vr), 16);
      storeRest(pg + 32, f32x4.div(f32x4.sub(p2, v128.load(py, 32)), vr), N - 8);
    }
  }
}

// Stores the first n (1..4) lanes of v at p.
@inline function storeRest(p: usize, v: v128, n: i32): void {
  if (n == 4) { v128.store(p, v); return; }
  if (n & 2) { v128.store_lane<f64>(p, v, 0); v = v128.shuffle<f32>(v, v, 2, 3, 2, 3); p += 8; }
  if (n & 1) store<f32>(p, f32x4.extract_lane(v, 0));
}

// P[M,N] = softmax(Z[M,N]) per row, stabilised by the row maximum   (in place when p == z)
export function softmax_rows(z: usize, p: usize, M: i32, N: i32): void {
  const s = <usize>N << 2;
  if (ASC_FEATURE_SIMD && N > 8 && N <= 12) { rows12(z, 0, p, 0, M, N, 0, false); return; }
  shiftedExp(z, p, M, N);
  for (let i = 0; i < M; i++) {
    const pp = p + <usize>i * s;
    rowFinish(pp, 0, 0, N, rowSum(pp, N), 0, false);
  }
}

// P[M,N] = softmax(Z) and G[M,N] = (P - Y) / batch in one pass over each row: the softmax and the gradient
// of the mean cross-entropy with respect to its input, fused (P is softmax_rows's, bit for bit). batch: the
// rows of the whole mini-batch the mean is over, when these M rows are a slice of it; 0 for M.
export function softmax_xent(z: usize, y: usize, p: usize, g: usize, M: i32, N: i32, batch: i32): void {
  const s = <usize>N << 2, rows = <f32>(batch > 0 ? batch : M);
  if (ASC_FEATURE_SIMD && N > 8 && N <= 12) { rows12(z, y, p, g, M, N, rows, true); return; }
  shiftedExp(z, p, M, N);
  for (let i = 0; i < M; i++) {
    const o = <usize>i * s, pp = p + o;
    rowFinish(pp, y + o, g + o, N, rowSum(pp, N), rows, true);
  }
}

// One row's -Σ_j Y log P, with log P taken from the logits Z (log-sum-exp in f64), so a probability that
// underflowed to 0 in f32 still gives a finite loss.
@inline function rowLoss(pz: usize, py: usize, N: i32): f64 {
  const m = rowMax(pz, N);
  let sum: f64 = 0;
  for (let j = 0; j < N; j++) sum += Math.exp(<f64>(load<f32>(pz + (<usize>j << 2)) - m));
  const lse = Math.log(sum);
  let total: f64 = 0;
  for (let j = 0; j < N; j++) {
    const t = load<f32>(py + (<usize>j << 2));
    if (t != 0) total += <f64>t * (lse - <f64>(load<f32>(pz + (<usize>j << 2)) - m));
  }
  return total;
}

@inline function rowCorrect(pp: usize, py: usize, N: i32): i32 {
  let bp = 0, by = 0;
  let mp = load<f32>(pp), my = load<f32>(py);
  for (let j = 1; j < N; j++) {
    const o = <usize>j << 2, vp = load<f32>(pp + o), vy = load<f32>(py + o);
    if (vp > mp) { mp = vp; bp = j; }
    if (vy > my) { my = vy; by = j; }
  }
  return bp == by ? 1 : 0;
}

// Per row: loss[i] (f64) = -Σ_j Y log softmax(Z) (rowLoss), and correct[i] (i32) = 1 when argmax
// P equals argmax Y. Rows are independent, so threads can take any rows; the caller sums them in row order.
export function xent_rows(z: usize, p: usize, y: usize, loss: usize, correct: usize, M: i32, N: i32): void {
  const s = <usize>N << 2;
  for (let i = 0; i < M; i++) {
    const o = <usize>i * s;
    store<f64>(loss + (<usize>i << 3), rowLoss(z + o, y + o, N));
    store<i32>(correct + (<usize>i << 2), rowCorrect(p + o, y + o, N));
  }
}
