// "How it works": fills the section's steps with one sample's live numbers, traced through the model's
// current weights by forward.ts.

import { argmax, type Trace } from "./forward.ts";
import { fmt, renderHeat } from "./heat.ts";
import type { Snapshot } from "./protocol.ts";

const $ = <T extends HTMLElement = HTMLElement>(root: ParentNode, name: string) => root.querySelector<T>(`[data-ex="${name}"]`)!;
const maxAbs = (v: ArrayLike<number>) => Math.max(1e-12, ...Array.from(v, Math.abs));
const list = (v: ArrayLike<number>, n: number, digits: number) =>
  Array.from(v).slice(0, n).map((x) => fmt(x, digits)).join(", ") + (v.length > n ? ", …" : "");

export interface ExplainContext {
  snapshot: Snapshot;
  /** The learning rate and number of training rows of the run these weights belong to. */
  lr: number;
  n: number;
}

export function renderExplain(root: HTMLElement, t: Trace, ctx: ExplainContext): void {
  const s = ctx.snapshot, H = t.hidden[t.hidden.length - 1] ?? t.z, a = t.pre[t.pre.length - 1] ?? t.z;
  const C = t.p.length, hiddenSize = H.length, last = s.W.length - 1;
  root.dataset.ready = "true";

  // 1. raw pixels
  renderHeat($(root, "raw"), t.x, { cols: 8, kind: "sequential", max: 16, digits: 0, label: `The raw 8 by 8 pixels: ${Array.from(t.x).join(", ")}` });

  // 2. standardisation, with the most striking pixel worked out
  const zmax = maxAbs(t.z);
  renderHeat($(root, "z"), t.z, { cols: 8, kind: "diverging", max: Math.min(4, zmax), digits: 1, label: "The standardised pixels" });
  const j = argmax(t.z.map(Math.abs));
  $(root, "z-example").textContent =
    `pixel (row ${Math.floor(j / 8)}, column ${j % 8}): (${fmt(t.x[j], 0)} − ${fmt(s.mean[j], 2)}) / ${fmt(s.divisor[j], 2)} = ${fmt(t.z[j], 3)}`;

  // 3. hidden layer
  const amax = maxAbs(a);
  renderHeat($(root, "pre"), a, { cols: hiddenSize, kind: "diverging", max: amax, label: `Hidden pre-activations: ${list(a, hiddenSize, 2)}` });
  renderHeat($(root, "hidden"), H, { cols: hiddenSize, kind: "diverging", max: amax, label: `Hidden activations after ReLU: ${list(H, hiddenSize, 2)}` });
  const active = H.reduce((k, v) => k + (v > 0 ? 1 : 0), 0);
  const top = argmax(H);
  $(root, "pre-values").textContent = `a = [${list(a, 6, 3)}]`;
  $(root, "hidden-values").textContent = `h = [${list(H, 6, 3)}]`;
  $(root, "hidden-summary").textContent =
    `${active} of ${hiddenSize} units are active (a > 0); the strongest is unit ${top} with h = ${fmt(H[top], 3)}.`;

  // 4. logits and 5. softmax
  renderHeat($(root, "logits"), t.logits, { cols: C, kind: "diverging", max: maxAbs(t.logits), digits: 1, indexed: true, label: `Logits: ${list(t.logits, C, 2)}` });
  renderHeat($(root, "p"), t.p, { cols: C, kind: "sequential", max: 1, digits: 2, indexed: true, label: `Probabilities: ${list(t.p, C, 3)}` });
  const pred = argmax(t.p);
  $(root, "p-summary").textContent =
    `Σ p = ${fmt(t.p.reduce((x, y) => x + y, 0), 6)}; the prediction is ${pred} (p = ${fmt(t.p[pred], 4)}). ` +
    `Cross-entropy loss for label ${t.label}: −log p[${t.label}] = ${fmt(t.loss, 4)}.`;

  // 6. the gradient at the output
  renderHeat($(root, "g"), t.g, { cols: C, kind: "diverging", max: 1, digits: 2, indexed: true, label: `Gradient P minus Y: ${list(t.g, C, 3)}` });
  $(root, "g-summary").textContent =
    `g[${t.label}] = p[${t.label}] − 1 = ${fmt(t.g[t.label], 4)} (negative: the update raises logit ${t.label}); ` +
    `every other g[k] = p[k] ≥ 0 lowers logit k.`;

  // 7. this sample's share of the full-batch update of the last weight matrix, and of the hidden layer's
  const share = ctx.lr / ctx.n;
  const dW = new Float64Array(hiddenSize * C);
  for (let i = 0; i < hiddenSize; i++) for (let k = 0; k < C; k++) dW[i * C + k] = -share * H[i] * t.g[k];
  renderHeat($(root, "dW"), dW, { cols: C, kind: "diverging", max: maxAbs(dW), label: `This sample's change to W${last + 1}, ${hiddenSize} rows by ${C} columns` });
  const w = s.W[last][top * C + t.label];
  $(root, "dW-example").textContent =
    `For unit ${top} and class ${t.label}: ΔW${last + 1}[${top}, ${t.label}] = −(${fmt(ctx.lr, 3)} / ${ctx.n}) · ${fmt(H[top], 3)} · ${fmt(t.g[t.label], 4)} ` +
    `= ${fmt(dW[top * C + t.label], 7)}, on a weight of ${fmt(w, 4)}.`;
  renderHeat($(root, "gHidden"), t.gHidden, { cols: hiddenSize, kind: "diverging", max: maxAbs(t.gHidden), label: `Gradient at the hidden layer: ${list(t.gHidden, hiddenSize, 3)}` });
  $(root, "gHidden-values").textContent = `g₁ = [${list(t.gHidden, 6, 4)}]`;

  $(root, "weights").textContent = s.epoch === 0
    ? `These numbers use the untrained, random weights (before epoch 0). Train the model to see them change.`
    : `These numbers use the model's weights after ${s.epoch} epochs of training.`;
}
