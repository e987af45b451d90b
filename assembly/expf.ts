// exp for f32, scalar and four lanes, with the same operations in the same order, so the scalar and SIMD
// builds agree bit for bit (Mathf.exp would not match the vector version). Cephes' expf: x = n·ln2 + r with
// |r| <= ln2/2, a degree-6 polynomial for e^r, and 2^n built in the exponent field. Within 2 ulp of the true
// value on the clamped range; NaN stays NaN.

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
// e^x underflows below the first bound; above the second, 2^n would leave the exponent field.
const LO: f32 = -87.33654;
const HI: f32 = 88.0;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;

// 1.5·2^23: adding it rounds a float to the nearest integer (ties to even, as nearest()) and leaves that
// integer in the low mantissa bits, so 2^n is built from the sum's bits without a float-to-int conversion
// (trunc_sat_f32x4_s is a long instruction sequence in V8).
const MAGIC: f32 = 12582912.0;

@inline export function expf(x: f32): f32 {
  x = x < LO ? LO : x;
  x = HI < x ? HI : x;
  const t = x * LOG2E + MAGIC;
  const n = t - MAGIC;
  let r = x - n * LN2_HI;
  r = r - n * LN2_LO;
  let p = P0 * r + P1;
  p = p * r + P2;
  p = p * r + P3;
  p = p * r + P4;
  p = p * r + P5;
  p = p * (r * r) + r;
  p = p + 1;
  return p * reinterpret<f32>((reinterpret<i32>(t) + 127) << 23);
}

// exp of four lanes: the same operations as expf, lane by lane. The constants come in as vectors the caller
// made once, outside its loop: a v128 constant costs V8 several instructions each time it is materialised,
// and V8 does not hoist them out of loops by itself. In order: LO, HI, LOG2E, MAGIC, LN2_HI, LN2_LO, 1,
// 127 (i32), P0..P5 (see expConstant).
@inline export function exp4(x: v128, lo: v128, hi: v128, log2e: v128, magic: v128, c1: v128, c2: v128, one: v128, bias: v128,
                             p0: v128, p1: v128, p2: v128, p3: v128, p4: v128, p5: v128): v128 {
  let a = f32x4.pmin(f32x4.pmax(x, lo), hi);
  const t = f32x4.add(f32x4.mul(a, log2e), magic), n = f32x4.sub(t, magic);
  a = f32x4.sub(f32x4.sub(a, f32x4.mul(n, c1)), f32x4.mul(n, c2));
  let p = f32x4.add(f32x4.mul(p0, a), p1);
  p = f32x4.add(f32x4.mul(p, a), p2);
  p = f32x4.add(f32x4.mul(p, a), p3);
  p = f32x4.add(f32x4.mul(p, a), p4);
  p = f32x4.add(f32x4.mul(p, a), p5);
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(a, a)), a), one);
  return f32x4.mul(p, i32x4.shl(i32x4.add(t, bias), 23));
}

// The i-th constant of exp4 as a vector.
@inline export function expConstant(i: i32): v128 {
  switch (i) {
    case 0: return f32x4.splat(LO);
    case 1: return f32x4.splat(HI);
    case 2: return f32x4.splat(LOG2E);
    case 3: return f32x4.splat(MAGIC);
    case 4: return f32x4.splat(LN2_HI);
    case 5: return f32x4.splat(LN2_LO);
    case 6: return f32x4.splat(1);
    case 7: return i32x4.splat(127);
    case 8: return f32x4.splat(P0);
    case 9: return f32x4.splat(P1);
    case 10: return f32x4.splat(P2);
    case 11: return f32x4.splat(P3);
    case 12: return f32x4.splat(P4);
    default: return f32x4.splat(P5);
  }
}

// X[n] = exp(X[n]) in place, eight lanes a step, with the constants held in locals: materialising a v128
// constant costs V8 several instructions, and it does not hoist them out of the loop by itself.
export function exp_inplace(x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = f32x4.splat(LO), hi = f32x4.splat(HI), log2e = f32x4.splat(LOG2E), magic = f32x4.splat(MAGIC);
    const c1 = f32x4.splat(LN2_HI), c2 = f32x4.splat(LN2_LO), one = f32x4.splat(1), bias = i32x4.splat(127);
    const p0 = f32x4.splat(P0), p1 = f32x4.splat(P1), p2 = f32x4.splat(P2);
    const p3 = f32x4.splat(P3), p4 = f32x4.splat(P4), p5 = f32x4.splat(P5);
    const n8 = n & ~7;
    for (; i < n8; i += 8) {
      const o = <usize>i << 2;
      // pmax/pmin are single instructions (min/max with NaN and ±0 rules are not); NaN still passes through
      let a = f32x4.pmin(f32x4.pmax(v128.load(x + o), lo), hi);
      let b = f32x4.pmin(f32x4.pmax(v128.load(x + o, 16), lo), hi);
      const ta = f32x4.add(f32x4.mul(a, log2e), magic), tb = f32x4.add(f32x4.mul(b, log2e), magic);
      const na = f32x4.sub(ta, magic), nb = f32x4.sub(tb, magic);
      a = f32x4.sub(f32x4.sub(a, f32x4.mul(na, c1)), f32x4.mul(na, c2));
      b = f32x4.sub(f32x4.sub(b, f32x4.mul(nb, c1)), f32x4.mul(nb, c2));
      let pa = f32x4.add(f32x4.mul(p0, a), p1), pb = f32x4.add(f32x4.mul(p0, b), p1);
      pa = f32x4.add(f32x4.mul(pa, a), p2); pb = f32x4.add(f32x4.mul(pb, b), p2);
      pa = f32x4.add(f32x4.mul(pa, a), p3); pb = f32x4.add(f32x4.mul(pb, b), p3);
      pa = f32x4.add(f32x4.mul(pa, a), p4); pb = f32x4.add(f32x4.mul(pb, b), p4);
      pa = f32x4.add(f32x4.mul(pa, a), p5); pb = f32x4.add(f32x4.mul(pb, b), p5);
      pa = f32x4.add(f32x4.add(f32x4.mul(pa, f32x4.mul(a, a)), a), one);
      pb = f32x4.add(f32x4.add(f32x4.mul(pb, f32x4.mul(b, b)), b), one);
      v128.store(x + o, f32x4.mul(pa, i32x4.shl(i32x4.add(ta, bias), 23)));
      v128.store(x + o, f32x4.mul(pb, i32x4.shl(i32x4.add(tb, bias), 23)), 16);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, expf(load<f32>(x + o)));
  }
}
