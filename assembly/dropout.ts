// Inverted dropout with masks drawn by position: whether element (row, col) is kept is a hash of (seed,
// stream, row, col), integer operations only, the same in every build and on any number of threads. A thread
// that does rows [r0, r1) of a slice gets the bits one thread doing every row would, and the backward pass
// recomputes the forward's mask instead of storing it (no memory).
//
// The hash: H(a, b) = mix32(a ^ mix32(b + 0x9e3779b9)), mix32 being Chris Wellons's lowbias32 integer
// finaliser (xorshift-multiply, a bijection of u32), and the bits of an element
//   bits = H(H(H(seed, stream), row), col),
// kept when (bits >>> 8), a uniform 24-bit integer, is >= ceil(p·2^24): with probability 1 - p, exactly when
// p·2^24 is an integer and within 2^-24 otherwise. For a fixed key H is a bijection of b, so the columns of a
// row never share bits and neither do the rows of a step.

const GOLDEN: u32 = 0x9e3779b9;

// lowbias32 (https://nullprogram.com/blog/2018/07/31/)
@inline export function mix32(x: u32): u32 {
  x ^= x >>> 16;
  x *= 0x7feb352d;
  x ^= x >>> 15;
  x *= 0x846ca68b;
  x ^= x >>> 16;
  return x;
}

@inline export function hash2(a: u32, b: u32): u32 {
  return mix32(a ^ mix32(b + GOLDEN));
}

@inline function mix4(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, i32x4.splat(0x7feb352d));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(<i32>0x846ca68b));
  return v128.xor(x, i32x4.shr_u(x, 16));
}

// Y[i, j] = X[i, j] / (1 - p) where element (row0 + i, j) is kept, else 0, for i < M, j < N: inverted
// dropout (rows of X and Y ldx and ldy bytes apart; in place when y == x and ldy == ldx). Kept by a hash of
// (seed, stream, row0 + i, j), integer operations identical in every build: the same masks for the same
// arguments whatever the rows a call covers. stream: which mask, e.g. step·layers + layer; row0: the first
// row's index in the step. Its backward is the same call on the delta (the same mask and scale). p in
// [0, 1): p <= 0 keeps everything (Y = X exactly), p >= 1 drops everything.
export function dropout(x: usize, ldx: usize, y: usize, ldy: usize, M: i32, N: i32, p: f32, seed: i32, stream: i32, row0: i32): void {
  if (!(p > 0)) p = 0;
  if (p > 1) p = 1;
  const thr = <i32>Mathf.ceil(p * 16777216), scale: f32 = 1 / (1 - p), key = hash2(<u32>seed, <u32>stream);
  const N4 = ASC_FEATURE_SIMD ? N & ~3 : 0;
  for (let i = 0; i < M; i++) {
    const rk = hash2(key, <u32>(row0 + i)), px = x + <usize>i * ldx, py = y + <usize>i * ldy;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const vk = i32x4.splat(rk), vt = i32x4.splat(thr), vs = f32x4.splat(scale), g = i32x4.splat(<i32>GOLDEN);
      let col = i32x4(0, 1, 2, 3);
      for (; j < N4; j += 4) {
        const bits = mix4(v128.xor(vk, mix4(i32x4.add(col, g))));
        const keep = i32x4.ge_s(i32x4.shr_u(bits, 8), vt);
        const o = <usize>j << 2;
        v128.store(py + o, v128.and(f32x4.mul(v128.load(px + o), vs), keep));
        col = i32x4.add(col, i32x4.splat(4));
      }
    }
    for (; j < N; j++) {
      const o = <usize>j << 2, keep = <i32>(hash2(rk, <u32>j) >>> 8) >= thr;
      store<f32>(py + o, keep ? load<f32>(px + o) * scale : 0);
    }
  }
}
