// Hidden-layer activations besides ReLU, as gemm's epilogues (assembly/gemm.ts), and the derivatives its
// backward gates multiply the delta by. Each is written twice, for one f32 and for four lanes, with the same
// operations in the same order (exp is expf.ts's, the same in both), so the scalar and SIMD builds agree bit
// for bit; nothing here fuses a multiply-add, so the relaxed build computes them identically too.
//
//   leaky_relu  x < 0 ? 0.01·x : x                      derivative from A:  A > 0 ? 1 : 0.01
//   tanh        |x| <= 0.625: Cephes' odd polynomial;   derivative from A:  1 - A²
//               else sign(x)·(1 - e)/(1 + e), e = exp(-2|x|) in (0, 0.29]: no overflow, no cancellation
//   sigmoid     e = exp(-|x|): 1/(1 + e) for x >= 0,     derivative from A:  A·(1 - A)
//               e/(1 + e) below (accurate where it is tiny)
//   gelu        PyTorch's gelu(approximate="tanh"), 0.5·x·(1 + tanh(u)) with u = √(2/π)·(x + 0.044715·x³),
//               computed as x·σ(2u) (the same function: 1 + tanh(u) = 2σ(2u)), which does not cancel for
//               negative x; derivative from Z (it is not a function of A): σ(2u) + x·σ(2u)(1 - σ(2u))·2u',
//               with σ(1 - σ) = e/(1 + e)², e = exp(-|2u|); x clamped below at -10 (see GELU_CLAMP)
//
// Accuracy against the exact functions (test/kernels/activations.test.ts, relative, ε = 2^-23): leaky_relu
// 0.7ε, tanh 1.1ε, sigmoid 1.3ε, gelu 8ε for |x| <= 4; below that gelu's relative error grows with |2u| (the
// f32 rounding of 2u moves e^2u: up to 72ε on [-10, -4], where |gelu| < 1e-4). sigmoid and gelu floor at about
// 2^-126 (expf's clamp) where the exact value is smaller. NaN stays NaN.

import { expf, exp4, expConstant as k } from "./expf";

// The kinds: gemm's activation code (bits 4-6 of its flags) and gate code (bits 7-9) both count 1..4 in this order.
export const KIND_LEAKY = 1;
export const KIND_TANH = 2;
export const KIND_SIGMOID = 3;
export const KIND_GELU = 4;

export const SLOPE: f32 = 0.01;
const TANH_CUT: f32 = 0.625;
// Cephes tanhf: tanh(x) = x + x·s·P(s), s = x², on |x| <= 0.625
const T0: f32 = -5.70498872745e-3;
const T1: f32 = 2.06390887954e-2;
const T2: f32 = -5.37397155531e-2;
const T3: f32 = 1.33314422036e-1;
const T4: f32 = -3.33332819422e-1;
const GELU_C: f32 = 0.044715;            // κ
const GELU_3C: f32 = 0.134145;           // 3κ
const GELU_K: f32 = 1.5957691216057308;  // 2·√(2/π): 2u = GELU_K·(x + κx³)
// Below -GELU_CLAMP gelu is 0 and its derivative 0 to within 3e-36 (2u < -87.3, past expf's clamp), above
// it the derivative is 1 to f32 precision: gelu takes max(x, -10) and its derivative x clamped to ±10, which
// keeps x³ finite and x·σ(2u) at most 1.2e-37 from 0 for any x below (x·2^-126 would not be, for |x| ~ 1e30).
const GELU_CLAMP: f32 = 10;

// ---- one f32 --------------------------------------------------------------------------------------------

@inline function withSignOf(t: f32, x: f32): f32 {
  return reinterpret<f32>(reinterpret<u32>(t) | (reinterpret<u32>(x) & 0x80000000));
}

@inline function tanhOne(x: f32): f32 {
  const ax = abs<f32>(x);
  if (ax > TANH_CUT) {
    const e = expf(ax * -2);
    return withSignOf((1 - e) / (1 + e), x);
  }
  const s = x * x;
  let p = T0 * s + T1;
  p = p * s + T2;
  p = p * s + T3;
  p = p * s + T4;
  return p * s * x + x;
}

@inline function sigmoidOne(x: f32): f32 {
  const e = expf(-abs<f32>(x));
  return (x < 0 ? e : <f32>1) / (1 + e);
}

@inline function geluOne(z: f32): f32 {
  const x = z < -GELU_CLAMP ? -GELU_CLAMP : z;
  const x2 = x * x;
  const w = GELU_K * (GELU_C * (x2 * x) + x);
  const e = expf(-abs<f32>(w));
  return x * ((w < 0 ? e : <f32>1) / (1 + e));
}

@inline function geluGradOne(z: f32): f32 {
  let x = z < -GELU_CLAMP ? -GELU_CLAMP : z;
  x = GELU_CLAMP < x ? GELU_CLAMP : x;
  const x2 = x * x;
  const w = GELU_K * (GELU_C * (x2 * x) + x);
  const e = expf(-abs<f32>(w));
  const d: f32 = 1 + e;
  const s = (w < 0 ? e : <f32>1) / d;
  const p = e / (d * d);
  const q = GELU_K * (GELU_3C * x2 + 1);
  return s + x * p * q;
}

/** The activation `kind` of v (0: v itself). */
@inline export function activateOne(kind: i32, v: f32): f32 {
  if (kind == KIND_LEAKY) return v < 0 ? v * SLOPE : v;
  if (kind == KIND_TANH) return tanhOne(v);
  if (kind == KIND_SIGMOID) return sigmoidOne(v);
  if (kind == KIND_GELU) return geluOne(v);
  return v;
}

/** v times the derivative of activation `kind`, read from g: the layer's A (leaky, tanh, sigmoid) or Z (gelu). */
@inline export function gateOne(kind: i32, v: f32, g: f32): f32 {
  if (kind == KIND_LEAKY) return g > 0 ? v : v * SLOPE;
  if (kind == KIND_TANH) return v * (1 - g * g);
  if (kind == KIND_SIGMOID) return v * (g * (1 - g));
  if (kind == KIND_GELU) return v * geluGradOne(g);
  return v;
}

// ---- four lanes: the same operations ----------------------------------------------------------------------
// The constants are vectors the row functions make once, outside their loops (see expf.ts's exp4): k0..k13
// are exp4's, in its order (k6 is 1), then these functions' own.

@inline function tanhVec(x: v128, k0: v128, k1: v128, k2: v128, k3: v128, k4: v128, k5: v128, k6: v128, k7: v128, k8: v128,
                         k9: v128, k10: v128, k11: v128, k12: v128, k13: v128, cut: v128, m2: v128, sign: v128,
                         t0: v128, t1: v128, t2: v128, t3: v128, t4: v128): v128 {
  const ax = f32x4.abs(x);
  const e = exp4(f32x4.mul(ax, m2), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13);
  const big = v128.or(f32x4.div(f32x4.sub(k6, e), f32x4.add(k6, e)), v128.and(x, sign));
  const s = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(t0, s), t1);
  p = f32x4.add(f32x4.mul(p, s), t2);
  p = f32x4.add(f32x4.mul(p, s), t3);
  p = f32x4.add(f32x4.mul(p, s), t4);
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, s), x), x);
  return v128.bitselect(big, small, f32x4.gt(ax, cut));
}

@inline function sigmoidVec(x: v128, k0: v128, k1: v128, k2: v128, k3: v128, k4: v128, k5: v128, k6: v128, k7: v128, k8: v128,
                            k9: v128, k10: v128, k11: v128, k12: v128, k13: v128, zero: v128): v128 {
  const e = exp4(f32x4.neg(f32x4.abs(x)), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13);
  return f32x4.div(v128.bitselect(e, k6, f32x4.lt(x, zero)), f32x4.add(k6, e));
}

@inline function geluVec(z: v128, k0: v128, k1: v128, k2: v128, k3: v128, k4: v128, k5: v128, k6: v128, k7: v128, k8: v128,
                         k9: v128, k10: v128, k11: v128, k12: v128, k13: v128, zero: v128, gc: v128, gk: v128, lo: v128): v128 {
  const x = f32x4.pmax(z, lo);
  const x2 = f32x4.mul(x, x);
  const w = f32x4.mul(gk, f32x4.add(f32x4.mul(gc, f32x4.mul(x2, x)), x));
  const e = exp4(f32x4.neg(f32x4.abs(w)), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13);
  return f32x4.mul(x, f32x4.div(v128.bitselect(e, k6, f32x4.lt(w, zero)), f32x4.add(k6, e)));
}

@inline function geluGradVec(z: v128, k0: v128, k1: v128, k2: v128, k3: v128, k4: v128, k5: v128, k6: v128, k7: v128, k8: v128,
                             k9: v128, k10: v128, k11: v128, k12: v128, k13: v128, zero: v128, gc: v128, gk: v128, g3c: v128,
                             lo: v128, hi: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(z, lo), hi);
  const x2 = f32x4.mul(x, x);
  const w = f32x4.mul(gk, f32x4.add(f32x4.mul(gc, f32x4.mul(x2, x)), x));
  const e = exp4(f32x4.neg(f32x4.abs(w)), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13);
  const d = f32x4.add(k6, e);
  const s = f32x4.div(v128.bitselect(e, k6, f32x4.lt(w, zero)), d);
  const p = f32x4.div(e, f32x4.mul(d, d));
  const q = f32x4.mul(gk, f32x4.add(f32x4.mul(g3c, x2), k6));
  return f32x4.add(s, f32x4.mul(f32x4.mul(x, p), q));
}

// One pass over rows [0, rows) x columns [0, N) of C (rows ldc bytes apart; aux gd bytes past C): store Z (the
// value before the activation) at aux when storeZ, then C = the activation `kind` of it. Vectors of four, the
// tail one at a time with the scalar functions: the same bits either way.
@inline function activateRowsOf(kind: i32, storeZ: bool, c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void {
  const k0 = k(0), k1 = k(1), k2 = k(2), k3 = k(3), k4 = k(4), k5 = k(5), k6 = k(6), k7 = k(7);
  const k8 = k(8), k9 = k(9), k10 = k(10), k11 = k(11), k12 = k(12), k13 = k(13);
  const zero = f32x4.splat(0), slope = f32x4.splat(SLOPE), cut = f32x4.splat(TANH_CUT), m2 = f32x4.splat(-2), sign = f32x4.splat(-0.0);
  const t0 = f32x4.splat(T0), t1 = f32x4.splat(T1), t2 = f32x4.splat(T2), t3 = f32x4.splat(T3), t4 = f32x4.splat(T4);
  const gc = f32x4.splat(GELU_C), gk = f32x4.splat(GELU_K), lo = f32x4.splat(-GELU_CLAMP);
  const N4 = N & ~3;
  for (let i = 0; i < rows; i++) {
    const pc = c + <usize>i * ldc;
    let j = 0;
    for (; j < N4; j += 4) {
      const p = pc + (<usize>j << 2);
      let v = v128.load(p);
      if (storeZ) v128.store(p + gd, v);
      if (kind == KIND_LEAKY) v = v128.bitselect(f32x4.mul(v, slope), v, f32x4.lt(v, zero));
      else if (kind == KIND_TANH) v = tanhVec(v, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, cut, m2, sign, t0, t1, t2, t3, t4);
      else if (kind == KIND_SIGMOID) v = sigmoidVec(v, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, zero);
      else if (kind == KIND_GELU) v = geluVec(v, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, zero, gc, gk, lo);
      v128.store(p, v);
    }
    for (; j < N; j++) {
      const p = pc + (<usize>j << 2), v = load<f32>(p);
      if (storeZ) store<f32>(p + gd, v);
      store<f32>(p, activateOne(kind, v));
    }
  }
}

// One pass over rows [0, rows) x columns [0, N) of C: C times the derivative of activation `kind`, from the
// gate gd bytes past C (laid out as C).
@inline function gateRowsOf(kind: i32, c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void {
  const k0 = k(0), k1 = k(1), k2 = k(2), k3 = k(3), k4 = k(4), k5 = k(5), k6 = k(6), k7 = k(7);
  const k8 = k(8), k9 = k(9), k10 = k(10), k11 = k(11), k12 = k(12), k13 = k(13);
  const zero = f32x4.splat(0), slope = f32x4.splat(SLOPE), gc = f32x4.splat(GELU_C), gk = f32x4.splat(GELU_K), g3c = f32x4.splat(GELU_3C);
  const lo = f32x4.splat(-GELU_CLAMP), hi = f32x4.splat(GELU_CLAMP);
  const N4 = N & ~3;
  for (let i = 0; i < rows; i++) {
    const pc = c + <usize>i * ldc;
    let j = 0;
    for (; j < N4; j += 4) {
      const p = pc + (<usize>j << 2);
      const v = v128.load(p), g = v128.load(p + gd);
      let r = v;
      if (kind == KIND_LEAKY) r = v128.bitselect(v, f32x4.mul(v, slope), f32x4.gt(g, zero));
      else if (kind == KIND_TANH) r = f32x4.mul(v, f32x4.sub(k6, f32x4.mul(g, g)));
      else if (kind == KIND_SIGMOID) r = f32x4.mul(v, f32x4.mul(g, f32x4.sub(k6, g)));
      else if (kind == KIND_GELU) r = f32x4.mul(v, geluGradVec(g, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, zero, gc, gk, g3c, lo, hi));
      v128.store(p, r);
    }
    for (; j < N; j++) {
      const p = pc + (<usize>j << 2);
      store<f32>(p, gateOne(kind, load<f32>(p), load<f32>(p + gd)));
    }
  }
}

// One function per kind (inlined side by side, the optimiser would merge the copies back into one with a
// variable kind, and the loops would test it every vector).
function activateRowsLeaky(storeZ: bool, c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void { activateRowsOf(KIND_LEAKY, storeZ, c, ldc, rows, N, gd); }
function activateRowsTanh(storeZ: bool, c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void { activateRowsOf(KIND_TANH, storeZ, c, ldc, rows, N, gd); }
function activateRowsSigmoid(storeZ: bool, c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void { activateRowsOf(KIND_SIGMOID, storeZ, c, ldc, rows, N, gd); }
function activateRowsGelu(storeZ: bool, c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void { activateRowsOf(KIND_GELU, storeZ, c, ldc, rows, N, gd); }
function activateRowsNone(storeZ: bool, c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void { activateRowsOf(0, storeZ, c, ldc, rows, N, gd); }
function gateRowsLeaky(c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void { gateRowsOf(KIND_LEAKY, c, ldc, rows, N, gd); }
function gateRowsTanh(c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void { gateRowsOf(KIND_TANH, c, ldc, rows, N, gd); }
function gateRowsSigmoid(c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void { gateRowsOf(KIND_SIGMOID, c, ldc, rows, N, gd); }
function gateRowsGelu(c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void { gateRowsOf(KIND_GELU, c, ldc, rows, N, gd); }

// SIMD builds: the activation pass (kind 0 with storeZ: only Z is stored), then the gate pass, over rows
// [0, rows) x columns [0, N) of C, as activateOne then gateOne do element by element.
export function activationRows(kind: i32, storeZ: bool, gate: i32, c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void {
  if (kind == KIND_LEAKY) activateRowsLeaky(storeZ, c, ldc, rows, N, gd);
  else if (kind == KIND_TANH) activateRowsTanh(storeZ, c, ldc, rows, N, gd);
  else if (kind == KIND_SIGMOID) activateRowsSigmoid(storeZ, c, ldc, rows, N, gd);
  else if (kind == KIND_GELU) activateRowsGelu(storeZ, c, ldc, rows, N, gd);
  else if (storeZ) activateRowsNone(storeZ, c, ldc, rows, N, gd);
  if (gate == KIND_LEAKY) gateRowsLeaky(c, ldc, rows, N, gd);
  else if (gate == KIND_TANH) gateRowsTanh(c, ldc, rows, N, gd);
  else if (gate == KIND_SIGMOID) gateRowsSigmoid(c, ldc, rows, N, gd);
  else if (gate == KIND_GELU) gateRowsGelu(c, ldc, rows, N, gd);
}
