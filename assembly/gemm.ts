// Matrix multiply for every form training needs: one general kernel, gemm(), and thin named forms. Row-major
// f32; every pointer is a byte address in linear memory; sizes are element counts, strides are bytes. An
// operand may be read up to 32 bytes past its end (the vector tails over-read; the host leaves slack there),
// and so may C, but nothing is written past C.
//
// Every output element is accumulated over k in increasing order starting from 0 (or from the partial sum
// already in C, see INIT_ACC), with a multiply then an add, in both the scalar and the SIMD build, so those
// two give bit-identical results however the work is blocked, packed or split between threads. The relaxed
// build fuses the multiply-add (one rounding), which changes the last bits, but is just as independent of
// the blocking.
//
// The SIMD path is shaped like GotoBLAS/BLIS: C is walked in blocks of NC columns and K in slices of KC; the
// slice of B a block needs is packed into 8-column micro-panels ([kc][8], contiguous) that stay in L2 while
// the 4-row strips of A stream past them; the micro-kernel holds a 4x8 tile of C in eight registers
// (XNNPACK's f32-gemm 4x8 wasmsimd loadsplat). Why 4x8: V8 gives wasm 15 vector registers on x86-64 and
// schedules every load of a k step before its multiply-adds, so a tile needs accumulators + B vectors + A
// splats <= 15: 4x8 (8 + 2 + 4) fits, larger tiles spill. A is read in place when its rows are contiguous
// along k (A·B), where packing it costs more than the address arithmetic it saves. Otherwise (Aᵀ·B, whose
// strip steps a whole row of A per k: a new page each step, and with power-of-two rows the same L1 set)
// each strip is packed once into [kc][4] and read by every tile of the block. Narrow C (the output layer's
// 10 classes) gets shapes of its own: 3x12 tiles (nine accumulators), or, for Aᵀ·B without fused
// multiply-adds, (Bᵀ·A)ᵀ, so that the ten columns become rows of a 4x8-tiled product whose long dimension is
// the batch. With fused multiply-adds, a weight gradient of 24 to 64 columns and up to 96 rows (a small hidden
// layer's) is cut into 12-column blocks of such 3x12 tiles as well. The README's performance section has
// the measurements behind each choice.

import { activateOne, gateOne, activationRows } from "./act";

const KC: i32 = 256;          // k per slice: a [KC][8] panel (8 KB) and a strip's rows of A stay in L1
const NC: i32 = 256;          // columns per block: the packed [KC][NC] slice of B (256 KB) stays in L2
const MS: i32 = 1024;         // columns of Cᵀ per block of a swapped product: 16 x MS floats (64 KB)
const PACK_B_MIN_M: i32 = 32; // packing B pays when at least this many rows (eight strips) read each panel
const PACK_B_BYTES: usize = <usize>KC * NC * 4;
const PACK_A_BYTES: usize = <usize>KC * 4 * 4;
const SWAP_BYTES: usize = <usize>16 * MS * 4;

// The scratch one gemm call packs its operands in (the packed B slice, a packed strip of A, a block of Cᵀ).
export const GEMM_SCRATCH_BYTES: usize = PACK_B_BYTES + PACK_A_BYTES + SWAP_BYTES;

// flags: how each element starts, and what is applied once after its last k, in this order: the bias, ReLU,
// the ReLU gate, storing Z, an activation (a code in bits 4-6: one of them), a derivative gate (a code in bits
// 7-9: one of them). The gates read aux laid out as C (rows ldc bytes apart); a gate's code is its
// activation's shifted left by 3. act.ts has the activations and derivatives.
export const INIT_ACC: i32 = 1;   // start from the partial sum in C (a later slice of the batch) instead of 0
export const EPI_BIAS: i32 = 2;   // acc + bias[j]
export const EPI_RELU: i32 = 4;   // max(·, 0), after the bias when there is one
export const EPI_MASK: i32 = 8;   // acc where gate(i,j) > 0, else 0 (the ReLU gate; gate laid out as C)
export const EPI_LEAKY: i32 = 16;    // activation code 1 (bits 4-6 hold one code, not bits to combine): leaky_relu, x < 0 ? 0.01·x : x
export const EPI_TANH: i32 = 32;     // activation code 2: tanh
export const EPI_SIGMOID: i32 = 48;  // activation code 3: sigmoid, 1 / (1 + e^-x)
export const EPI_GELU: i32 = 64;     // activation code 4: gelu, PyTorch's gelu(approximate="tanh"); its gate reads Z (STORE_Z)
export const EPI_GATE_LEAKY: i32 = 128;    // gate code 1 (bits 7-9 hold one code): acc · (gate > 0 ? 1 : 0.01), gate = the leaky layer's A
export const EPI_GATE_TANH: i32 = 256;     // gate code 2: acc · (1 - gate²), gate = the tanh layer's A
export const EPI_GATE_SIGMOID: i32 = 384;  // gate code 3: acc · gate·(1 - gate), gate = the sigmoid layer's A
export const EPI_GATE_GELU: i32 = 512;     // gate code 4: acc · gelu'(gate), gate = the gelu layer's Z (its pre-activation)
export const EPI_STORE_Z: i32 = 1024; // also store the value the activation is applied to at aux, laid out as C (not with BIAS, MASK or a gate)
const ACT_SHIFT: i32 = 4, GATE_SHIFT: i32 = 7;
const ACTS: i32 = 7 << ACT_SHIFT, GATES: i32 = 7 << GATE_SHIFT;
const BASIC: i32 = EPI_BIAS | EPI_RELU | EPI_MASK;
const EPILOGUES: i32 = BASIC | ACTS | GATES | EPI_STORE_Z;

// C[M,N] (flags) A·B, where element (i,k) of A is at a + i·ars + k·aks and element (k,j) of B at
// b + k·brs + j·bcs; rows of C are ldc bytes apart. aux: the bias (EPI_BIAS), the gate (EPI_MASK, EPI_GATE_*,
// rows ldc bytes apart) or where EPI_STORE_Z stores Z (likewise). scratch: GEMM_SCRATCH_BYTES to pack in, or
// 0 to run the plain loop (the same sums).
export function gemm(flags: i32, a: usize, ars: usize, aks: usize, b: usize, brs: usize, bcs: usize, c: usize, ldc: usize,
                     M: i32, K: i32, N: i32, aux: usize, scratch: usize): void {
  if (M <= 0 || N <= 0) return;
  if (!ASC_FEATURE_SIMD || scratch == 0) gemmScalar(flags, a, ars, aks, b, brs, bcs, c, ldc, M, K, N, aux);
  // for Aᵀ·B without fused multiply-adds (whose temporaries crowd the registers) the swapped product was
  // faster than 3x12 tiles (measured)
  else if (N > 8 && N <= 12 && bcs == 4 && (aks == 4 || (ASC_FEATURE_RELAXED_SIMD && ars == 4))) gemmNarrow(flags, a, ars, aks, b, brs, c, ldc, M, K, N, aux);
  // a weight gradient of few rows and columns (a small hidden layer's): nine accumulators hide the fused
  // multiply-add's latency better than eight, and with few strips of A packing B does not pay
  else if (ASC_FEATURE_RELAXED_SIMD && N >= 24 && N <= 64 && M <= 96 && bcs == 4 && ars == 4 && aks != 4) gemmWide(flags, a, ars, aks, b, brs, c, ldc, M, K, N, aux, scratch);
  else if (ars == 4 && bcs == 4 && N < 16 && (N & 7) != 0 && M >= 16) gemmSwapped(flags, a, aks, b, brs, c, ldc, M, K, N, aux, scratch);
  else gemmBlocked(flags, a, ars, aks, b, brs, bcs, c, ldc, M, K, N, aux, scratch);
}

// C[M,N] = A[M,K] · B[K,N]
export function gemm_nn(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32, scratch: usize): void {
  gemm(0, a, <usize>K << 2, 4, b, <usize>N << 2, 4, c, <usize>N << 2, M, K, N, 0, scratch);
}

// C[M,N] = A[K,M]ᵀ · B[K,N]   (weight gradients: activationsᵀ · deltas, K is the batch)
export function gemm_tn(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32, scratch: usize): void {
  gemm(0, a, 4, <usize>M << 2, b, <usize>N << 2, 4, c, <usize>N << 2, M, K, N, 0, scratch);
}

// C[M,N] = A[M,K] · B[N,K]ᵀ   (deltas back through a layer's weights)
export function gemm_nt(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32, scratch: usize): void {
  gemm(0, a, <usize>K << 2, 4, b, 4, <usize>K << 2, c, <usize>N << 2, M, K, N, 0, scratch);
}

// ---- epilogues: the same arithmetic in every build and on every path ------------------------------------
// pmax(v, 0) is v < 0 ? 0 : v, and and-ing with (gate > 0) gives v or +0: lane by lane, epilogueOne. The
// activations and their gates likewise (act.ts).

@inline function epilogueOne(flags: i32, acc: f32, bias: usize, gate: usize): f32 {
  let v = acc;
  if (flags & EPI_BIAS) v = v + load<f32>(bias);
  if ((flags & EPI_RELU) != 0 && v < 0) v = 0;
  if ((flags & EPI_MASK) != 0 && !(load<f32>(gate) > 0)) v = 0;
  if (flags & (ACTS | GATES | EPI_STORE_Z)) v = activationOne(flags, v, gate);
  return v;
}

// Z stored, the activation, the derivative gate, for one element (a call: inlined, its exps would bloat every
// caller's loop for flags that training passes to other calls).
function activationOne(flags: i32, v: f32, gate: usize): f32 {
  if (flags & EPI_STORE_Z) store<f32>(gate, v);
  v = activateOne((flags & ACTS) >> ACT_SHIFT, v);
  if (flags & GATES) v = gateOne((flags & GATES) >> GATE_SHIFT, v, load<f32>(gate));
  return v;
}

// The epilogue as a pass over rows [0, rows) x columns [0, N) of C, after their last k (the bias of
// dense_forward, the activations but ReLU and the gates but ReLU's, for a strip of C just computed, still in
// cache: the tiles apply only ReLU and the ReLU gate themselves, since each epilogue in a tile is one more
// specialised copy of the strip, and an activation that costs an exp per element gains nothing from it).
function epilogueRows(flags: i32, c: usize, ldc: usize, rows: i32, N: i32, bias: usize, gd: usize): void {
  if (flags & BASIC) basicRows(flags & BASIC, c, ldc, rows, N, bias, gd);
  if (flags & (ACTS | GATES | EPI_STORE_Z)) {
    activationRows((flags & ACTS) >> ACT_SHIFT, (flags & EPI_STORE_Z) != 0, (flags & GATES) >> GATE_SHIFT, c, ldc, rows, N, gd);
  }
}

// The bias, ReLU and the ReLU gate as a pass.
function basicRows(flags: i32, c: usize, ldc: usize, rows: i32, N: i32, bias: usize, gd: usize): void {
  const N4 = N & ~3, zero = f32x4.splat(0);
  for (let i = 0; i < rows; i++) {
    const pc = c + <usize>i * ldc;
    let j = 0;
    for (; j < N4; j += 4) {
      const p = pc + (<usize>j << 2);
      let v = v128.load(p);
      if (flags & EPI_BIAS) v = f32x4.add(v, v128.load(bias + (<usize>j << 2)));
      if (flags & EPI_RELU) v = f32x4.pmax(v, zero);
      if (flags & EPI_MASK) v = v128.and(v, f32x4.gt(v128.load(p + gd), zero));
      v128.store(p, v);
    }
    for (; j < N; j++) {
      const p = pc + (<usize>j << 2);
      store<f32>(p, epilogueOne(flags, load<f32>(p), bias + (<usize>j << 2), p + gd));
    }
  }
}

// The epilogues a tile applies itself after its last k: the ones training runs every step.
const TILE_NONE: i32 = 0, TILE_RELU: i32 = 1, TILE_MASK: i32 = 2;

@inline function epilogueTile(kind: i32, x: v128, gate: usize): v128 {
  if (kind == TILE_RELU) return f32x4.pmax(x, f32x4.splat(0));
  if (kind == TILE_MASK) return v128.and(x, f32x4.gt(v128.load(gate), f32x4.splat(0)));
  return x;
}

/** Which epilogue the last slice's tiles apply (needsPass: whether a pass over C must follow them). */
@inline function tileEpilogue(flags: i32): i32 {
  const e = flags & EPILOGUES;
  return e == EPI_RELU ? TILE_RELU : e == EPI_MASK ? TILE_MASK : TILE_NONE;
}

@inline function needsPass(flags: i32): bool {
  const e = flags & EPILOGUES;
  return e != 0 && e != EPI_RELU && e != EPI_MASK;
}

// ---- scalar build (and any call without scratch) --------------------------------------------------------
// Four outputs of a row at a time, each still summed over k in order, so a(i,k) is loaded once per four.
function gemmScalar(flags: i32, a: usize, ars: usize, aks: usize, b: usize, brs: usize, bcs: usize, c: usize, ldc: usize,
                    M: i32, K: i32, N: i32, aux: usize): void {
  const init = (flags & INIT_ACC) != 0, N4 = N & ~3, gd = aux - c;
  for (let i = 0; i < M; i++) {
    const pa = a + <usize>i * ars, pc = c + <usize>i * ldc;
    let j = 0;
    for (; j < N4; j += 4) {
      const p = pc + (<usize>j << 2), q = aux + (<usize>j << 2), pb = b + <usize>j * bcs;
      let c0: f32 = 0, c1: f32 = 0, c2: f32 = 0, c3: f32 = 0;
      if (init) { c0 = load<f32>(p); c1 = load<f32>(p, 4); c2 = load<f32>(p, 8); c3 = load<f32>(p, 12); }
      if (bcs == 4) {
        // B's rows contiguous (the usual case): constant offsets
        let pk = pa, pr = pb;
        for (let k = 0; k < K; k++) {
          const av = load<f32>(pk);
          c0 = c0 + av * load<f32>(pr);
          c1 = c1 + av * load<f32>(pr, 4);
          c2 = c2 + av * load<f32>(pr, 8);
          c3 = c3 + av * load<f32>(pr, 12);
          pk += aks; pr += brs;
        }
      } else {
        let pk = pa, p0 = pb, p1 = pb + bcs, p2 = pb + 2 * bcs, p3 = pb + 3 * bcs;
        for (let k = 0; k < K; k++) {
          const av = load<f32>(pk);
          c0 = c0 + av * load<f32>(p0);
          c1 = c1 + av * load<f32>(p1);
          c2 = c2 + av * load<f32>(p2);
          c3 = c3 + av * load<f32>(p3);
          pk += aks; p0 += brs; p1 += brs; p2 += brs; p3 += brs;
        }
      }
      store<f32>(p, epilogueOne(flags, c0, q, p + gd));
      store<f32>(p + 4, epilogueOne(flags, c1, q + 4, p + 4 + gd));
      store<f32>(p + 8, epilogueOne(flags, c2, q + 8, p + 8 + gd));
      store<f32>(p + 12, epilogueOne(flags, c3, q + 12, p + 12 + gd));
    }
    for (; j < N; j++) {
      const p = pc + (<usize>j << 2);
      let acc: f32 = init ? load<f32>(p) : 0, pk = pa, pb = b + <usize>j * bcs;
      for (let k = 0; k < K; k++) {
        acc = acc + load<f32>(pk) * load<f32>(pb);
        pk += aks; pb += brs;
      }
      store<f32>(p, epilogueOne(flags, acc, aux + (<usize>j << 2), p + gd));
    }
  }
}

// ---- SIMD builds: micro-kernels ---------------------------------------------------------------------------
@inline function mad(acc: v128, x: v128, y: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(x, y, acc);
  return f32x4.add(acc, f32x4.mul(x, y));
}

// Stores the first n (1..8) lanes of lo:hi at p.
@inline function storeFirst(p: usize, lo: v128, hi: v128, n: i32): void {
  if (n >= 8) { v128.store(p, lo); v128.store(p, hi, 16); return; }
  if (n & 4) { v128.store(p, lo); lo = hi; p += 16; }
  if (n & 2) { v128.store_lane<f64>(p, lo, 0); lo = v128.shuffle<f32>(lo, lo, 2, 3, 2, 3); p += 8; }
  if (n & 1) store<f32>(p, f32x4.extract_lane(lo, 0));
}

// Row r of A at step offset o, as the micro-kernel reads it: in place (rows at a0..a3) or packed (a [kc][4]
// strip at a0: rows 4 bytes apart, 16 bytes per k step, read through one pointer with constant offsets).
@inline function splatRow(packed: bool, a0: usize, a1: usize, a2: usize, a3: usize, o: usize, r: i32): v128 {
  if (!packed) return v128.load32_splat((r == 0 ? a0 : r == 1 ? a1 : r == 2 ? a2 : a3) + o);
  if (r == 0) return v128.load32_splat(a0 + o);
  if (r == 1) return v128.load32_splat(a0 + o, 4);
  if (r == 2) return v128.load32_splat(a0 + o, 8);
  return v128.load32_splat(a0 + o, 12);
}

// One 4x8 tile of C += rows of A (see splatRow; ak bytes per k step, kc steps) times a [kc][8] panel of B (bk
// bytes per k step), then the tile's epilogue: C rows c0..c3, n (1..8) columns real, the gate gd bytes past
// C. A partial tile starts from whole vectors of C too: the lanes past n are never stored. Rows c1..c3 may
// alias c0 (the M tail); they are stored last to first, so the real row's store wins.
@inline function tile4x8(epi: i32, packed: bool, init: bool, a0: usize, a1: usize, a2: usize, a3: usize, ak: usize, kc: i32,
                         pb: usize, bk: usize, c0: usize, c1: usize, c2: usize, c3: usize, n: i32, gd: usize): void {
  const z = f32x4.splat(0);
  let x00 = init ? v128.load(c0) : z, x01 = init ? v128.load(c0, 16) : z;
  let x10 = init ? v128.load(c1) : z, x11 = init ? v128.load(c1, 16) : z;
  let x20 = init ? v128.load(c2) : z, x21 = init ? v128.load(c2, 16) : z;
  let x30 = init ? v128.load(c3) : z, x31 = init ? v128.load(c3, 16) : z;
  let o: usize = 0;
  const end = <usize>kc * ak;
  while (o < end) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let av = splatRow(packed, a0, a1, a2, a3, o, 0); x00 = mad(x00, av, b0); x01 = mad(x01, av, b1);
    av = splatRow(packed, a0, a1, a2, a3, o, 1);     x10 = mad(x10, av, b0); x11 = mad(x11, av, b1);
    av = splatRow(packed, a0, a1, a2, a3, o, 2);     x20 = mad(x20, av, b0); x21 = mad(x21, av, b1);
    av = splatRow(packed, a0, a1, a2, a3, o, 3);     x30 = mad(x30, av, b0); x31 = mad(x31, av, b1);
    o += ak; pb += bk;
  }
  x00 = epilogueTile(epi, x00, c0 + gd); x01 = epilogueTile(epi, x01, c0 + gd + 16);
  x10 = epilogueTile(epi, x10, c1 + gd); x11 = epilogueTile(epi, x11, c1 + gd + 16);
  x20 = epilogueTile(epi, x20, c2 + gd); x21 = epilogueTile(epi, x21, c2 + gd + 16);
  x30 = epilogueTile(epi, x30, c3 + gd); x31 = epilogueTile(epi, x31, c3 + gd + 16);
  storeFirst(c3, x30, x31, n); storeFirst(c2, x20, x21, n);
  storeFirst(c1, x10, x11, n); storeFirst(c0, x00, x01, n);
}

// A 4x4 tile: the same with one vector of B ([kc][4] panel), for the last 1..4 columns (an output layer of
// 10 classes is an 8-wide tile and one of these, rather than two 8-wide tiles).
@inline function tile4x4(epi: i32, packed: bool, init: bool, a0: usize, a1: usize, a2: usize, a3: usize, ak: usize, kc: i32,
                         pb: usize, bk: usize, c0: usize, c1: usize, c2: usize, c3: usize, n: i32, gd: usize): void {
  const z = f32x4.splat(0);
  let x0 = init ? v128.load(c0) : z, x1 = init ? v128.load(c1) : z;
  let x2 = init ? v128.load(c2) : z, x3 = init ? v128.load(c3) : z;
  let o: usize = 0;
  const end = <usize>kc * ak;
  while (o < end) {
    const b0 = v128.load(pb);
    x0 = mad(x0, splatRow(packed, a0, a1, a2, a3, o, 0), b0);
    x1 = mad(x1, splatRow(packed, a0, a1, a2, a3, o, 1), b0);
    x2 = mad(x2, splatRow(packed, a0, a1, a2, a3, o, 2), b0);
    x3 = mad(x3, splatRow(packed, a0, a1, a2, a3, o, 3), b0);
    o += ak; pb += bk;
  }
  x0 = epilogueTile(epi, x0, c0 + gd); x1 = epilogueTile(epi, x1, c1 + gd);
  x2 = epilogueTile(epi, x2, c2 + gd); x3 = epilogueTile(epi, x3, c3 + gd);
  storeFirst(c3, x3, z, n); storeFirst(c2, x2, z, n); storeFirst(c1, x1, z, n); storeFirst(c0, x0, z, n);
}

// One 3x12 tile of C += rows a0..a2 of A (in place) times B's 12 columns at pb (read in place: the lanes past
// n are never stored), then the tile's epilogue. Nine accumulators, three B vectors and three A splats fill
// V8's fifteen vector registers with fused multiply-adds; nine chains hide the multiply-add's latency better
// than a 4x8 tile's eight.
@inline function tile3x12(epi: i32, init: bool, a0: usize, a1: usize, a2: usize, ak: usize, kc: i32, pb: usize, bk: usize,
                          c0: usize, c1: usize, c2: usize, n: i32, gd: usize): void {
  const z = f32x4.splat(0);
  let x00 = init ? v128.load(c0) : z, x01 = init ? v128.load(c0, 16) : z, x02 = init ? v128.load(c0, 32) : z;
  let x10 = init ? v128.load(c1) : z, x11 = init ? v128.load(c1, 16) : z, x12 = init ? v128.load(c1, 32) : z;
  let x20 = init ? v128.load(c2) : z, x21 = init ? v128.load(c2, 16) : z, x22 = init ? v128.load(c2, 32) : z;
  let o: usize = 0;
  const end = <usize>kc * ak;
  while (o < end) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32);
    let av = v128.load32_splat(a0 + o); x00 = mad(x00, av, b0); x01 = mad(x01, av, b1); x02 = mad(x02, av, b2);
    av = v128.load32_splat(a1 + o);     x10 = mad(x10, av, b0); x11 = mad(x11, av, b1); x12 = mad(x12, av, b2);
    av = v128.load32_splat(a2 + o);     x20 = mad(x20, av, b0); x21 = mad(x21, av, b1); x22 = mad(x22, av, b2);
    o += ak; pb += bk;
  }
  x00 = epilogueTile(epi, x00, c0 + gd); x01 = epilogueTile(epi, x01, c0 + gd + 16); x02 = epilogueTile(epi, x02, c0 + gd + 32);
  x10 = epilogueTile(epi, x10, c1 + gd); x11 = epilogueTile(epi, x11, c1 + gd + 16); x12 = epilogueTile(epi, x12, c1 + gd + 32);
  x20 = epilogueTile(epi, x20, c2 + gd); x21 = epilogueTile(epi, x21, c2 + gd + 16); x22 = epilogueTile(epi, x22, c2 + gd + 32);
  storeFirst(c2 + 32, x22, z, n - 8); storeFirst(c2, x20, x21, 8);
  storeFirst(c1 + 32, x12, z, n - 8); storeFirst(c1, x10, x11, 8);
  storeFirst(c0 + 32, x02, z, n - 8); storeFirst(c0, x00, x01, 8);
}

// ---- SIMD builds: strips of tiles -------------------------------------------------------------------------

// One strip of up to four rows of C against every panel of a B slice: 8-wide panel p at b + p·pj with bk
// bytes per k, then a 4-wide panel (bk4 bytes per k) for 1..4 columns left. Missing rows alias the last real
// one (XNNPACK's trick): the same work, the same stores (a packed strip repeats that row).
@inline function stripOf(epi: i32, packed: bool, init: bool, a: usize, ar: usize, ak: usize, kc: i32, b: usize, bk: usize, bk4: usize,
                         pj: usize, c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void {
  const c1 = rows > 1 ? c + ldc : c, c2 = rows > 2 ? c1 + ldc : c1, c3 = rows > 3 ? c2 + ldc : c2;
  const a1 = rows > 1 ? a + ar : a, a2 = rows > 2 ? a1 + ar : a1, a3 = rows > 3 ? a2 + ar : a2;
  let j = 0, pb = b;
  for (; j + 8 <= N; j += 8) {
    const o = <usize>j << 2;
    tile4x8(epi, packed, init, a, a1, a2, a3, ak, kc, pb, bk, c + o, c1 + o, c2 + o, c3 + o, 8, gd);
    pb += pj;
  }
  if (j < N) {
    const o = <usize>j << 2;
    if (N - j > 4) tile4x8(epi, packed, init, a, a1, a2, a3, ak, kc, pb, bk, c + o, c1 + o, c2 + o, c3 + o, N - j, gd);
    else tile4x4(epi, packed, init, a, a1, a2, a3, ak, kc, pb, bk4, c + o, c1 + o, c2 + o, c3 + o, N - j, gd);
  }
}

// The strips, one function per (epilogue, A in place or packed): inlined side by side, the optimiser
// merges copies that differ in a constant back into one with a variable, which costs the tiles their speed.
function stripInPlace(init: bool, a: usize, ar: usize, ak: usize, kc: i32, b: usize, bk: usize, bk4: usize, pj: usize, c: usize, ldc: usize, rows: i32, N: i32): void {
  stripOf(TILE_NONE, false, init, a, ar, ak, kc, b, bk, bk4, pj, c, ldc, rows, N, 0);
}
function stripInPlaceRelu(init: bool, a: usize, ar: usize, ak: usize, kc: i32, b: usize, bk: usize, bk4: usize, pj: usize, c: usize, ldc: usize, rows: i32, N: i32): void {
  stripOf(TILE_RELU, false, init, a, ar, ak, kc, b, bk, bk4, pj, c, ldc, rows, N, 0);
}
function stripInPlaceMask(init: bool, a: usize, ar: usize, ak: usize, kc: i32, b: usize, bk: usize, bk4: usize, pj: usize, c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void {
  stripOf(TILE_MASK, false, init, a, ar, ak, kc, b, bk, bk4, pj, c, ldc, rows, N, gd);
}
function stripPacked(epi: i32, init: bool, pa: usize, kc: i32, b: usize, bk: usize, bk4: usize, pj: usize, c: usize, ldc: usize, rows: i32, N: i32, gd: usize): void {
  // (rare: A's rows neither contiguous nor adjacent; one variable epilogue is fine here)
  if (epi == TILE_RELU) stripOf(TILE_RELU, true, init, pa, 4, 16, kc, b, bk, bk4, pj, c, ldc, rows, N, 0);
  else if (epi == TILE_MASK) stripOf(TILE_MASK, true, init, pa, 4, 16, kc, b, bk, bk4, pj, c, ldc, rows, N, gd);
  else stripOf(TILE_NONE, true, init, pa, 4, 16, kc, b, bk, bk4, pj, c, ldc, rows, N, 0);
}

@inline function strips3x12(epi: i32, init: bool, a: usize, ars: usize, aks: usize, kc: i32, b: usize, brs: usize,
                            c: usize, ldc: usize, M: i32, N: i32, gd: usize): void {
  for (let i = 0; i < M; i += 3) {
    const rows = min(3, M - i), a0 = a + <usize>i * ars, c0 = c + <usize>i * ldc;
    const a1 = rows > 1 ? a0 + ars : a0, c1 = rows > 1 ? c0 + ldc : c0;
    const a2 = rows > 2 ? a1 + ars : a1, c2 = rows > 2 ? c1 + ldc : c1;
    tile3x12(epi, init, a0, a1, a2, aks, kc, b, brs, c0, c1, c2, N, gd);
  }
}

function strips3x12Plain(init: bool, a: usize, ars: usize, aks: usize, kc: i32, b: usize, brs: usize, c: usize, ldc: usize, M: i32, N: i32): void {
  strips3x12(TILE_NONE, init, a, ars, aks, kc, b, brs, c, ldc, M, N, 0);
}
function strips3x12Relu(init: bool, a: usize, ars: usize, aks: usize, kc: i32, b: usize, brs: usize, c: usize, ldc: usize, M: i32, N: i32): void {
  strips3x12(TILE_RELU, init, a, ars, aks, kc, b, brs, c, ldc, M, N, 0);
}
function strips3x12Mask(init: bool, a: usize, ars: usize, aks: usize, kc: i32, b: usize, brs: usize, c: usize, ldc: usize, M: i32, N: i32, gd: usize): void {
  strips3x12(TILE_MASK, init, a, ars, aks, kc, b, brs, c, ldc, M, N, gd);
}

// ---- SIMD builds: packing -------------------------------------------------------------------------------

// Packs the [kc, nc] slice of B at b into panels of 8 columns ([kc][8]), then a [kc][4] panel when 1..4
// columns are left. Lanes past nc hold whatever follows in memory: their products are never stored.
function packPanels(b: usize, brs: usize, bcs: usize, kc: i32, nc: i32, to: usize): void {
  let j = 0, p = to;
  for (; j + 4 < nc; j += 8) {
    const pb = b + <usize>j * bcs;
    if (bcs == 4) {
      for (let k = 0; k < kc; k++) {
        const q = pb + <usize>k * brs;
        v128.store(p, v128.load(q)); v128.store(p, v128.load(q, 16), 16);
        p += 32;
      }
    } else {
      gatherPanel(pb, brs, bcs, min(8, nc - j), kc, p, 8);
      p += <usize>kc * 32;
    }
  }
  if (j < nc) {
    const pb = b + <usize>j * bcs;
    if (bcs == 4) for (let k = 0; k < kc; k++) { v128.store(p, v128.load(pb + <usize>k * brs)); p += 16; }
    else gatherPanel(pb, brs, bcs, nc - j, kc, p, 4);
  }
}

// Packs a [kc][w] panel (w = 4 or 8) from n <= w lines of an operand whose elements are ks bytes apart
// along k and ls bytes apart from line to line; lines past n repeat line n-1. For B these lines are columns
// (gemm_nt's weights); for A, the rows of a strip.
function gatherPanel(x: usize, ks: usize, ls: usize, n: i32, kc: i32, to: usize, w: i32): void {
  const wb = <usize>w << 2;
  if (ls == 4 && n == w && w == 4) {
    // four adjacent lines (a strip of Aᵀ·B's A): one vector per k
    for (let k = 0; k < kc; k++) v128.store(to + (<usize>k << 4), v128.load(x + <usize>k * ks));
    return;
  }
  for (let g = 0; g < w; g += 4) {
    const r0 = x + <usize>min(g, n - 1) * ls, r1 = x + <usize>min(g + 1, n - 1) * ls;
    const r2 = x + <usize>min(g + 2, n - 1) * ls, r3 = x + <usize>min(g + 3, n - 1) * ls;
    let p = to + (<usize>g << 2), k = 0;
    if (ks == 4) {
      // four k at a time from each of four lines, transposed in registers
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2;
        const v0 = v128.load(r0 + o), v1 = v128.load(r1 + o), v2 = v128.load(r2 + o), v3 = v128.load(r3 + o);
        const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
        const t2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
        v128.store(p, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
        v128.store(p + wb, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
        v128.store(p + 2 * wb, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
        v128.store(p + 3 * wb, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
        p += 4 * wb;
      }
    }
    for (; k < kc; k++) {
      const o = <usize>k * ks;
      v128.store(p, f32x4(load<f32>(r0 + o), load<f32>(r1 + o), load<f32>(r2 + o), load<f32>(r3 + o)));
      p += wb;
    }
  }
}

// ---- SIMD builds: the products ----------------------------------------------------------------------------

// C = A·B in blocks (see the header).
function gemmBlocked(flags: i32, a: usize, ars: usize, aks: usize, b: usize, brs: usize, bcs: usize, c: usize, ldc: usize,
                     M: i32, K: i32, N: i32, aux: usize, scratch: usize): void {
  const pa = scratch + PACK_B_BYTES, pack = bcs != 4 || M >= PACK_B_MIN_M, inPlace = aks == 4, gd = aux - c;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc), cb = c + (<usize>jc << 2), bias = aux + (<usize>jc << 2);
    for (let pc = 0; pc < K || pc == 0; pc += KC) {
      const kc = min(KC, K - pc), init = pc > 0 || (flags & INIT_ACC) != 0, last = pc + kc >= K;
      let pb = b + <usize>pc * brs + <usize>jc * bcs, bk = brs, bk4 = brs, pj: usize = 32;
      if (pack) {
        packPanels(pb, brs, bcs, kc, nc, scratch);
        pb = scratch; bk = 32; bk4 = 16; pj = <usize>kc * 32;
      }
      const epi = last ? tileEpilogue(flags) : TILE_NONE, pass = last && needsPass(flags);
      for (let i = 0; i < M; i += 4) {
        const rows = min(4, M - i), ci = cb + <usize>i * ldc, ai = a + <usize>i * ars + <usize>pc * aks;
        if (inPlace) {
          if (epi == TILE_RELU) stripInPlaceRelu(init, ai, ars, aks, kc, pb, bk, bk4, pj, ci, ldc, rows, nc);
          else if (epi == TILE_MASK) stripInPlaceMask(init, ai, ars, aks, kc, pb, bk, bk4, pj, ci, ldc, rows, nc, gd);
          else stripInPlace(init, ai, ars, aks, kc, pb, bk, bk4, pj, ci, ldc, rows, nc);
        } else {
          gatherPanel(ai, aks, ars, rows, kc, pa, 4);
          stripPacked(epi, init, pa, kc, pb, bk, bk4, pj, ci, ldc, rows, nc, gd);
        }
        if (pass) epilogueRows(flags, ci, ldc, rows, nc, bias, gd);
      }
    }
  }
}

// Relaxed builds: C = A·B for more than 12 columns, in column blocks of 12 (the last of 8 to 12), each a
// narrow product in 3x12 tiles (A and B read in place); columns left over (1..3) by the blocked path.
function gemmWide(flags: i32, a: usize, ars: usize, aks: usize, b: usize, brs: usize, c: usize, ldc: usize, M: i32, K: i32, N: i32, aux: usize, scratch: usize): void {
  let j = 0;
  while (N - j >= 8) {
    // blocks of 12, and of 8 to 12 at the end (16 to 19 left: two blocks of at least 8)
    const left = N - j, n = left <= 12 ? left : left >= 16 && left < 20 ? left - 8 : 12, o = <usize>j << 2;
    gemmNarrow(flags, a, ars, aks, b + o, brs, c + o, ldc, M, K, n, aux != 0 ? aux + o : 0);
    j += n;
  }
  if (j < N) {
    const o = <usize>j << 2;
    gemmBlocked(flags, a, ars, aks, b + o, brs, 4, c + o, ldc, M, K, N - j, aux != 0 ? aux + o : 0, scratch);
  }
}

// C = A·B for 8 to 12 columns (the output layer, or a block of gemmWide's) in 3x12 tiles, A and B read in
// place, K in slices of KC.
function gemmNarrow(flags: i32, a: usize, ars: usize, aks: usize, b: usize, brs: usize, c: usize, ldc: usize, M: i32, K: i32, N: i32, aux: usize): void {
  for (let pc = 0; pc < K || pc == 0; pc += KC) {
    const kc = min(KC, K - pc), init = pc > 0 || (flags & INIT_ACC) != 0, last = pc + kc >= K;
    const ap = a + <usize>pc * aks, bp = b + <usize>pc * brs, epi = last ? tileEpilogue(flags) : TILE_NONE;
    if (epi == TILE_RELU) strips3x12Relu(init, ap, ars, aks, kc, bp, brs, c, ldc, M, N);
    else if (epi == TILE_MASK) strips3x12Mask(init, ap, ars, aks, kc, bp, brs, c, ldc, M, N, aux - c);
    else strips3x12Plain(init, ap, ars, aks, kc, bp, brs, c, ldc, M, N);
    if (last && needsPass(flags)) epilogueRows(flags, c, ldc, M, N, aux, aux - c);
  }
}

// C[M,N] = A[K,M]ᵀ·B[K,N] for narrow N, as Cᵀ[N,M] = Bᵀ·A: the N columns become rows of a 4x8-tiled product
// whose long dimension is M, and each block of Cᵀ is then transposed into C through the epilogue. Each
// element's sum over k is the same in either orientation (x·y = y·x exactly), so the result is bit-identical.
// A(i,k) is at a + 4i + k·aks, B(k,j) at b + k·brs + 4j.
function gemmSwapped(flags: i32, a: usize, aks: usize, b: usize, brs: usize, c: usize, ldc: usize, M: i32, K: i32, N: i32,
                     aux: usize, scratch: usize): void {
  const ct = scratch + PACK_B_BYTES + PACK_A_BYTES, init = (flags & INIT_ACC) != 0, gd = aux - c;
  for (let i0 = 0; i0 < M; i0 += MS) {
    const ms = min(MS, M - i0), ldt = <usize>ms << 2;
    if (init) {
      for (let i = 0; i < ms; i++) {
        for (let j = 0; j < N; j++) store<f32>(ct + <usize>j * ldt + (<usize>i << 2), load<f32>(c + <usize>(i0 + i) * ldc + (<usize>j << 2)));
      }
    }
    gemmBlocked(init ? INIT_ACC : 0, b, 4, brs, a + (<usize>i0 << 2), aks, 4, ct, ldt, N, K, ms, 0, scratch);
    for (let i = 0; i < ms; i++) {
      const pc = c + <usize>(i0 + i) * ldc;
      for (let j = 0; j < N; j++) {
        const p = pc + (<usize>j << 2);
        store<f32>(p, epilogueOne(flags, load<f32>(ct + <usize>j * ldt + (<usize>i << 2)), aux + (<usize>j << 2), p + gd));
      }
    }
  }
}
