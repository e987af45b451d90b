// Plain TypeScript reference for assembly/dropout.ts: the same position hash (integer operations, so the
// same bits as the kernel's), and dropout itself in f64 with one rounding on the store. On one memory like
// gemm's twin (`m`, a view of all of it; offsets and strides in elements), so it may work in place.

const GOLDEN = 0x9e3779b9;

/** lowbias32 (Chris Wellons): the kernel's mix32. */
export function mix32(x: number): number {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** H(a, b) = mix32(a ^ mix32(b + 0x9e3779b9)): the kernel's hash2, on u32 values. */
export function hash2(a: number, b: number): number {
  return mix32((a ^ mix32((b + GOLDEN) >>> 0)) >>> 0);
}

/** The 32 bits of element (row, col) of mask `stream` under `seed`: H(H(H(seed, stream), row), col). */
export function dropBits(seed: number, stream: number, row: number, col: number): number {
  return hash2(hash2(hash2(seed >>> 0, stream >>> 0), row >>> 0), col >>> 0);
}

/** p as the kernel takes it: an f32, clamped to [0, 1] (NaN: 0). */
function clampP(p: number): number {
  const f = Math.fround(p);
  return !(f > 0) ? 0 : f > 1 ? 1 : f;
}

/** Whether element (row, col) is kept at rate p: its top 24 bits >= ceil(p·2^24). */
export function kept(p: number, seed: number, stream: number, row: number, col: number): boolean {
  return dropBits(seed, stream, row, col) >>> 8 >= Math.ceil(clampP(p) * 2 ** 24);
}

/**
 * m[y + i·ldy + j] = m[x + i·ldx + j] / (1 - p) where element (row0 + i, j) is kept, else 0 (inverted
 * dropout; its backward is the same call on the delta).
 */
export function dropout(m: Float32Array, x: number, ldx: number, y: number, ldy: number, M: number, N: number, p: number, seed: number, stream: number, row0: number): void {
  const q = clampP(p);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      m[y + i * ldy + j] = kept(q, seed, stream, row0 + i, j) ? m[x + i * ldx + j] / (1 - q) : 0;
    }
  }
}
