// sgd, momentum and adam of every build against test/reference/optim.ts, and their weight-decay forms sgd_wd,
// momentum_wd (L2: g + wd·w) and adamw (decoupled: w·(1 - lr·wd) first), which with wd = 0 must give the
// plain kernels' bits; and every update of the SIMD build against the scalar one bit for bit. (The bias
// gradient, a column sum of the deltas, is a row of gemm's Aᵀ·B and is tested with it: gemm.test.ts,
// gemm-general.test.ts.)
//
// Tolerances (ε = 2^-23, the f32 epsilon; u = ε/2):
// - sgd: w - lr·g is two roundings (or one when fused): |w' - ref| <= 2ε·(|w| + |lr·g|). With lr = 0 the
//   weights must come back bit for bit.
// - momentum: v' = mu·v + g is two roundings: tol_v = 2ε·(|mu·v| + |g|); w' = w - lr·v' adds two more and
//   inherits lr·tol_v.
// - adam: m' and v' as momentum (v' also rounds g·g: 3ε); the step (m'/c1)/(sqrt(v'/c2) + eps) is a few
//   roundings relative to itself, plus the error of m' scaled by 1/(c1·den); w' as sgd with that step.
// - weight decay: g + wd·w is two more roundings, 2ε·(|g| + |wd·w|), carried through as g's error (times lr
//   into W for sgd_wd, into V and then lr·V for momentum_wd); adamw's w·fl(1 - fl(lr·wd)) is two or three
//   roundings of w·(1 - lr·wd): 3ε·|w| more on adam's bound.
// Every elementwise check also proves, per case, that the reference with its largest element moved by 1e-3
// of its magnitude would fail (Tracker.sanity), so the tolerances cannot hide a real bug.

import { beforeAll, describe, expect, it } from "vitest";
import { KERNEL_BUILDS, type CompiledKernels, type KernelExports } from "../../src/engine/kernels.js";
import * as ref from "../reference/optim.js";
import { sgdTolerance } from "../reference/tolerance.js";
import { EPS, Fixture, Tracker, loadBuild, seedOf, expectClean } from "./harness.js";


/** Element counts: every tail length mod 4 and 8 several times over, and the parameter sizes of 64-32-10. */
const COUNTS = [...Array.from({ length: 40 }, (_, i) => i + 1), 63, 64, 65, 127, 320, 2048, 2048 + 5];
const LRS = [0, 1e-3, 0.01, 0.1, 0.5, 1, 2.5];

describe.each(KERNEL_BUILDS)("%s build", (build) => {
  let compiled: CompiledKernels;
  beforeAll(async () => {
    compiled = await loadBuild(build);
  });

  describe("sgd", () => {
    it("matches the reference for lr in {0, 1e-3, 0.01, 0.1, 0.5, 1, 2.5}; lr = 0 leaves W bit for bit", () => {
      const t = new Tracker();
      for (const lr of LRS) {
        for (const n of COUNTS) {
          const f = new Fixture(compiled, { W: [n], G: [n] }, { seed: seedOf("sgd", n, lr) });
          const { violations } = f.call(["W"], (k) => k.sgd(f.ptr("W"), f.ptr("G"), n, lr));
          const W0 = f.before("W"), G = f.before("G"), want = W0.slice();
          ref.sgd(want, G, n, lr);
          const tol = sgdTolerance(W0, G, lr);
          t.add(`sgd n=${n} lr=${lr}`, f.view("W"), want, tol, violations);
          if (lr === 0) t.add(`sgd n=${n} lr=0 unchanged`, f.view("W"), W0, () => 0);
        }
      }
      expectClean(t, (LRS.length + 1) * COUNTS.length);
    });
  });

  describe("momentum", () => {
    it("matches the reference for V and W (lr incl. 0, mu in {0, 0.5, 0.9, 0.99})", () => {
      const t = new Tracker();
      for (const lr of [0, 0.01, 0.1, 1]) {
        for (const mu of [0, 0.5, 0.9, 0.99]) {
          for (const n of COUNTS) {
            const f = new Fixture(compiled, { W: [n], G: [n], V: [n] }, { seed: seedOf("momentum", n, lr, mu) });
            const { violations } = f.call(["W", "V"], (k) => k.momentum(f.ptr("W"), f.ptr("G"), f.ptr("V"), n, lr, mu));
            const W0 = f.before("W"), G = f.before("G"), V0 = f.before("V");
            const W = W0.slice(), V = V0.slice();
            ref.momentum(W, G, V, n, lr, mu);
            const l = Math.abs(Math.fround(lr)), u = Math.abs(Math.fround(mu));
            const tolV = (i: number) => 2 * EPS * (u * Math.abs(V0[i]) + Math.abs(G[i]));
            const tolW = (i: number) => (l === 0 ? 0 : 2 * EPS * (Math.abs(W0[i]) + l * Math.abs(V[i])) + l * tolV(i));
            const label = `momentum n=${n} lr=${lr} mu=${mu}`;
            t.add(`${label} V`, f.view("V"), V, tolV, violations);
            t.add(`${label} W`, f.view("W"), W, tolW);
          }
        }
      }
      expectClean(t, 2 * 16 * COUNTS.length);
    });
  });

  describe("adam", () => {
    it("matches the reference for W, M and V over several steps' bias corrections and learning rates", () => {
      const t = new Tracker();
      const b1 = 0.9, b2 = 0.999, eps = 1e-8;
      for (const lr of [0, 1e-3, 0.1]) {
        for (const step of [1, 2, 10, 1000]) {
          const c1 = 1 - b1 ** step, c2 = 1 - b2 ** step;
          for (const n of COUNTS) {
            const f = new Fixture(compiled, { W: [n], G: [n], M: [n], V: [n] }, { seed: seedOf("adam", n, lr, step) });
            f.set("M", (_, r) => r.uniform(-0.1, 0.1));
            f.set("V", (_, r) => r.uniform(0, 0.01)); // a second moment is non-negative
            const { violations } = f.call(["W", "M", "V"], (k) =>
              k.adam(f.ptr("W"), f.ptr("G"), f.ptr("M"), f.ptr("V"), n, lr, b1, b2, eps, c1, c2),
            );
            const W0 = f.before("W"), G = f.before("G"), M0 = f.before("M"), V0 = f.before("V");
            const W = W0.slice(), M = M0.slice(), V = V0.slice();
            ref.adam(W, G, M, V, n, lr, b1, b2, eps, c1, c2);
            const fb1 = Math.fround(b1), fb2 = Math.fround(b2), k1 = Math.fround(c1), k2 = Math.fround(c2), e = Math.fround(eps);
            const l = Math.fround(lr);
            const tolM = (i: number) => 2 * EPS * (fb1 * Math.abs(M0[i]) + (1 - fb1) * Math.abs(G[i]));
            const tolV = (i: number) => 3 * EPS * (fb2 * V0[i] + (1 - fb2) * G[i] * G[i]);
            const tolW = (i: number) => {
              if (l === 0) return 0;
              const den = Math.sqrt(V[i] / k2) + e;
              const stepSize = Math.abs(M[i] / k1) / den;
              // m' error through 1/(c1·den); v' error through d(den)/dv' = 1/(2·sqrt(v'·c2)) ≤ (v' error)/(2·c2·(den - e));
              // the step's own ~6 roundings; then w - lr·step as sgd
              const sq = den - e;
              const viaV = sq > 0 ? stepSize * (tolV(i) / (2 * k2 * sq)) / den : 0;
              const tolStep = tolM(i) / (k1 * den) + viaV + 4 * EPS * stepSize;
              return 2 * EPS * (Math.abs(W0[i]) + l * stepSize) + l * tolStep;
            };
            const label = `adam n=${n} lr=${lr} t=${step}`;
            t.add(`${label} M`, f.view("M"), M, tolM, violations);
            t.add(`${label} V`, f.view("V"), V, tolV);
            t.add(`${label} W`, f.view("W"), W, tolW);
          }
        }
      }
      expectClean(t, 3 * 12 * COUNTS.length);
    });
  });
});

const WDS = [1e-4, 5e-3, 0.1];

/** adam's bound on W (above), with |W0| the weights the step starts from. */
function adamTolW(W0: number, G: number, M0: number, V0: number, M: number, V: number, lr: number, b1: number, b2: number, eps: number, c1: number, c2: number): number {
  const fb1 = Math.fround(b1), fb2 = Math.fround(b2), k1 = Math.fround(c1), k2 = Math.fround(c2), e = Math.fround(eps), l = Math.fround(lr);
  if (l === 0) return 0;
  const tolM = 2 * EPS * (fb1 * Math.abs(M0) + (1 - fb1) * Math.abs(G));
  const tolV = 3 * EPS * (fb2 * V0 + (1 - fb2) * G * G);
  const den = Math.sqrt(V / k2) + e, stepSize = Math.abs(M / k1) / den, sq = den - e;
  const viaV = sq > 0 ? stepSize * (tolV / (2 * k2 * sq)) / den : 0;
  const tolStep = tolM / (k1 * den) + viaV + 4 * EPS * stepSize;
  return 2 * EPS * (Math.abs(W0) + l * stepSize) + l * tolStep;
}

describe.each(KERNEL_BUILDS)("weight decay, %s build", (build) => {
  let compiled: CompiledKernels;
  beforeAll(async () => {
    compiled = await loadBuild(build);
  });

  it("sgd_wd: W -= lr·(G + wd·W) matches the reference", () => {
    const t = new Tracker();
    for (const lr of [1e-3, 0.1, 1]) {
      for (const wd of WDS) {
        for (const n of COUNTS) {
          const f = new Fixture(compiled, { W: [n], G: [n] }, { seed: seedOf("sgd_wd", n, lr, wd) });
          f.set("G", (_, r) => r.uniform(-0.1, 0.1));
          const { violations } = f.call(["W"], (k) => k.sgd_wd(f.ptr("W"), f.ptr("G"), n, lr, wd));
          const W0 = f.before("W"), G = f.before("G"), want = W0.slice();
          ref.sgd_wd(want, G, n, lr, wd);
          const l = Math.fround(lr), d = Math.fround(wd);
          const tolG = (i: number) => 2 * EPS * (Math.abs(G[i]) + d * Math.abs(W0[i]));
          const tol = (i: number) => 2 * EPS * (Math.abs(W0[i]) + l * Math.abs(G[i] + d * W0[i])) + l * tolG(i);
          t.add(`sgd_wd n=${n} lr=${lr} wd=${wd}`, f.view("W"), want, tol, violations);
        }
      }
    }
    expectClean(t, 3 * WDS.length * COUNTS.length);
  });

  it("momentum_wd: V = mu·V + (G + wd·W); W -= lr·V matches the reference", () => {
    const t = new Tracker();
    for (const lr of [0.01, 0.5]) {
      for (const mu of [0, 0.9]) {
        for (const wd of WDS) {
          for (const n of COUNTS) {
            const f = new Fixture(compiled, { W: [n], G: [n], V: [n] }, { seed: seedOf("momentum_wd", n, lr, mu, wd) });
            const { violations } = f.call(["W", "V"], (k) => k.momentum_wd(f.ptr("W"), f.ptr("G"), f.ptr("V"), n, lr, mu, wd));
            const W0 = f.before("W"), G = f.before("G"), V0 = f.before("V");
            const W = W0.slice(), V = V0.slice();
            ref.momentum_wd(W, G, V, n, lr, mu, wd);
            const l = Math.fround(lr), u = Math.fround(mu), d = Math.fround(wd);
            const tolG = (i: number) => 2 * EPS * (Math.abs(G[i]) + d * Math.abs(W0[i]));
            const tolV = (i: number) => 2 * EPS * (u * Math.abs(V0[i]) + Math.abs(G[i] + d * W0[i])) + tolG(i);
            const tolW = (i: number) => 2 * EPS * (Math.abs(W0[i]) + l * Math.abs(V[i])) + l * tolV(i);
            const label = `momentum_wd n=${n} lr=${lr} mu=${mu} wd=${wd}`;
            t.add(`${label} V`, f.view("V"), V, tolV, violations);
            t.add(`${label} W`, f.view("W"), W, tolW);
          }
        }
      }
    }
    expectClean(t, 2 * 2 * 2 * WDS.length * COUNTS.length);
  });

  it("adamw: W·(1 - lr·wd), then adam's step, matches the reference for W, M and V", () => {
    const t = new Tracker();
    const b1 = 0.9, b2 = 0.999, eps = 1e-8;
    for (const lr of [1e-3, 0.1]) {
      for (const step of [1, 10, 1000]) {
        for (const wd of [...WDS, 1]) {
          const c1 = 1 - b1 ** step, c2 = 1 - b2 ** step;
          for (const n of COUNTS) {
            const f = new Fixture(compiled, { W: [n], G: [n], M: [n], V: [n] }, { seed: seedOf("adamw", n, lr, step, wd) });
            f.set("M", (_, r) => r.uniform(-0.1, 0.1));
            f.set("V", (_, r) => r.uniform(0, 0.01));
            const { violations } = f.call(["W", "M", "V"], (k) =>
              k.adamw(f.ptr("W"), f.ptr("G"), f.ptr("M"), f.ptr("V"), n, lr, b1, b2, eps, c1, c2, wd),
            );
            const W0 = f.before("W"), G = f.before("G"), M0 = f.before("M"), V0 = f.before("V");
            const W = W0.slice(), M = M0.slice(), V = V0.slice();
            ref.adamw(W, G, M, V, n, lr, b1, b2, eps, c1, c2, wd);
            const fb1 = Math.fround(b1), fb2 = Math.fround(b2);
            const tolM = (i: number) => 2 * EPS * (fb1 * Math.abs(M0[i]) + (1 - fb1) * Math.abs(G[i]));
            const tolV = (i: number) => 3 * EPS * (fb2 * V0[i] + (1 - fb2) * G[i] * G[i]);
            const tolW = (i: number) => adamTolW(W0[i], G[i], M0[i], V0[i], M[i], V[i], lr, b1, b2, eps, c1, c2) + 3 * EPS * Math.abs(W0[i]);
            const label = `adamw n=${n} lr=${lr} t=${step} wd=${wd}`;
            t.add(`${label} M`, f.view("M"), M, tolM, violations);
            t.add(`${label} V`, f.view("V"), V, tolV);
            t.add(`${label} W`, f.view("W"), W, tolW);
          }
        }
      }
    }
    expectClean(t, 3 * 2 * 3 * (WDS.length + 1) * COUNTS.length);
  });

  it("wd = 0 gives the plain kernels' bits (sgd, momentum, adam), -0 and non-finite weights included", () => {
    const b1 = 0.9, b2 = 0.999, eps = 1e-8, c1 = 0.1, c2 = 0.001;
    const calls: [string, (k: KernelExports, w: number, g: number, m: number, v: number, n: number) => void, (k: KernelExports, w: number, g: number, m: number, v: number, n: number) => void][] = [
      ["sgd", (k, w, g, _m, _v, n) => k.sgd(w, g, n, 0.1), (k, w, g, _m, _v, n) => k.sgd_wd(w, g, n, 0.1, 0)],
      ["momentum", (k, w, g, _m, v, n) => k.momentum(w, g, v, n, 0.1, 0.9), (k, w, g, _m, v, n) => k.momentum_wd(w, g, v, n, 0.1, 0.9, 0)],
      ["adam", (k, w, g, m, v, n) => k.adam(w, g, m, v, n, 1e-3, b1, b2, eps, c1, c2), (k, w, g, m, v, n) => k.adamw(w, g, m, v, n, 1e-3, b1, b2, eps, c1, c2, 0)],
    ];
    for (const [name, plain, decayed] of calls) {
      for (const n of [1, 7, 64, 2053]) {
        const run = (fn: typeof plain) => {
          const f = new Fixture(compiled, { W: [n], G: [n], M: [n], V: [n] }, { seed: seedOf("wd0", name, n) });
          f.set("V", (_, r) => r.uniform(0, 0.01));
          const W = f.view("W"), G = f.view("G");
          W[0] = -0; G[0] = -0;
          if (n > 4) { W[1] = Infinity; W[2] = NaN; G[3] = -0; W[3] = 0; }
          f.call(["W", "M", "V"], (k) => fn(k, f.ptr("W"), f.ptr("G"), f.ptr("M"), f.ptr("V"), n));
          return ["W", "M", "V"].map((t) => Buffer.from(f.memory.buffer, f.ptr(t), 4 * n).toString("hex"));
        };
        expect(run(decayed), `${name}_wd with wd = 0, n = ${n}`).toEqual(run(plain));
      }
    }
  });
});

describe("optimisers: the SIMD build equals the scalar build bit for bit", () => {
  let scalar: CompiledKernels, simd: CompiledKernels;
  beforeAll(async () => {
    [scalar, simd] = await Promise.all([loadBuild("scalar"), loadBuild("simd")]);
  });
  const calls: [string, (k: KernelExports, w: number, g: number, m: number, v: number, n: number) => void][] = [
    ["sgd", (k, w, g, _m, _v, n) => k.sgd(w, g, n, 0.1)],
    ["momentum", (k, w, g, _m, v, n) => k.momentum(w, g, v, n, 0.1, 0.9)],
    ["adam", (k, w, g, m, v, n) => k.adam(w, g, m, v, n, 1e-3, 0.9, 0.999, 1e-8, 0.19, 0.002)],
    ["sgd_wd", (k, w, g, _m, _v, n) => k.sgd_wd(w, g, n, 0.1, 5e-4)],
    ["momentum_wd", (k, w, g, _m, v, n) => k.momentum_wd(w, g, v, n, 0.1, 0.9, 5e-4)],
    ["adamw", (k, w, g, m, v, n) => k.adamw(w, g, m, v, n, 1e-3, 0.9, 0.999, 1e-8, 0.19, 0.002, 0.01)],
  ];
  it("sgd, momentum, adam, sgd_wd, momentum_wd, adamw on every tail length", () => {
    for (const [name, fn] of calls) {
      for (const n of COUNTS) {
        const run = (c: CompiledKernels) => {
          const f = new Fixture(c, { W: [n], G: [n], M: [n], V: [n] }, { seed: seedOf("optim bits", name, n) });
          f.set("V", (_, r) => r.uniform(0, 0.01));
          f.call(["W", "M", "V"], (k) => fn(k, f.ptr("W"), f.ptr("G"), f.ptr("M"), f.ptr("V"), n));
          return ["W", "M", "V"].map((t) => Buffer.from(f.memory.buffer, f.ptr(t), 4 * n).toString("hex"));
        };
        expect(run(simd), `${name} n=${n}`).toEqual(run(scalar));
      }
    }
  });
});
