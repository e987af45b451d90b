// gemm's activation epilogues (leaky_relu, tanh, sigmoid, gelu; STORE_Z) and derivative gates of every build
// against the twins in test/reference/activations.ts (f64), the SIMD builds against the scalar one bit for bit
// however the product is cut up, each activation's own accuracy on exact inputs, and each derivative as the
// backward pass computes it (from the stored A, or Z for gelu) against a central finite difference in f64.
//
// Tolerances (ε = 2^-23, the f32 epsilon; u = ε/2), per element, on top of the product's own bound
// 2·√(K+1)·ε·Σ|a·b| (gemm.test.ts), which an activation carries through with its slope |f'(z)|:
// - leaky_relu: one rounding (x·0.01f, and 0.01f is 0.01 within u): 2ε·|y|.
// - tanh: exp within 2 ulp (expf.ts) through (1 - e)/(1 + e) (e <= 0.29 there: no cancellation) and three
//   roundings; Cephes' polynomial within 2 ulp: 4ε·|y|.
// - sigmoid: exp's 2 ulp, 1 + e and the division: 6ε·|y|, and an absolute 2^-125 where the exact value is
//   below expf's clamp (about 2^-126).
// - gelu: as sigmoid for σ(2u), the product x·σ, and the rounding of 2u = K·(x + κx³) (≈3u relative,
//   no cancellation: x and κx³ share a sign), which moves ln σ by |δw|·σ(-w): ε·(8 + 2|w|·σ(-w))·|y|, and an
//   absolute 2^-125·max(1, |x|) below the clamp.
// - gates: the product's bound times |f'|, plus |acc| times the derivative's own error: leaky 2ε·|d|; tanh
//   (1 - g²) 2ε·(|d| + g²); sigmoid g·(1 - g) 3ε·|d|; gelu as gelu, ε·(8 + 2|w|σ(-w))·(|σ| + |x·σ'·2u'|),
//   and 4e-36 absolute (below -10 the kernel's derivative is the one at -10, about -2.7e-36).
// - finite differences: h = 1e-5, in f64 (truncation and rounding ≈ 1e-10); the kernel's derivative read from
//   an f32 A carries A's error: tanh 2|A|·4ε|A|, sigmoid |1 - 2A|·6ε|A|: bounds 8ε·(|d| + A²) and
//   8ε·(|d| + |A|) + 1e-9; gelu's (from Z, exact) as its gate; leaky exact (1 or 0.01f).
// Every elementwise check also proves, per case, that the reference with its largest element moved by 1e-3
// of its magnitude would fail (Tracker.sanity).

import { beforeAll, describe, expect, it } from "vitest";
import { KERNEL_BUILDS, GemmFlags, type CompiledKernels, type KernelBuild } from "../../src/engine/kernels.js";
import { GEMM_SCRATCH_BYTES } from "../../src/engine/arena.js";
import * as act from "../reference/activations.js";
import * as ref from "../reference/gemm.js";
import { sumTolerance } from "../reference/tolerance.js";
import { EPS, Fixture, Tracker, expectClean, loadBuild, seedOf, type Rng } from "./harness.js";

const { INIT_ACC, STORE_Z, BIAS } = GemmFlags;
const SCRATCH = GEMM_SCRATCH_BYTES / 4;
const FLOOR = 2 ** -125;
const GELU_K = 2 * Math.sqrt(2 / Math.PI);
/** gelu's derivative where the exact one is below expf's clamp: at most x·σ'(2u)·2u' at x = -10, 2.7e-36. */
const GELU_DERIV_FLOOR = 4e-36;

interface Kind {
  name: string;
  code: number;
  flag: number;
  gate: number;
  /** Values of the gate the backward reads: what this activation's forward stores (A, or Z for gelu). */
  gateValue: (r: Rng) => number;
}

const KINDS: Kind[] = [
  { name: "leaky_relu", code: act.ACT.LEAKY, flag: GemmFlags.LEAKY, gate: GemmFlags.GATE_LEAKY, gateValue: (r) => (r.next() < 0.1 ? 0 : r.uniform(-2, 2)) },
  { name: "tanh", code: act.ACT.TANH, flag: GemmFlags.TANH, gate: GemmFlags.GATE_TANH, gateValue: (r) => Math.tanh(r.uniform(-4, 4)) },
  { name: "sigmoid", code: act.ACT.SIGMOID, flag: GemmFlags.SIGMOID, gate: GemmFlags.GATE_SIGMOID, gateValue: (r) => act.sigmoid(r.uniform(-8, 8)) },
  { name: "gelu", code: act.ACT.GELU, flag: GemmFlags.GELU, gate: GemmFlags.GATE_GELU, gateValue: (r) => (r.next() < 0.05 ? r.uniform(-40, 40) : r.uniform(-5, 5)) },
];

/** 2u = √(8/π)·(x + κx³), gelu's sigmoid argument, and σ(-w) (how much an error in w moves ln σ(w)). */
function geluW(x: number): { w: number; sneg: number } {
  const w = GELU_K * (x + 0.044715 * x * x * x);
  return { w, sneg: act.sigmoid(-w) };
}

/** The activation's own error at input z with exact output y (see the header; 2^-149 for a subnormal result). */
function ownTol(kind: number, z: number, y: number): number {
  const a = Math.abs(y);
  switch (kind) {
    case act.ACT.LEAKY: return 2 * EPS * a + 2 ** -149;
    case act.ACT.TANH: return 4 * EPS * a + 2 ** -149;
    case act.ACT.SIGMOID: return 6 * EPS * a + FLOOR;
    default: {
      const { w, sneg } = geluW(z);
      return EPS * (8 + 2 * Math.abs(w) * sneg) * a + FLOOR * Math.max(1, Math.abs(z));
    }
  }
}

/** The derivative's own error, relative to |acc|, at gate value g (see the header). */
function derivTol(kind: number, g: number): number {
  const d = act.derivative(kind, g);
  switch (kind) {
    case act.ACT.LEAKY: return 2 * EPS * Math.abs(d);
    case act.ACT.TANH: return 2 * EPS * (Math.abs(d) + g * g);
    case act.ACT.SIGMOID: return 3 * EPS * Math.abs(d) + FLOOR;
    default: {
      const { w, sneg } = geluW(g);
      const s = act.sigmoid(w);
      // below -10 the kernel's derivative is that at -10 (GELU_CLAMP in act.ts), within 3e-36 of 0
      return EPS * (8 + 2 * Math.abs(w) * sneg) * (Math.abs(s) + Math.abs(d - s)) + GELU_DERIV_FLOOR;
    }
  }
}

type Form = "nn" | "tn" | "tn2" | "nt";

interface Problem {
  form: Form;
  M: number;
  K: number;
  N: number;
  /** Extra columns around the block in A, B, C and aux (row strides grow, the block starts at column `pad`). */
  pad: number;
}

/** Strides in bytes and tensor shapes of a form, inside matrices `pad` columns wider on each side. */
function layout(p: Problem) {
  const { form, M, K, N, pad } = p;
  const spread = form === "tn2" ? 2 : 1;
  const aShape = form === "nn" || form === "nt" ? [M, K + 2 * pad] : [K, spread * M + 2 * pad];
  const bShape = form === "nt" ? [N, K + 2 * pad] : [K, N + 2 * pad];
  const cw = N + 2 * pad, lda = 4 * aShape[1], ldb = 4 * bShape[1];
  const [ars, aks] = form === "nn" || form === "nt" ? [lda, 4] : [4 * spread, lda];
  const [brs, bcs] = form === "nt" ? [4, ldb] : [ldb, 4];
  return { aShape, bShape, cw, ars, aks, brs, bcs, ldc: 4 * cw, spread };
}

/** z = A·B in f64 over the block, and Σ|a·b| (the scale of its rounding error). */
function product(f: Fixture, p: Problem): { z: Float64Array; scale: Float64Array } {
  const { M, K, N, pad } = p, L = layout(p);
  const A = f.before("A"), B = f.before("B");
  const a = (i: number, k: number) => (p.form === "nn" || p.form === "nt" ? A[i * L.aShape[1] + pad + k] : A[k * L.aShape[1] + pad + L.spread * i]);
  const b = (k: number, j: number) => (p.form === "nt" ? B[j * L.bShape[1] + pad + k] : B[k * L.bShape[1] + pad + j]);
  const z = new Float64Array(M * N), scale = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0, t = 0;
      for (let k = 0; k < K; k++) { const x = a(i, k) * b(k, j); s += x; t += Math.abs(x); }
      z[i * N + j] = s;
      scale[i * N + j] = t;
    }
  }
  return { z, scale };
}

function fixture(compiled: CompiledKernels, p: Problem, label: string, gate?: Kind): Fixture {
  const L = layout(p);
  const f = new Fixture(compiled, { A: L.aShape, B: L.bShape, C: [p.M, L.cw], X: [p.M, L.cw], C0: [p.M, L.cw], S: [SCRATCH] },
    { seed: seedOf(label, p.form, p.M, p.K, p.N, p.pad), outputs: ["S"] });
  // pre-activations of a few units: the interesting part of every activation
  f.set("B", (_, r) => r.uniform(-1, 1) * (3 / Math.sqrt(p.K)));
  if (gate) f.set("X", (_, r) => gate.gateValue(r));
  return f;
}

/** One gemm call on the fixture's block: C (or `out`) (flags) A·B with aux at X's block. */
function gemmCall(f: Fixture, p: Problem, flags: number, scratch: boolean, out = "C", aux = true): void {
  const L = layout(p), o = 4 * p.pad;
  f.k.gemm(flags, f.ptr("A") + o, L.ars, L.aks, f.ptr("B") + o, L.brs, L.bcs, f.ptr(out) + o, L.ldc, p.M, p.K, p.N, aux ? f.ptr("X") + o : 0, scratch ? f.ptr("S") : 0);
}

/** What a tensor laid out as C should hold: its old values outside the block, `inside(i, j)` in it. */
function blockWant(f: Fixture, name: string, p: Problem, inside: (i: number, j: number) => number): Float64Array {
  const cw = layout(p).cw, want = Float64Array.from(f.before(name));
  for (let i = 0; i < p.M; i++) for (let j = 0; j < p.N; j++) want[i * cw + p.pad + j] = inside(i, j);
  return want;
}

function blockTol(p: Problem, inside: (i: number, j: number) => number): (x: number) => number {
  const cw = p.N + 2 * p.pad;
  return (x) => {
    const i = Math.floor(x / cw), j = (x % cw) - p.pad;
    return j >= 0 && j < p.N ? inside(i, j) : 0;
  };
}

// the paths: blocked (packed and direct B, K across 256-deep slices, N across 256-wide blocks, 4-wide tails),
// narrow (9-12 columns, 3x12 tiles), swapped (Aᵀ·B with fewer than 16 columns), packed A (tn2), the M tail
const FORWARD: Problem[] = [
  { form: "nn", M: 1, K: 1, N: 1, pad: 0 }, { form: "nn", M: 3, K: 5, N: 7, pad: 3 }, { form: "nn", M: 37, K: 64, N: 33, pad: 0 },
  { form: "nn", M: 40, K: 300, N: 10, pad: 3 }, { form: "nn", M: 70, K: 20, N: 260, pad: 0 }, { form: "tn", M: 33, K: 50, N: 13, pad: 3 },
  { form: "tn", M: 17, K: 260, N: 30, pad: 0 }, { form: "tn2", M: 37, K: 30, N: 33, pad: 3 }, { form: "nn", M: 5, K: 17, N: 12, pad: 0 },
];
const BACKWARD: Problem[] = [
  { form: "nt", M: 1, K: 1, N: 1, pad: 0 }, { form: "nt", M: 5, K: 10, N: 7, pad: 3 }, { form: "nt", M: 37, K: 10, N: 33, pad: 0 },
  { form: "nt", M: 64, K: 13, N: 260, pad: 3 }, { form: "nt", M: 33, K: 300, N: 11, pad: 0 }, { form: "nn", M: 17, K: 40, N: 30, pad: 3 },
  { form: "tn", M: 40, K: 33, N: 9, pad: 0 },
];

describe.each(KERNEL_BUILDS)("gemm's activations, %s build", (build) => {
  let compiled: CompiledKernels;
  beforeAll(async () => {
    compiled = await loadBuild(build);
  });

  describe.each(KINDS.map((k) => [k.name, k] as const))("%s", (_, kind) => {
    it("forward: C = act(A·B) (or act(A·B + bias)) within the product's bound through the slope plus the activation's own; STORE_Z keeps the plain product's bits", () => {
      const t = new Tracker();
      for (const p of FORWARD) {
        for (const scratch of [true, false]) {
          for (const [storeZ, bias] of [[false, false], [true, false], [false, true]]) {
            const f = fixture(compiled, p, `act ${kind.name}`);
            const plain = f.call(["C0", "S"], () => gemmCall(f, p, 0, scratch, "C0"));
            const flags = kind.flag | (storeZ ? STORE_Z : 0) | (bias ? BIAS : 0);
            const { violations } = f.call(storeZ ? ["C", "X", "S"] : ["C", "S"], () => gemmCall(f, p, flags, scratch, "C", storeZ || bias));
            const { z, scale } = product(f, p), e = sumTolerance(p.K + 1), N = p.N, X = f.before("X");
            // the bias of column j is X's first row, at the block's columns
            const b = (j: number) => (bias ? X[p.pad + j] : 0);
            const y = (i: number, j: number) => act.activate(kind.code, z[i * N + j] + b(j));
            const tol = (i: number, j: number) =>
              Math.abs(act.derivativeAt(kind.code, z[i * N + j] + b(j))) * e * (scale[i * N + j] + Math.abs(b(j))) + ownTol(kind.code, z[i * N + j] + b(j), y(i, j));
            const label = `${kind.name} ${p.form} M=${p.M} K=${p.K} N=${N} pad=${p.pad}${scratch ? "" : " (no scratch)"}${storeZ ? " STORE_Z" : ""}${bias ? " BIAS" : ""}`;
            t.add(label, f.view("C"), blockWant(f, "C", p, y), blockTol(p, tol), [...plain.violations, ...violations]);
            if (storeZ) {
              const C0 = f.view("C0"), cw = layout(p).cw;
              t.add(`${label}: Z is the plain product`, f.view("X"), blockWant(f, "X", p, (i, j) => C0[i * cw + p.pad + j]), () => 0);
            }
          }
        }
      }
      expectClean(t);
    });

    it("backward: C = (A·B) ⊙ act'(gate) from what the forward stores, within the product's bound times |act'| plus the derivative's own", () => {
      const t = new Tracker();
      for (const p of BACKWARD) {
        for (const scratch of [true, false]) {
          const f = fixture(compiled, p, `gate ${kind.name}`, kind);
          const { violations } = f.call(["C", "S"], () => gemmCall(f, p, kind.gate, scratch));
          const { z, scale } = product(f, p), e = sumTolerance(p.K + 1), N = p.N, X = f.before("X"), cw = layout(p).cw;
          const g = (i: number, j: number) => X[i * cw + p.pad + j];
          const want = (i: number, j: number) => z[i * N + j] * act.derivative(kind.code, g(i, j));
          const tol = (i: number, j: number) => e * scale[i * N + j] * Math.abs(act.derivative(kind.code, g(i, j))) + Math.abs(z[i * N + j]) * derivTol(kind.code, g(i, j));
          t.add(`${kind.name} gate ${p.form} M=${p.M} K=${p.K} N=${N} pad=${p.pad}${scratch ? "" : " (no scratch)"}`, f.view("C"), blockWant(f, "C", p, want), blockTol(p, tol), violations);
        }
      }
      expectClean(t, BACKWARD.length * 2);
    });
  });

  it("the twin gemm applies the same flags (activation, STORE_Z, gate) as these tests' own f64 sums", () => {
    const t = new Tracker();
    const p: Problem = { form: "nn", M: 7, K: 9, N: 6, pad: 1 };
    for (const kind of KINDS) {
      for (const [flags, gated] of [[kind.flag | STORE_Z, false], [kind.gate, true]] as const) {
        const f = fixture(compiled, p, `twin ${kind.name}`, gated ? kind : undefined);
        const m = new Float32Array(f.memory.buffer.byteLength / 4);
        m.set(new Float32Array(f.memory.buffer));
        const L = layout(p), o = p.pad, at = (n: string) => f.ptr(n) / 4 + o;
        ref.gemm(m, flags, at("A"), L.ars / 4, L.aks / 4, at("B"), L.brs / 4, L.bcs / 4, at("C"), L.ldc / 4, p.M, p.K, p.N, at("X"));
        f.call([], () => undefined); // snapshot for before()
        const { z } = product(f, p), X = f.before("X"), cw = L.cw;
        const want = blockWant(f, "C", p, (i, j) => (gated ? z[i * p.N + j] * act.derivative(kind.code, X[i * cw + o + j]) : act.activate(kind.code, z[i * p.N + j])));
        const got = m.subarray(f.ptr("C") / 4, f.ptr("C") / 4 + p.M * cw);
        t.add(`twin ${kind.name} flags=${flags}`, got, Float32Array.from(want), () => 0);
        if (!gated) t.add(`twin ${kind.name} Z`, m.subarray(f.ptr("X") / 4, f.ptr("X") / 4 + p.M * cw), Float32Array.from(blockWant(f, "X", p, (i, j) => z[i * p.N + j])), () => 0);
      }
    }
    expectClean(t);
  });
});

// ---- each activation on exact inputs: accuracy, special values, finite differences --------------------------

/** Inputs: a grid over [-12, 12], magnitudes 1e-30..1e4 of both signs, and the edges of each formula. */
function sweep(): Float32Array {
  const xs: number[] = [];
  for (let i = -2400; i <= 2400; i++) xs.push(i / 200);
  for (let e = -30; e <= 4; e += 0.25) xs.push(10 ** e, -(10 ** e));
  const f = (x: number) => Math.fround(x);
  const next = (x: number, d: number) => { const b = new Float32Array([x]), u = new Int32Array(b.buffer); u[0] += d; return b[0]; };
  for (const edge of [0.625, 10, 87.33654, 88, 44, 43.5]) for (const s of [1, -1]) for (const d of [-2, -1, 0, 1, 2]) xs.push(next(f(s * edge), d));
  xs.push(0, -0, 2 ** -149, -(2 ** -149), 2 ** -126, -0.7518, -0.75, 1e-8);
  return Float32Array.from(xs);
}

/** act(x) for every x, through gemm with K = 1 (C[1,n] = 1·x: exact), and Z with STORE_Z. */
function applyAll(compiled: CompiledKernels, flags: number, xs: Float32Array, gate?: Float32Array): { out: Float32Array; z: Float32Array; violations: string[] } {
  const n = xs.length;
  const f = new Fixture(compiled, { A: [1, 1], B: [1, n], C: [1, n], X: [1, n], S: [SCRATCH] }, { seed: 1, outputs: ["C", "S"] });
  f.set("A", [1]);
  f.set("B", xs);
  if (gate) f.set("X", gate);
  const mut = flags & STORE_Z ? ["C", "X", "S"] : ["C", "S"];
  const { violations } = f.call(mut, (k) => k.gemm(flags, f.ptr("A"), 4, 4, f.ptr("B"), 4 * n, 4, f.ptr("C"), 4 * n, 1, 1, n, f.ptr("X"), f.ptr("S")));
  return { out: f.view("C").slice(), z: f.view("X").slice(), violations };
}

describe.each(KERNEL_BUILDS)("the activations on exact inputs, %s build", (build: KernelBuild) => {
  let compiled: CompiledKernels;
  beforeAll(async () => {
    compiled = await loadBuild(build);
  });

  it("each is within its own bound of the f64 twin over a sweep of inputs (and the max error in ulp is small)", () => {
    const t = new Tracker(), xs = sweep();
    const ulps: string[] = [];
    for (const kind of KINDS) {
      const { out, violations } = applyAll(compiled, kind.flag, xs);
      const want = Float64Array.from(xs, (x) => act.activate(kind.code, x));
      t.add(`${kind.name} sweep`, out, want, (i) => ownTol(kind.code, xs[i], want[i]), violations);
      let worst = 0, near = 0;
      for (let i = 0; i < xs.length; i++) {
        if (Math.abs(want[i]) < 2 ** -100) continue; // the clamped floor is measured in absolute terms above
        const r = Math.abs(out[i] - want[i]) / (Math.abs(want[i]) * 2 ** -23);
        worst = Math.max(worst, r);
        if (Math.abs(xs[i]) <= 4) near = Math.max(near, r);
      }
      ulps.push(`${kind.name} ${worst.toFixed(2)} ε (${near.toFixed(2)} ε for |x| <= 4)`);
    }
    expectClean(t);
    expect(ulps.length).toBe(4);
    console.log(`${build}: worst relative error over the sweep (normal results): ${ulps.join(", ")}`);
  });

  it("special values: ±0, ±Infinity, NaN, and values past exp's clamp", () => {
    const xs = Float32Array.from([0, -0, Infinity, -Infinity, NaN, 1e30, -1e30, 200, -200]);
    const get = (kind: Kind) => applyAll(compiled, kind.flag, xs).out;
    const [leaky, tanh, sigmoid, gelu] = KINDS.map(get);
    // (a product of K = 1 accumulates 0 + 1·x, so -0 comes in as +0)
    expect(Array.from(leaky.subarray(0, 4))).toEqual([0, 0, Infinity, -Infinity]);
    expect(Array.from(tanh.subarray(0, 4))).toEqual([0, 0, 1, -1]);
    expect([tanh[5], tanh[6], tanh[7], tanh[8]]).toEqual([1, -1, 1, -1]);
    expect([sigmoid[0], sigmoid[1], sigmoid[2], sigmoid[5], sigmoid[7]]).toEqual([0.5, 0.5, 1, 1, 1]);
    for (const i of [3, 6, 8]) {
      // exp's clamp: about 2^-126 where the exact value is smaller
      expect(sigmoid[i], `sigmoid(${xs[i]})`).toBeGreaterThanOrEqual(0);
      expect(sigmoid[i], `sigmoid(${xs[i]})`).toBeLessThanOrEqual(2 ** -125);
      // gelu below -10 is max(x, -10)·σ(2u): within 10·2^-125 of 0, not x·2^-126
      expect(Math.abs(gelu[i]), `gelu(${xs[i]})`).toBeLessThanOrEqual(10 * 2 ** -125);
    }
    expect([gelu[0], gelu[2], gelu[5], gelu[7]]).toEqual([0, Infinity, Math.fround(1e30), 200]);
    for (const out of [leaky, tanh, sigmoid, gelu]) expect(out[4]).toBeNaN();
    // the derivatives stay finite wherever the forward is finite
    for (const kind of KINDS) {
      const stored = kind.code === act.ACT.GELU ? Float32Array.from([0, -0, 1e30, -1e30, 200, -200, 1e20, -1e20]) : applyAll(compiled, kind.flag, Float32Array.from([0, -0, 1e30, -1e30, 200, -200, 1e20, -1e20])).out;
      const d = applyAll(compiled, kind.gate, Float32Array.from(stored, () => 1), stored).out;
      expect(d.every(Number.isFinite), `${kind.name}' at ${Array.from(stored)}: ${Array.from(d)}`).toBe(true);
    }
  });

  it("each derivative, as the backward computes it from what the forward stored, matches a central finite difference (f64, h = 1e-5)", () => {
    const t = new Tracker();
    const xs: number[] = [];
    for (let i = -120; i <= 120; i++) if (i !== 0) xs.push(Math.fround(i / 20 + 0.013));
    xs.push(-9.5, -7.25, 7.25, 9.5, 1e-3, -1e-3);
    const x = Float32Array.from(xs), h = 1e-5;
    for (const kind of KINDS) {
      const fwd = applyAll(compiled, kind.flag | STORE_Z, x);
      const stored = kind.code === act.ACT.GELU ? fwd.z : fwd.out;
      // acc = 1·1 at every element: the gate's output is the derivative itself
      const { out: d, violations } = applyAll(compiled, kind.gate, Float32Array.from(x, () => 1), stored);
      const fd = Float64Array.from(x, (v) => (act.activate(kind.code, v + h) - act.activate(kind.code, v - h)) / (2 * h));
      const tol = (i: number) => {
        const A = fwd.out[i], dd = Math.abs(fd[i]);
        switch (kind.code) {
          case act.ACT.LEAKY: return 2 * EPS * dd + 1e-9;
          case act.ACT.TANH: return 8 * EPS * (dd + A * A) + 1e-9;
          case act.ACT.SIGMOID: return 8 * EPS * (dd + Math.abs(A)) + 1e-9;
          default: return derivTol(kind.code, x[i]) + 1e-9;
        }
      };
      t.add(`${kind.name}' vs finite differences`, d, fd, tol, [...fwd.violations, ...violations]);
      // and the stored Z of STORE_Z is the input itself
      t.add(`${kind.name} STORE_Z`, fwd.z, x, () => 0);
    }
    expectClean(t);
  });
});

describe("the twins are PyTorch's gelu(approximate=\"tanh\") and its backward", () => {
  it("x·σ(2u) and its derivative equal 0.5·x·(1 + tanh(u)) and aten's backward formula", () => {
    for (let i = -800; i <= 800; i++) {
      const x = i / 100;
      expect(Math.abs(act.gelu(x) - act.pytorchGelu(x)), `gelu(${x})`).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(x)));
      expect(Math.abs(act.geluGrad(x) - act.pytorchGeluGrad(x)), `gelu'(${x})`).toBeLessThanOrEqual(1e-14);
    }
    // PyTorch's value at 1: 0.8411920071 (torch.nn.functional.gelu(torch.tensor(1.), approximate="tanh"))
    expect(act.gelu(1)).toBeCloseTo(0.841192, 6);
  });
});

// ---- bit for bit ------------------------------------------------------------------------------------------

/** Every new flag: each activation with and without STORE_Z, each gate. */
const FLAG_SETS: { name: string; flags: number; kind?: Kind }[] = KINDS.flatMap((k) => [
  { name: k.name, flags: k.flag },
  { name: `${k.name} STORE_Z`, flags: k.flag | STORE_Z },
  { name: `${k.name} gate`, flags: k.gate, kind: k },
]);

const EXACT: Problem[] = [
  { form: "nn", M: 1797, K: 64, N: 32, pad: 0 }, { form: "nn", M: 64, K: 784, N: 128, pad: 0 }, { form: "nt", M: 1797, K: 10, N: 32, pad: 0 },
  { form: "nn", M: 37, K: 300, N: 10, pad: 1 }, { form: "tn", M: 100, K: 50, N: 7, pad: 0 }, { form: "tn2", M: 37, K: 30, N: 33, pad: 0 },
  { form: "nt", M: 19, K: 13, N: 261, pad: 2 }, { form: "nn", M: 5, K: 3, N: 5, pad: 0 },
];

/** C and X (Z or the gate) after the product cut up: K in chunks (INIT_ACC after the first; the epilogue on the last), rows in blocks. */
function cut(compiled: CompiledKernels, p: Problem, set: (typeof FLAG_SETS)[number], kChunks: number[], mParts: number): Uint32Array[] {
  const f = fixture(compiled, p, `exact ${set.name}`, set.kind), L = layout(p), o = 4 * p.pad;
  const cuts = Array.from({ length: mParts + 1 }, (_, i) => Math.round((p.M * i) / mParts));
  f.call(["C", "X", "S"], (k) => {
    let k0 = 0;
    kChunks.forEach((kc, ci) => {
      const flags = (ci > 0 ? INIT_ACC : 0) | (ci === kChunks.length - 1 ? set.flags : 0);
      for (let mi = 0; mi < mParts; mi++) {
        const i0 = cuts[mi], m = cuts[mi + 1] - i0;
        k.gemm(flags, f.ptr("A") + o + i0 * L.ars + k0 * L.aks, L.ars, L.aks, f.ptr("B") + o + k0 * L.brs, L.brs, L.bcs,
          f.ptr("C") + o + i0 * L.ldc, L.ldc, m, kc, p.N, f.ptr("X") + o + i0 * L.ldc, f.ptr("S"));
      }
      k0 += kc;
    });
  });
  return ["C", "X"].map((n) => new Uint32Array(f.view(n).slice().buffer));
}

function expectSameBits(label: string, got: Uint32Array[], want: Uint32Array[]): void {
  got.forEach((g, t) => {
    let count = 0, first = -1;
    for (let i = 0; i < g.length; i++) if (g[i] !== want[t][i]) { count++; if (first < 0) first = i; }
    expect(count, `${label} ${["C", "X"][t]}: ${count} of ${g.length} differ, first at ${first}`).toBe(0);
  });
}

describe("activations and gates: the SIMD build equals the scalar build bit for bit", () => {
  let scalar: CompiledKernels, simd: CompiledKernels;
  beforeAll(async () => {
    [scalar, simd] = await Promise.all([loadBuild("scalar"), loadBuild("simd")]);
  });
  it(`on ${EXACT.length} problems x ${FLAG_SETS.length} flag sets (every path), and on the sweep`, () => {
    for (const set of FLAG_SETS) {
      for (const p of EXACT) expectSameBits(`${set.name} ${p.form} ${p.M}x${p.K}x${p.N}`, cut(simd, p, set, [p.K], 1), cut(scalar, p, set, [p.K], 1));
    }
    const xs = sweep();
    for (const kind of KINDS) {
      for (const flags of [kind.flag, kind.flag | STORE_Z]) {
        const a = applyAll(scalar, flags, xs), b = applyAll(simd, flags, xs);
        expectSameBits(`${kind.name} sweep`, [new Uint32Array(b.out.buffer), new Uint32Array(b.z.buffer)], [new Uint32Array(a.out.buffer), new Uint32Array(a.z.buffer)]);
      }
      const stored = Float32Array.from(xs, (x) => (kind.code === act.ACT.GELU ? x : act.activate(kind.code, x)));
      const ones = Float32Array.from(xs, () => 1);
      const a = applyAll(scalar, kind.gate, ones, stored), b = applyAll(simd, kind.gate, ones, stored);
      expectSameBits(`${kind.name}' sweep`, [new Uint32Array(b.out.buffer)], [new Uint32Array(a.out.buffer)]);
    }
  });
});

describe.each(KERNEL_BUILDS)("activations and gates, %s build: the same bits however the product is cut up", (build) => {
  let compiled: CompiledKernels;
  beforeAll(async () => {
    compiled = await loadBuild(build);
  });
  it("K in chunks carried through C (the epilogue after the last), rows of C in blocks (threads)", () => {
    for (const set of FLAG_SETS) {
      for (const p of EXACT.filter((q) => q.K >= 10 && q.M * q.K * q.N < 2e7)) {
        const want = cut(compiled, p, set, [p.K], 1), third = Math.floor(p.K / 3);
        expectSameBits(`${set.name} ${p.form} ${p.M}x${p.K}x${p.N}, K in 3 chunks`, cut(compiled, p, set, [third, third + 1, p.K - 2 * third - 1], 1), want);
        expectSameBits(`${set.name} ${p.form} ${p.M}x${p.K}x${p.N}, rows in 3 blocks`, cut(compiled, p, set, [p.K], 3), want);
      }
    }
  });
});
