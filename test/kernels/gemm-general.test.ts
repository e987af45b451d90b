// The general gemm kernel's flags and strides against the reference: a partial sum carried in C (INIT_ACC),
// the ReLU gate (MASK), the bias epilogues, and sub-blocks of larger matrices (a thread's share of a layer),
// which must leave the rest of C alone.

import { beforeAll, describe, expect, it } from "vitest";
import { KERNEL_BUILDS, GemmFlags, type CompiledKernels } from "../../src/engine/kernels.js";
import { GEMM_SCRATCH_BYTES } from "../../src/engine/arena.js";
import * as ref from "../reference/gemm.js";
import { sumTolerance } from "../reference/tolerance.js";
import { EPS, Fixture, Tracker, expectClean, loadBuild, seedOf } from "./harness.js";

const { INIT_ACC, BIAS, RELU, MASK } = GemmFlags;

interface Case {
  /**
   * A[M,K] (nn) or A[K,M] (tn, the weight-gradient form), inside a larger matrix with `pad` more columns; or
   * A[K,M] in every other column of [K, 2M] (tn2: rows of A neither contiguous nor adjacent, so packed).
   */
  form: "nn" | "tn" | "tn2";
  M: number;
  K: number;
  N: number;
  flags: number;
  /** Extra columns around the block in A, B and C (row strides grow, the block starts at column `pad`). */
  pad: number;
}

function run(t: Tracker, compiled: CompiledKernels, c: Case, scratch: boolean): void {
  const { form, M, K, N, flags, pad } = c;
  const spread = form === "tn2" ? 2 : 1;
  const aRows = form === "nn" ? M : K, aCols = spread * (form === "nn" ? K : M) + 2 * pad;
  const f = new Fixture(compiled, { A: [aRows, aCols], B: [K, N + 2 * pad], C: [M, N + 2 * pad], aux: [Math.max(N, M * (N + 2 * pad))], S: [GEMM_SCRATCH_BYTES / 4] },
    { seed: seedOf("general", form, M, K, N, flags, pad), outputs: ["S"] });
  if (flags & MASK) f.set("aux", (_, r) => (r.next() < 0.5 ? r.uniform(0.01, 1) : -r.uniform(0, 1)));
  const ldc = (N + 2 * pad) * 4, ldb = (N + 2 * pad) * 4, lda = aCols * 4;
  const a = f.ptr("A") + pad * 4, b = f.ptr("B") + pad * 4, cp = f.ptr("C") + pad * 4;
  const aux = flags & MASK ? f.ptr("aux") + pad * 4 : f.ptr("aux");
  const [ars, aks] = form === "nn" ? [lda, 4] : [4 * spread, lda];
  const { violations } = f.call(["C", "S"], (k) => k.gemm(flags, a, ars, aks, b, ldb, 4, cp, ldc, M, K, N, aux, scratch ? f.ptr("S") : 0));

  // the reference on the dense blocks
  const A0 = f.before("A"), B0 = f.before("B"), C0 = f.before("C"), X = f.before("aux");
  const Ab = new Float32Array(M * K), Bb = new Float32Array(K * N);
  const w = (aCols - 2 * pad) / spread;
  for (let i = 0; i < aRows; i++) for (let j = 0; j < w; j++) Ab[i * w + j] = A0[i * aCols + pad + spread * j];
  for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) Bb[k * N + j] = B0[k * (N + 2 * pad) + pad + j];
  const prod = new Float32Array(M * N), absProd = new Float32Array(M * N);
  const mm = form === "nn" ? ref.gemm_nn : ref.gemm_tn;
  mm(Ab, Bb, prod, M, K, N);
  mm(Ab.map(Math.abs), Bb.map(Math.abs), absProd, M, K, N);
  const want = C0.slice(), tol = new Float64Array(want.length);
  const cw = N + 2 * pad, e = sumTolerance(K + 1);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const at = i * cw + pad + j, start = flags & INIT_ACC ? C0[at] : 0;
      let v = start + prod[i * N + j];
      let scale = Math.abs(start) + absProd[i * N + j];
      if (flags & BIAS) { v += X[j]; scale += Math.abs(X[j]); if (flags & RELU && !(v > 0)) v = 0; }
      if (flags & MASK && !(X[i * cw + pad + j] > 0)) { v = 0; scale = 0; }
      want[at] = v;
      tol[at] = e * scale;
    }
  }
  t.add(`${form} M=${M} K=${K} N=${N} flags=${flags} pad=${pad}${scratch ? "" : " (no scratch)"}`, f.view("C"), want, (i) => tol[i], violations);
}

describe.each(KERNEL_BUILDS)("gemm, %s build", (build) => {
  let compiled: CompiledKernels;
  beforeAll(async () => {
    compiled = await loadBuild(build);
  });

  const SHAPES: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [5, 17, 10], [33, 300, 9], [40, 64, 32], [70, 20, 260], [17, 260, 13]];
  for (const flags of [0, INIT_ACC, BIAS, BIAS | RELU, MASK, INIT_ACC | MASK, INIT_ACC | BIAS | RELU]) {
    it(`flags ${flags}: nn, tn and strided blocks inside larger matrices, with and without scratch`, () => {
      const t = new Tracker();
      for (const form of ["nn", "tn", "tn2"] as const) {
        for (const [M, K, N] of SHAPES) {
          for (const pad of [0, 3]) for (const scratch of [true, false]) run(t, compiled, { form, M, K, N, flags, pad }, scratch);
        }
      }
      expectClean(t, 3 * SHAPES.length * 4);
    });
  }

  it("leaves the columns of C around the block untouched", () => {
    const f = new Fixture(compiled, { A: [9, 10], B: [10, 20], C: [9, 20], S: [GEMM_SCRATCH_BYTES / 4] }, { seed: 7, outputs: ["S"] });
    f.set("C", () => 42);
    f.call(["C", "S"], (k) => k.gemm(0, f.ptr("A"), 40, 4, f.ptr("B") + 20, 80, 4, f.ptr("C") + 20, 80, 9, 10, 11, 0, f.ptr("S")));
    const C = f.view("C");
    for (let i = 0; i < 9; i++) {
      for (let j = 0; j < 20; j++) if (j < 5 || j >= 16) expect(C[i * 20 + j], `C[${i}][${j}]`).toBe(42);
    }
  });
});
