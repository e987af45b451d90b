// Finite-difference gradient check of whole networks through the wasm kernels, for every kernel build.
//
// For each network we run one training epoch (full-batch SGD, the path training takes) with a learning rate
// of 0: that leaves the parameters unchanged and the analytic gradients of the mean cross-entropy in dW1,
// db1, dW2, ... Each parameter is then nudged through its live view and the loss re-evaluated
// (net.trainStats().loss), giving a central difference to compare with the analytic value.
//
// Step and tolerance. The kernels compute in f32: a logit carries a rounding error of order K·ε·|z| with
// ε = 6e-8 (K ≤ 6 terms, |z| ~ 1 here), which moves the mean loss by up to a few 1e-7. The loss itself is
// summed in f64, so that is the noise floor. A central difference divides the difference of two such
// losses by 2h, so its noise is ≈ 3e-7 / h; its truncation error is h²/6 · |∂³L/∂θ³|, and with inputs and
// logits of order 1 the third derivative is O(1), i.e. ≈ 2e-5 at h = 1e-2. h = 1e-2 balances the two
// (noise ≈ 3e-5, truncation ≈ 2e-5); h = 1e-3 would make the rounding noise ≈ 3e-4. The perturbed value is
// itself rounded to f32, so the divisor is the step actually taken (read back from the view), not 2h.
// Gradients here are of order 1e-2 to 1e-1, so we accept |analytic − fd| ≤ ATOL + RTOL·|fd| with
// ATOL = 1e-4 (twice that a-priori error estimate; the errors actually seen are below 1e-5, so the bound is
// not tuned to them) and RTOL = 1e-2. A 10% error in any element with |g| ≥ ATOL / (0.1 − RTOL) ≈ 1.1e-3
// fails that test; the test asserts most elements are that large, and that the largest element scaled by
// 1.1, or with its sign flipped, does fail.
//
// ReLU kinks: the loss is not differentiable where a hidden pre-activation crosses 0, and a central
// difference straddling a kink is meaningless. An f64 forward pass in this file computes every hidden
// pre-activation at θ, θ+h and θ−h; a parameter whose perturbation flips any hidden unit's sign, or brings
// any pre-activation within KINK_MARGIN of 0 (where f32 and f64 could disagree on the sign), is skipped,
// and the test asserts only a small fraction (≤ 10%) is skipped.

import { describe, expect, it } from "vitest";
import { compileKernels, KERNEL_BUILDS, type CompiledKernels, type KernelBuild } from "../src/engine/kernels.js";
import { Network, type Stats } from "../src/engine/network.js";
import { DEFAULT_OPTIMIZER } from "../src/engine/optimizers.js";
import { mulberry32 } from "./reference/random.js";

const H = 1e-2;
const ATOL = 1e-4;
const RTOL = 1e-2;
const KINK_MARGIN = 1e-4;

const ok = (analytic: number, fd: number) => Math.abs(analytic - fd) <= ATOL + RTOL * Math.abs(fd);

/** A small deterministic generator, independent of the code under test (mulberry32 + Box-Muller). */
function rng(seed: number) {
  const u = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return { u, normal };
}

interface Problem {
  layers: number[];
  n: number;
  X: Float32Array;
  Y: Float32Array;
  W: Float32Array[];
  b: Float32Array[];
}

function makeProblem(layers: number[], n: number, seed: number): Problem {
  const r = rng(seed);
  const classes = layers[layers.length - 1];
  const X = Float32Array.from({ length: n * layers[0] }, r.normal);
  const Y = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) Y[i * classes + (i % classes)] = 1; // every class present
  const W: Float32Array[] = [], b: Float32Array[] = [];
  for (let l = 1; l < layers.length; l++) {
    const scale = 1 / Math.sqrt(layers[l - 1]);
    W.push(Float32Array.from({ length: layers[l - 1] * layers[l] }, () => r.normal() * scale));
    b.push(Float32Array.from({ length: layers[l] }, () => r.normal() * 0.3));
  }
  return { layers, n, X, Y, W, b };
}

/** Hidden pre-activations of every layer but the last, in f64, for the given parameters. */
function hiddenPreActivations(p: Problem, W: ArrayLike<number>[], b: ArrayLike<number>[]): number[] {
  const out: number[] = [];
  let A: number[] = Array.from(p.X);
  for (let l = 0; l < p.layers.length - 2; l++) {
    const fi = p.layers[l], fo = p.layers[l + 1];
    const Z = new Array(p.n * fo).fill(0);
    for (let i = 0; i < p.n; i++) {
      for (let j = 0; j < fo; j++) {
        let z = b[l][j];
        for (let k = 0; k < fi; k++) z += A[i * fi + k] * W[l][k * fo + j];
        Z[i * fo + j] = z;
      }
    }
    out.push(...Z);
    A = Z.map((z) => Math.max(0, z));
  }
  return out;
}

/** True when moving parameter `idx` of `kind` layer `l` by ±step would cross or touch a ReLU kink. */
function nearKink(p: Problem, kind: "W" | "b", l: number, idx: number, step: number): boolean {
  const base = hiddenPreActivations(p, p.W, p.b);
  for (const s of [step, -step]) {
    const W = p.W.map((w) => Array.from(w));
    const b = p.b.map((v) => Array.from(v));
    (kind === "W" ? W : b)[l][idx] += s;
    const z = hiddenPreActivations(p, W, b);
    for (let i = 0; i < z.length; i++) {
      if (Math.sign(z[i]) !== Math.sign(base[i]) || Math.abs(z[i]) < KINK_MARGIN || Math.abs(base[i]) < KINK_MARGIN) return true;
    }
  }
  return false;
}

interface Checked {
  name: string;
  analytic: number;
  fd: number;
}

/** A full-batch SGD network holding the problem's data and parameters. */
function fullBatchNetwork(kernels: CompiledKernels, p: Problem): Network {
  const net = new Network(kernels, { layers: p.layers, train: p.n, batch: p.n, eval: 0, optimizer: "sgd" });
  net.setTrain(p.X, p.Y);
  net.setParams({ layers: p.layers, W: p.W, b: p.b });
  return net;
}

async function gradcheck(build: KernelBuild, layers: number[], n: number, seed: number) {
  const p = makeProblem(layers, n, seed);
  const net = fullBatchNetwork(await compileKernels(build), p);
  net.epoch({ ...DEFAULT_OPTIMIZER, kind: "sgd", lr: 0 }, undefined);

  const L = layers.length - 1;
  // lr 0 must leave every parameter exactly as it was
  for (let l = 1; l <= L; l++) {
    expect(net.view(`W${l}`)).toEqual(p.W[l - 1]);
    expect(net.view(`b${l}`)).toEqual(p.b[l - 1]);
  }
  const grads = new Map<string, Float32Array>();
  for (let l = 1; l <= L; l++) {
    grads.set(`W${l}`, net.view(`dW${l}`).slice());
    grads.set(`b${l}`, net.view(`db${l}`).slice());
  }

  const lossAt = () => net.trainStats().loss;
  const checked: Checked[] = [];
  let skipped = 0, total = 0;
  for (let l = 1; l <= L; l++) {
    for (const kind of ["W", "b"] as const) {
      const name = `${kind}${l}`;
      const v = net.view(name);
      const g = grads.get(name)!;
      expect(g.length).toBe(v.length);
      for (let i = 0; i < v.length; i++) {
        total++;
        if (nearKink(p, kind, l - 1, i, H)) { skipped++; continue; }
        const orig = v[i];
        v[i] = orig + H;
        const up = v[i];
        const lossUp = lossAt();
        v[i] = orig - H;
        const down = v[i];
        const lossDown = lossAt();
        v[i] = orig;
        checked.push({ name: `${name}[${i}]`, analytic: g[i], fd: (lossUp - lossDown) / (up - down) });
      }
    }
  }
  // the perturbations were all undone
  for (let l = 1; l <= L; l++) expect(net.view(`W${l}`)).toEqual(p.W[l - 1]);
  return { checked, skipped, total, net, grads };
}

const NETS: { layers: number[]; seed: number }[] = [
  { layers: [5, 3], seed: 1 },
  { layers: [5, 4, 3], seed: 2 },
  { layers: [6, 5, 4, 3], seed: 3 },
];
const N = 7;

it("the kink guard notices a hidden pre-activation within the step of 0", () => {
  const p = makeProblem([5, 4, 3], N, 2);
  // place the first sample's first hidden pre-activation at +H/2 by moving that unit's bias
  const z = hiddenPreActivations(p, p.W, p.b)[0];
  p.b[0][0] += H / 2 - z;
  expect(nearKink(p, "b", 0, 0, H)).toBe(true);
  expect(nearKink(p, "W", 1, 0, H)).toBe(false); // the output layer's weights do not move hidden units
});

describe.each(KERNEL_BUILDS)("gradient check, %s kernels", (build) => {
  it.each(NETS)("layers $layers", async ({ layers, seed }) => {
    const { checked, skipped, total } = await gradcheck(build, layers, N, seed);
    expect(skipped / total, `skipped ${skipped} of ${total} near a ReLU kink`).toBeLessThanOrEqual(0.1);

    const bad = checked.filter((c) => !ok(c.analytic, c.fd));
    expect(bad, bad.map((c) => `${c.name}: analytic ${c.analytic} vs fd ${c.fd}`).join("\n")).toEqual([]);

    // Teeth. Most checked elements are large enough that a 10% error in them would be caught ...
    const detectable = checked.filter((c) => Math.abs(c.fd) >= ATOL / (0.1 - RTOL));
    expect(detectable.length / checked.length).toBeGreaterThanOrEqual(0.6);
    // ... and deliberately wrong gradients do fail the very same test: the largest element scaled by 1.1 or
    // sign-flipped, and every detectable element scaled by 1.1 one at a time.
    const largest = checked.reduce((a, c) => (Math.abs(c.fd) > Math.abs(a.fd) ? c : a));
    expect(ok(largest.analytic * 1.1, largest.fd)).toBe(false);
    expect(ok(-largest.analytic, largest.fd)).toBe(false);
    for (const c of detectable) expect(ok(c.analytic * 1.1, c.fd), c.name).toBe(false);
    // a gradient missing the 1/n of the mean (or with it twice) fails too
    expect(checked.every((c) => ok(c.analytic * N, c.fd))).toBe(false);
    expect(checked.every((c) => ok(c.analytic / N, c.fd))).toBe(false);
  });

  // One full-batch epoch with a real learning rate from the same parameters must land on W − lr·dW and
  // b − lr·db with the gradients just checked, and report the loss of the same forward pass. The tolerance is
  // f32 rounding (|W| ≲ 1, |lr·g| ≲ 0.3), far below a wrong step (lr·|g| ~ 1e-2).
  it.each(NETS)("layers $layers: an SGD epoch applies exactly those gradients", async ({ layers, seed }) => {
    const lr = 0.5;
    const { net, grads } = await gradcheck(build, layers, N, seed);
    const p = makeProblem(layers, N, seed);
    const before = net.trainStats().loss;
    const stats: Stats = { correct: 0, loss: 0 };
    net.epoch({ ...DEFAULT_OPTIMIZER, kind: "sgd", lr }, undefined, stats);
    expect(Math.abs(stats.loss - before)).toBeLessThanOrEqual(1e-6 * before);
    for (let l = 1; l < layers.length; l++) {
      for (const [kind, start] of [["W", p.W[l - 1]], ["b", p.b[l - 1]]] as const) {
        const now = net.view(`${kind}${l}`), g = grads.get(`${kind}${l}`)!;
        for (let i = 0; i < now.length; i++) {
          const want = start[i] - lr * g[i];
          expect(Math.abs(now[i] - want), `${kind}${l}[${i}]: ${now[i]} vs ${want}`).toBeLessThanOrEqual(1e-6);
        }
      }
    }
  });
});
