// Matrix multiply in the three forms training needs, plus two fused forms. Row-major f32; every pointer is a
// byte address in linear memory; sizes are element counts. A tensor may be read up to 32 bytes past its end
// (the vector tails over-read; the host leaves slack there) but is never written past it.
//
// SIMD builds use one register-blocked 4x8 micro-kernel (four rows of A splatted, two vectors of B, eight
// accumulators), in the style of XNNPACK's f32-gemm 4x8 wasmsimd loadsplat, for every form: A·B reads a row of
// A along k, Aᵀ·B reads a column of A along k, A·Bᵀ first transposes B into caller-provided scratch.
// Every element is accumulated over k in increasing order starting from 0, with a multiply then an add, in
// both the scalar and the SIMD build, so those two give bit-identical results; the relaxed build fuses the
// multiply-add (one rounding), which changes the last bits.

import { transpose } from "./transpose";

const STORE: i32 = 0;     // C = acc
const BIAS: i32 = 1;      // C = acc + bias
const BIAS_RELU: i32 = 2; // C = max(acc + bias, 0)
const AXPY: i32 = 3;      // C = C + alpha·acc
const ACC: i32 = 4;       // acc starts from C (a later slice of k), C = acc

// C[M,N] = A[M,K] · B[K,N]
export function gemm_nn(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32): void {
  if (ASC_FEATURE_SIMD) drive(STORE, a, <usize>K << 2, 4, b, c, M, K, N, 0, 0);
  else scalar(STORE, a, <usize>K << 2, 4, b, c, M, K, N, 0, 0);
}

// C[M,N] = A[K,M]ᵀ · B[K,N]   (weight gradients: activationsᵀ · deltas, K is the batch)
// In slices of KC rows of k, so the slices of A and B a tile streams stay in L2 (a batch of 1797 digits is
// 690 KB of them); each slice's tiles start from the partial sums in C, which keeps every element's order
// of additions, and so its result, exactly that of one pass.
export function gemm_tn(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32): void {
  if (ASC_FEATURE_SIMD) {
    const KC = 256, sa = <usize>M << 2, sb = <usize>N << 2;
    drive(STORE, a, 4, sa, b, c, M, min(K, KC), N, 0, 0);
    for (let k0 = KC; k0 < K; k0 += KC) drive(ACC, a + <usize>k0 * sa, 4, sa, b + <usize>k0 * sb, c, M, min(KC, K - k0), N, 0, 0);
  }
  else scalar(STORE, a, 4, <usize>M << 2, b, c, M, K, N, 0, 0);
}

// C[M,N] = A[M,K] · B[N,K]ᵀ, with bt[K,N] as scratch for Bᵀ   (deltas back through a layer's weights)
export function gemm_nt(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32, bt: usize): void {
  transpose(b, bt, N, K);
  gemm_nn(a, bt, c, M, K, N);
}

// Y[M,N] = X[M,K] · W[K,N] + bias[N], then max(·, 0) when relu != 0   (a dense layer's forward pass)
export function dense_forward(x: usize, w: usize, bias: usize, y: usize, M: i32, K: i32, N: i32, relu: i32): void {
  if (ASC_FEATURE_SIMD) {
    if (relu) drive(BIAS_RELU, x, <usize>K << 2, 4, w, y, M, K, N, bias, 0);
    else drive(BIAS, x, <usize>K << 2, 4, w, y, M, K, N, bias, 0);
  } else scalar(relu ? BIAS_RELU : BIAS, x, <usize>K << 2, 4, w, y, M, K, N, bias, 0);
}

// W[M,N] -= lr · A[K,M]ᵀ · G[K,N]   (the weight gradient applied as it is formed; bit-identical to gemm_tn
// into a buffer followed by sgd, because the sum is rounded to f32 before it is scaled and subtracted).
// It cannot slice k as gemm_tn does (W cannot hold partial sums), so for large K gemm_tn then sgd is
// faster: the pass over W that fusing saves is a few hundred nanoseconds. Training uses that pair.
export function gemm_tn_update(a: usize, g: usize, w: usize, M: i32, K: i32, N: i32, lr: f32): void {
  if (ASC_FEATURE_SIMD) drive(AXPY, a, 4, <usize>M << 2, g, w, M, K, N, 0, -lr);
  else scalar(AXPY, a, 4, <usize>M << 2, g, w, M, K, N, 0, -lr);
}

// ---- scalar build --------------------------------------------------------------------------------------
// Row r of the left operand starts at a + r·ar and steps by ak bytes along k. Four outputs of a row at a
// time (each still summed over k in order), so a(r,k) is loaded once per four and B is read along its rows.
@inline function finish(mode: i32, acc: f32, pc: usize, bias: usize, alpha: f32): f32 {
  if (mode == BIAS) return acc + load<f32>(bias);
  if (mode == BIAS_RELU) { const v = acc + load<f32>(bias); return v < 0 ? 0 : v; }
  if (mode == AXPY) return load<f32>(pc) + alpha * acc;
  return acc;
}

function scalar(mode: i32, a: usize, ar: usize, ak: usize, b: usize, c: usize, M: i32, K: i32, N: i32, bias: usize, alpha: f32): void {
  const sb = <usize>N << 2, N4 = N & ~3;
  for (let i = 0; i < M; i++) {
    const pa = a + <usize>i * ar, pc = c + <usize>i * sb;
    let j = 0;
    for (; j < N4; j += 4) {
      const o = <usize>j << 2;
      let c0: f32 = 0, c1: f32 = 0, c2: f32 = 0, c3: f32 = 0, pk = pa, pb = b + o;
      for (let k = 0; k < K; k++) {
        const av = load<f32>(pk);
        c0 = c0 + av * load<f32>(pb);
        c1 = c1 + av * load<f32>(pb, 4);
        c2 = c2 + av * load<f32>(pb, 8);
        c3 = c3 + av * load<f32>(pb, 12);
        pk += ak; pb += sb;
      }
      const p = pc + o, q = bias + o;
      store<f32>(p, finish(mode, c0, p, q, alpha));
      store<f32>(p + 4, finish(mode, c1, p + 4, q + 4, alpha));
      store<f32>(p + 8, finish(mode, c2, p + 8, q + 8, alpha));
      store<f32>(p + 12, finish(mode, c3, p + 12, q + 12, alpha));
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      let acc: f32 = 0, pk = pa, pb = b + o;
      for (let k = 0; k < K; k++) {
        acc = acc + load<f32>(pk) * load<f32>(pb);
        pk += ak; pb += sb;
      }
      store<f32>(pc + o, finish(mode, acc, pc + o, bias + o, alpha));
    }
  }
}

// ---- SIMD builds ---------------------------------------------------------------------------------------
@inline function mad(acc: v128, x: v128, y: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(x, y, acc);
  return f32x4.add(acc, f32x4.mul(x, y));
}

@inline function epilogue(mode: i32, acc: v128, c: usize, bias: usize, alpha: v128): v128 {
  if (mode == BIAS) return f32x4.add(acc, v128.load(bias));
  if (mode == BIAS_RELU) return f32x4.pmax(f32x4.add(acc, v128.load(bias)), f32x4.splat(0));
  if (mode == AXPY) return f32x4.add(v128.load(c), f32x4.mul(alpha, acc));
  return acc;
}

// Stores the first nc (1..8) lanes of lo:hi at pc.
@inline function storeTail(pc: usize, lo: v128, hi: v128, nc: i32): void {
  if (nc >= 8) { v128.store(pc, lo); v128.store(pc, hi, 16); return; }
  if (nc & 4) { v128.store(pc, lo); lo = hi; pc += 16; }
  if (nc & 2) { v128.store_lane<f64>(pc, lo, 0); lo = v128.shuffle<f32>(lo, lo, 2, 3, 2, 3); pc += 8; }
  if (nc & 1) store<f32>(pc, f32x4.extract_lane(lo, 0));
}

// One 4x8 tile of C: rows a0..a3 of the left operand (ak bytes per k step) times columns b..b+8 of B.
// Every epilogue is computed before any store, so aliased rows (the M tail) read C before it is written.
@inline function tile(mode: i32, full: bool, a0: usize, a1: usize, a2: usize, a3: usize, ak: usize, K: i32,
                      b: usize, sb: usize, c0: usize, c1: usize, c2: usize, c3: usize, nc: i32, bias: usize, alpha: f32): void {
  let x00 = f32x4.splat(0), x01 = f32x4.splat(0), x10 = f32x4.splat(0), x11 = f32x4.splat(0);
  let x20 = f32x4.splat(0), x21 = f32x4.splat(0), x30 = f32x4.splat(0), x31 = f32x4.splat(0);
  if (mode == ACC) {
    x00 = v128.load(c0); x01 = v128.load(c0, 16); x10 = v128.load(c1); x11 = v128.load(c1, 16);
    x20 = v128.load(c2); x21 = v128.load(c2, 16); x30 = v128.load(c3); x31 = v128.load(c3, 16);
  }
  let pb = b, o: usize = 0;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let av = v128.load32_splat(a0 + o); x00 = mad(x00, av, b0); x01 = mad(x01, av, b1);
    av = v128.load32_splat(a1 + o);     x10 = mad(x10, av, b0); x11 = mad(x11, av, b1);
    av = v128.load32_splat(a2 + o);     x20 = mad(x20, av, b0); x21 = mad(x21, av, b1);
    av = v128.load32_splat(a3 + o);     x30 = mad(x30, av, b0); x31 = mad(x31, av, b1);
    pb += sb; o += ak;
  }
  const va = f32x4.splat(alpha);
  x00 = epilogue(mode, x00, c0, bias, va); x01 = epilogue(mode, x01, c0 + 16, bias + 16, va);
  x10 = epilogue(mode, x10, c1, bias, va); x11 = epilogue(mode, x11, c1 + 16, bias + 16, va);
  x20 = epilogue(mode, x20, c2, bias, va); x21 = epilogue(mode, x21, c2 + 16, bias + 16, va);
  x30 = epilogue(mode, x30, c3, bias, va); x31 = epilogue(mode, x31, c3 + 16, bias + 16, va);
  if (full) {
    v128.store(c0, x00); v128.store(c0, x01, 16);
    v128.store(c1, x10); v128.store(c1, x11, 16);
    v128.store(c2, x20); v128.store(c2, x21, 16);
    v128.store(c3, x30); v128.store(c3, x31, 16);
  } else {
    storeTail(c3, x30, x31, nc); storeTail(c2, x20, x21, nc);
    storeTail(c1, x10, x11, nc); storeTail(c0, x00, x01, nc);
  }
}

// A 4x4 tile: the same as tile() with one vector of B, for the last 1..4 columns (an output layer of 10
// classes is a full 8-wide tile and one of these, rather than two 8-wide tiles).
@inline function tile4(mode: i32, a0: usize, a1: usize, a2: usize, a3: usize, ak: usize, K: i32,
                       b: usize, sb: usize, c0: usize, c1: usize, c2: usize, c3: usize, nc: i32, bias: usize, alpha: f32): void {
  let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
  if (mode == ACC) { x0 = v128.load(c0); x1 = v128.load(c1); x2 = v128.load(c2); x3 = v128.load(c3); }
  let pb = b, o: usize = 0;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(pb);
    x0 = mad(x0, v128.load32_splat(a0 + o), b0);
    x1 = mad(x1, v128.load32_splat(a1 + o), b0);
    x2 = mad(x2, v128.load32_splat(a2 + o), b0);
    x3 = mad(x3, v128.load32_splat(a3 + o), b0);
    pb += sb; o += ak;
  }
  const va = f32x4.splat(alpha), z = f32x4.splat(0);
  x0 = epilogue(mode, x0, c0, bias, va); x1 = epilogue(mode, x1, c1, bias, va);
  x2 = epilogue(mode, x2, c2, bias, va); x3 = epilogue(mode, x3, c3, bias, va);
  storeTail(c3, x3, z, nc); storeTail(c2, x2, z, nc); storeTail(c1, x1, z, nc); storeTail(c0, x0, z, nc);
}

// The M and N tails, out of line so the full-tile loop stays tight: mr (1..4) rows, N columns from c.
// Missing rows alias the last real one (XNNPACK's trick): the same work, the same stores.
function edge(mode: i32, a: usize, ar: usize, ak: usize, K: i32, b: usize, sb: usize, c: usize, mr: i32, N: i32, bias: usize, alpha: f32): void {
  const a1 = mr > 1 ? a + ar : a, c1 = mr > 1 ? c + sb : c;
  const a2 = mr > 2 ? a1 + ar : a1, c2 = mr > 2 ? c1 + sb : c1;
  const a3 = mr > 3 ? a2 + ar : a2, c3 = mr > 3 ? c2 + sb : c2;
  for (let j = 0; j < N; j += 8) {
    const o = <usize>j << 2, nc = N - j;
    if (nc > 4) tile(mode, false, a, a1, a2, a3, ak, K, b + o, sb, c + o, c1 + o, c2 + o, c3 + o, min(8, nc), bias + o, alpha);
    else tile4(mode, a, a1, a2, a3, ak, K, b + o, sb, c + o, c1 + o, c2 + o, c3 + o, nc, bias + o, alpha);
  }
}

@inline function drive(mode: i32, a: usize, ar: usize, ak: usize, b: usize, c: usize, M: i32, K: i32, N: i32, bias: usize, alpha: f32): void {
  const sb = <usize>N << 2, M4 = M & ~3, N8 = N & ~7, t = <usize>N8 << 2;
  for (let i = 0; i < M4; i += 4) {
    const a0 = a + <usize>i * ar, c0 = c + <usize>i * sb;
    for (let j = 0; j < N8; j += 8) {
      const o = <usize>j << 2;
      tile(mode, true, a0, a0 + ar, a0 + 2 * ar, a0 + 3 * ar, ak, K, b + o, sb,
           c0 + o, c0 + sb + o, c0 + 2 * sb + o, c0 + 3 * sb + o, 8, bias + o, alpha);
    }
    if (N8 < N) edge(mode, a0, ar, ak, K, b + t, sb, c0 + t, 4, N - N8, bias + t, alpha);
  }
  if (M4 < M) edge(mode, a + <usize>M4 * ar, ar, ak, K, b, sb, c + <usize>M4 * sb, M - M4, N, bias, alpha);
}
