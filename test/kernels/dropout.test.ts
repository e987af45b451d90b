// dropout of every build against test/reference/dropout.ts: the same mask bit for bit (an integer hash of
// (seed, stream, row, column), the twin's own), kept values scaled by 1/(1 - p) within the one rounding the
// twin allows, and the properties training rests on: the same bits whatever rows a call covers (threads and
// slices), the SIMD build equal to the scalar one, strided rows that leave the columns past N alone (the
// column of ones), in place, p = 0 as the identity, the rate close to p, different masks for different
// streams and seeds, and the backward (the same call on the delta) zero exactly where the forward dropped.
//
// Tolerance: y = x·fl(1/(1 - p)) is two roundings of x/(1 - p) (1 - p is exact for p in [0.5, 1) and one more
// rounding below): 3ε·|y|, ε = 2^-23; a dropped element must be +0 exactly, a kept one nonzero where x is.

import { beforeAll, describe, expect, it } from "vitest";
import { KERNEL_BUILDS, type CompiledKernels } from "../../src/engine/kernels.js";
import * as ref from "../reference/dropout.js";
import { EPS, Fixture, Tracker, expectClean, loadBuild, seedOf } from "./harness.js";

const SHAPES: [number, number][] = [[1, 1], [1, 3], [3, 4], [5, 7], [7, 9], [17, 33], [33, 64], [64, 129], [100, 10], [512, 32]];
const RATES = [0, 0.1, 0.25, 0.5, 0.9];

/** Runs dropout on rows of X (N columns inside rows of ld ≥ N floats) into Y (or in place); returns Y's block. */
function run(compiled: CompiledKernels, M: number, N: number, ld: number, p: number, seed: number, stream: number, row0: number, inPlace: boolean) {
  const f = new Fixture(compiled, { X: [M, ld], Y: [M, ld] }, { seed: seedOf("dropout", M, N, ld, p, seed, stream, row0) });
  const out = inPlace ? "X" : "Y";
  const { violations } = f.call([out], (k) => k.dropout(f.ptr("X"), 4 * ld, f.ptr(out), 4 * ld, M, N, p, seed, stream, row0));
  return { f, out, violations };
}

describe.each(KERNEL_BUILDS)("dropout, %s build", (build) => {
  let compiled: CompiledKernels;
  beforeAll(async () => {
    compiled = await loadBuild(build);
  });

  it("matches the twin: the same mask, kept values x/(1 - p) within 3ε, the columns past N untouched, in place or not", () => {
    const t = new Tracker();
    for (const [M, N] of SHAPES) {
      for (const p of RATES) {
        for (const inPlace of [false, true]) {
          const ld = N + 3, seed = 42 + M, stream = 7 * N, row0 = 1000 * M;
          const { f, out, violations } = run(compiled, M, N, ld, p, seed, stream, row0, inPlace);
          const X = f.before("X"), want = f.before(out), m = new Float32Array(X.length * 2);
          // the twin on a memory of its own: X at 0, Y after it (or X again in place)
          m.set(X);
          if (!inPlace) m.set(want, X.length);
          ref.dropout(m, 0, ld, inPlace ? 0 : X.length, ld, M, N, p, seed, stream, row0);
          const twin = m.subarray(inPlace ? 0 : X.length, (inPlace ? 0 : X.length) + X.length);
          const label = `M=${M} N=${N} p=${p}${inPlace ? " in place" : ""}`;
          t.add(label, f.view(out), twin, (i) => (i % ld < N ? 3 * EPS * Math.abs(twin[i]) : 0), violations);
          const got = f.view(out);
          let maskDiff = 0;
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              const keep = ref.kept(p, seed, stream, row0 + i, j), v = got[i * ld + j];
              if (keep ? X[i * ld + j] !== 0 && v === 0 : !Object.is(v, 0)) maskDiff++;
            }
          }
          t.check(`${label} mask`, maskDiff === 0, `${maskDiff} elements kept or dropped against the twin's mask`);
        }
      }
    }
    expectClean(t);
  });

  it("gives the same bits whatever rows a call covers (a thread's rows [r0, r1) with row0 = r0)", () => {
    const M = 97, N = 45, ld = 46, p = 0.3, seed = 9, stream = 12345;
    const whole = run(compiled, M, N, ld, p, seed, stream, 500, false);
    const want = whole.f.view("Y").slice();
    for (const cuts of [[0, 1, 97], [0, 4, 8, 50, 97], [0, 33, 66, 97], [0, 13, 14, 60, 61, 97]]) {
      const f = new Fixture(compiled, { X: [M, ld], Y: [M, ld] }, { seed: seedOf("dropout", M, N, ld, p, seed, stream, 500) });
      f.set("X", whole.f.before("X"));
      f.set("Y", whole.f.before("Y"));
      f.call(["Y"], (k) => {
        for (let c = 0; c + 1 < cuts.length; c++) {
          const r0 = cuts[c], r1 = cuts[c + 1];
          k.dropout(f.ptr("X") + 4 * r0 * ld, 4 * ld, f.ptr("Y") + 4 * r0 * ld, 4 * ld, r1 - r0, N, p, seed, stream, 500 + r0);
        }
      });
      expect(Buffer.from(f.view("Y").buffer, f.ptr("Y"), 4 * M * ld).equals(Buffer.from(want.buffer)), `rows cut at ${cuts}`).toBe(true);
    }
  });

  it("p = 0 is the identity bit for bit; p >= 1 drops everything; the kept share is 1 - p", () => {
    const M = 200, N = 100, ld = N;
    const id = run(compiled, M, N, ld, 0, 1, 2, 0, false);
    expect(Buffer.from(id.f.view("Y").buffer, id.f.ptr("Y"), 4 * M * N).equals(Buffer.from(id.f.before("X").buffer))).toBe(true);
    const none = run(compiled, M, N, ld, 1, 1, 2, 0, false);
    expect(none.f.view("Y").every((v) => Object.is(v, 0))).toBe(true);
    for (const p of [0.1, 0.5, 0.8]) {
      const { f } = run(compiled, M, N, ld, p, 3, 4, 0, false);
      const X = f.before("X"), Y = f.view("Y");
      let kept = 0;
      for (let i = 0; i < Y.length; i++) if (Y[i] !== 0 || X[i] === 0) kept++;
      // binomial: 20000 draws, standard deviation ≤ 0.0036; allow 5σ
      expect(Math.abs(kept / Y.length - (1 - p)), `p=${p}: kept ${kept} of ${Y.length}`).toBeLessThan(0.018);
    }
  });

  it("draws different masks for different streams, seeds and rows, and the backward (the same call on G) zeroes what the forward dropped", () => {
    const M = 64, N = 64, p = 0.5;
    const mask = (seed: number, stream: number, row0: number) => {
      const { f } = run(compiled, M, N, N, p, seed, stream, row0, false);
      return Array.from(f.view("Y"), (v) => (v === 0 ? 0 : 1)).join("");
    };
    const base = mask(1, 1, 0);
    for (const [seed, stream, row0] of [[2, 1, 0], [1, 2, 0], [1, 1, 64]]) {
      const other = mask(seed, stream, row0);
      let same = 0;
      for (let i = 0; i < base.length; i++) if (base[i] === other[i]) same++;
      // independent masks agree on about half the elements
      expect(Math.abs(same / base.length - 0.5), `seed ${seed} stream ${stream} row0 ${row0}`).toBeLessThan(0.05);
    }
    // backward: dropout of the delta with the forward's arguments
    const f = new Fixture(compiled, { X: [M, N], Y: [M, N], G: [M, N], D: [M, N] }, { seed: 5, lo: 0.5, hi: 1 });
    f.call(["Y"], (k) => k.dropout(f.ptr("X"), 4 * N, f.ptr("Y"), 4 * N, M, N, p, 77, 3, 128));
    f.call(["D"], (k) => k.dropout(f.ptr("G"), 4 * N, f.ptr("D"), 4 * N, M, N, p, 77, 3, 128));
    const Y = f.view("Y"), D = f.view("D"), G = f.view("G");
    for (let i = 0; i < M * N; i++) {
      expect(Y[i] === 0, `element ${i}`).toBe(D[i] === 0);
      if (D[i] !== 0) expect(D[i]).toBe(Math.fround(G[i] * Math.fround(1 / Math.fround(1 - Math.fround(p)))));
    }
  });
});

describe("dropout: the SIMD build equals the scalar build bit for bit", () => {
  let scalar: CompiledKernels, simd: CompiledKernels;
  beforeAll(async () => {
    [scalar, simd] = await Promise.all([loadBuild("scalar"), loadBuild("simd")]);
  });
  it("on every shape and rate, in place and not, with large row offsets and negative seeds", () => {
    for (const [M, N] of SHAPES) {
      for (const p of [...RATES, 0.999, 1e-7]) {
        for (const inPlace of [false, true]) {
          const args = [M, N, N + 1, p, -5 - M, 2 ** 31 - 1 - N, 2 ** 30 + M, inPlace] as const;
          const a = run(scalar, ...args), b = run(simd, ...args);
          const bytes = (r: typeof a) => Buffer.from(r.f.view(r.out).buffer, r.f.ptr(r.out), 4 * M * (N + 1));
          expect(bytes(b).equals(bytes(a)), `M=${M} N=${N} p=${p}${inPlace ? " in place" : ""}`).toBe(true);
        }
      }
    }
  });
});

describe("the position hash", () => {
  it("mix32 is lowbias32 (known values) and the twin's bits are uniform and independent across columns and rows", () => {
    // lowbias32(1), lowbias32(0x12345678) by the reference C (x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16)
    const c = (x: number) => {
      let v = BigInt(x >>> 0);
      const m = 0xffffffffn;
      v ^= v >> 16n; v = (v * 0x7feb352dn) & m; v ^= v >> 15n; v = (v * 0x846ca68bn) & m; v ^= v >> 16n;
      return Number(v);
    };
    for (const x of [0, 1, 2, 0x12345678, 0xffffffff, 0x9e3779b9]) expect(ref.mix32(x)).toBe(c(x));
    // each of the 32 bits is set about half the time over 64 x 64 elements
    const counts = new Array(32).fill(0);
    for (let r = 0; r < 64; r++) for (let col = 0; col < 64; col++) {
      const b = ref.dropBits(42, 0, r, col);
      for (let k = 0; k < 32; k++) counts[k] += (b >>> k) & 1;
    }
    for (const n of counts) expect(Math.abs(n / 4096 - 0.5)).toBeLessThan(0.04);
  });
});
