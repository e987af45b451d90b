// Same inputs, same bits. The SIMD build's gemm must equal the scalar build's bit for bit on every form,
// epilogue and shape (each element summed over k in order, a multiply then an add, in both), and every
// build must give the same bits however a product is cut up: K in chunks that carry their partial sums in C
// (the step walks the batch in slices), rows or columns of C in blocks (threads split a layer's outputs).
// These are the properties the trained weights' bit-identity rests on.

import { beforeAll, describe, expect, it } from "vitest";
import { KERNEL_BUILDS, GemmFlags, type CompiledKernels, type KernelBuild } from "../../src/engine/kernels.js";
import { GEMM_SCRATCH_BYTES } from "../../src/engine/arena.js";
import { Fixture, loadBuild, seedOf } from "./harness.js";

const { INIT_ACC, BIAS, RELU, MASK } = GemmFlags;
/** tn2: A[K,M] in every other column of [K, 2M], so its rows are neither contiguous nor adjacent (packed). */
type Form = "nn" | "tn" | "nt" | "tn2";

interface Problem {
  form: Form;
  M: number;
  K: number;
  N: number;
  flags: number;
}

/** A's, B's and C's strides for a form (row-major A[M,K] / A[K,M], B[K,N] / B[N,K], C[M,N]). */
function strides(p: Problem): { ars: number; aks: number; brs: number; bcs: number; ldc: number } {
  const { form, M, K, N } = p;
  return {
    ars: form === "tn" ? 4 : form === "tn2" ? 8 : 4 * K,
    aks: form === "tn" ? 4 * M : form === "tn2" ? 8 * M : 4,
    brs: form === "nt" ? 4 : 4 * N,
    bcs: form === "nt" ? 4 * K : 4,
    ldc: 4 * N,
  };
}

function fixture(compiled: CompiledKernels, p: Problem): Fixture {
  const { form, M, K, N } = p;
  const f = new Fixture(compiled, { A: form === "tn" ? [K, M] : form === "tn2" ? [K, 2 * M] : [M, K], B: form === "nt" ? [N, K] : [K, N], C: [M, N], aux: [Math.max(N, M * N)], S: [GEMM_SCRATCH_BYTES / 4] },
    { seed: seedOf("exact", form, M, K, N, p.flags), outputs: ["S"] });
  f.set("A", (_, r) => (form !== "nn" && form !== "nt" && r.next() < 0.4 ? 0 : r.uniform(-1, 1))); // activations: some exact zeros
  if (p.flags & MASK) f.set("aux", (_, r) => r.uniform(-1, 1));
  return f;
}

/** C after one whole call. */
function whole(compiled: CompiledKernels, p: Problem): Float32Array {
  const f = fixture(compiled, p), s = strides(p);
  f.call(["C", "S"], (k) => k.gemm(p.flags, f.ptr("A"), s.ars, s.aks, f.ptr("B"), s.brs, s.bcs, f.ptr("C"), s.ldc, p.M, p.K, p.N, f.ptr("aux"), f.ptr("S")));
  return f.view("C").slice();
}

/**
 * C after the same product cut up: K in chunks (each after the first with INIT_ACC, the epilogue only on the
 * last), then within each chunk rows of C in `mParts` blocks and columns in `nParts` blocks.
 */
function pieces(compiled: CompiledKernels, p: Problem, kChunks: number[], mParts: number, nParts: number): Float32Array {
  const f = fixture(compiled, p), s = strides(p);
  const cuts = (n: number, parts: number) => Array.from({ length: parts + 1 }, (_, i) => Math.round((n * i) / parts));
  const mc = cuts(p.M, mParts), ncut = cuts(p.N, nParts);
  f.call(["C", "S"], (k) => {
    let k0 = 0;
    kChunks.forEach((kc, ci) => {
      const first = ci === 0, last = ci === kChunks.length - 1;
      const flags = (first ? p.flags & INIT_ACC : INIT_ACC) | (last ? p.flags & ~INIT_ACC : 0);
      for (let mi = 0; mi < mParts; mi++) {
        for (let ni = 0; ni < nParts; ni++) {
          const i0 = mc[mi], j0 = ncut[ni], m = mc[mi + 1] - i0, n = ncut[ni + 1] - j0;
          const a = f.ptr("A") + i0 * s.ars + k0 * s.aks, b = f.ptr("B") + k0 * s.brs + j0 * s.bcs, c = f.ptr("C") + i0 * s.ldc + 4 * j0;
          const aux = p.flags & MASK ? f.ptr("aux") + i0 * s.ldc + 4 * j0 : f.ptr("aux") + 4 * j0;
          k.gemm(flags, a, s.ars, s.aks, b, s.brs, s.bcs, c, s.ldc, m, kc, n, aux, f.ptr("S"));
        }
      }
      k0 += kc;
    });
  });
  return f.view("C").slice();
}

const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

function expectSameBits(label: string, got: Float32Array, want: Float32Array): void {
  const g = bits(got), w = bits(want);
  let first = -1, count = 0;
  for (let i = 0; i < w.length; i++) if (g[i] !== w[i]) { count++; if (first < 0) first = i; }
  expect(count, `${label}: ${count} of ${w.length} differ, first at ${first}: ${got[first]} vs ${want[first]}`).toBe(0);
}

// every path of the blocked kernel: packed and direct B, K across slices, N across blocks, the 4-wide tail,
// the swapped narrow Aᵀ·B and its row blocks, the M tail; the training shapes of the digits and MNIST MLPs
const PROBLEMS: Problem[] = [];
for (const flags of [0, BIAS | RELU, MASK, INIT_ACC]) {
  for (const [form, M, K, N] of [
    ["nn", 1797, 64, 32], ["nn", 1797, 32, 10], ["tn", 64, 1797, 32], ["tn", 32, 1797, 10], ["nt", 1797, 10, 32],
    ["nn", 1797, 256, 256], ["tn", 256, 1797, 256], ["nt", 1797, 256, 256], ["tn", 256, 1797, 10], ["nn", 1797, 256, 10],
    ["nn", 64, 784, 128], ["tn", 784, 64, 128], ["tn", 128, 64, 10], ["nt", 64, 10, 128],
    ["nn", 37, 300, 300], ["tn", 1030, 50, 7], ["nt", 19, 13, 260], ["nn", 5, 3, 5], ["tn2", 37, 300, 33], ["tn2", 6, 20, 10],
  ] as [Form, number, number, number][]) PROBLEMS.push({ form, M, K, N, flags });
}
const label = (p: Problem) => `${p.form} ${p.M}x${p.K}x${p.N} flags ${p.flags}`;

describe("gemm: the SIMD build equals the scalar build bit for bit", () => {
  let scalar: CompiledKernels, simd: CompiledKernels;
  beforeAll(async () => {
    [scalar, simd] = await Promise.all([loadBuild("scalar"), loadBuild("simd")]);
  });
  it(`on ${PROBLEMS.length} problems (every form, epilogue and path)`, () => {
    for (const p of PROBLEMS) expectSameBits(label(p), whole(simd, p), whole(scalar, p));
  });
});

describe.each(KERNEL_BUILDS)("gemm, %s build: the same bits however the product is cut up", (build: KernelBuild) => {
  let compiled: CompiledKernels;
  beforeAll(async () => {
    compiled = await loadBuild(build);
  });
  it("K in chunks carried through C, rows and columns of C in blocks", () => {
    for (const p of PROBLEMS.filter((q) => q.K >= 10 && q.M * q.K * q.N < 3e7)) {
      const want = whole(compiled, p);
      const third = Math.floor(p.K / 3);
      expectSameBits(`${label(p)}, K in 3 chunks`, pieces(compiled, p, [third, third + 1, p.K - 2 * third - 1], 1, 1), want);
      expectSameBits(`${label(p)}, rows in 3 blocks`, pieces(compiled, p, [p.K], 3, 1), want);
      expectSameBits(`${label(p)}, columns in 2 blocks, K in 2 chunks`, pieces(compiled, p, [p.K >> 1, p.K - (p.K >> 1)], 1, 2), want);
    }
  });
});
