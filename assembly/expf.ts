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

@inline export function expf(x: f32): f32 {
  x = min(max(x, LO), HI);
  const n = nearest(x * LOG2E);
  let r = x - n * LN2_HI;
  r = r - n * LN2_LO;
  let p = P0 * r + P1;
  p = p * r + P2;
  p = p * r + P3;
  p = p * r + P4;
  p = p * r + P5;
  p = p * (r * r) + r;
  p = p + 1;
  return p * reinterpret<f32>((<i32>n + 127) << 23);
}

@inline export function expf4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(LO)), f32x4.splat(HI));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.add(f32x4.mul(f32x4.splat(P0), r), f32x4.splat(P1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P5));
  p = f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r);
  p = f32x4.add(p, f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}
