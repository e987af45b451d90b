// "How it works": one sample traced through the network whose weights the page holds, before any run
// (the form's untrained network), during one (its initial weights) and after (the trained ones).

import { fitNormalization, initParams } from "../src/index.ts";
import { renderExplain } from "./explain.ts";
import { valueOrDefault, wholeNumberInRange } from "./form.ts";
import { trace } from "./forward.ts";
import type { Snapshot } from "./protocol.ts";
import { CLASSES, PIXELS, dataSample, hook, state } from "./state.ts";
import { ui } from "./ui.ts";

/** N in the update step until the worker has sent the data (the data set's size). */
const DIGITS_IN_DATA_SET = 1797;

/** Before the first run: the network the form describes, with its random initial weights (as the worker would build it). */
export function untrained(): Snapshot | undefined {
  const hidden = wholeNumberInRange(ui.fields.hidden), seed = wholeNumberInRange(ui.fields.seed);
  if (!state.data || hidden === undefined || seed === undefined) return undefined;
  const p = initParams([PIXELS, hidden, CLASSES], seed);
  const norm = (state.dataNorm ??= fitNormalization(state.data.X, state.data.n, PIXELS, "feature"));
  return { layers: [...p.layers], W: p.W, b: p.b, mean: norm.mean, divisor: norm.divisor, epoch: 0 };
}

/** Traces the current input (else the data set's first digit) through the snapshot's network. */
export function explain(): void {
  const snapshot = state.snapshot;
  const sample = state.input ?? (state.data && dataSample(state.data, 0));
  if (!snapshot || !sample) return;
  const label = ui.labelSelect.value !== "" ? Number(ui.labelSelect.value) : sample.label;
  const t = trace(snapshot, sample.pixels, label);
  ui.howSource.textContent = `Sample: ${sample.source}. Label for the gradient: ${t.label}.`;
  const lr = state.snapshotLr ?? valueOrDefault(ui.fields.lr);
  renderExplain(ui.how, t, { snapshot, lr, n: state.data?.n ?? DIGITS_IN_DATA_SET });
  hook.explainP = Array.from(t.p);
}
