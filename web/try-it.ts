// "Try it": the drawing pad or a random digit of the data set as the input, what the model sees of it,
// and the trained model's answer.

import { argmax } from "./forward.ts";
import { renderHeat } from "./heat.ts";
import { explain } from "./how.ts";
import { DrawingPad } from "./pad.ts";
import { GRID, preprocess } from "./preprocess.ts";
import { renderProbs } from "./probs.ts";
import { MAX_INK, dataSample, hook, state, type Sample } from "./state.ts";
import { ui } from "./ui.ts";
import { aDigit, pct } from "./wording.ts";

export const pad = new DrawingPad(ui.pad, () => {
  const pre = preprocess(pad.strokes);
  state.input = pre ? { pixels: pre.pixels, source: "your drawing" } : undefined;
  showInput();
});

/** A random digit of the data set becomes the input, drawn on the pad. */
export function showRandomSample(): void {
  if (!state.data) return;
  const sample = dataSample(state.data, Math.floor(Math.random() * state.data.n));
  pad.showImage(sample.pixels);
  state.input = sample;
  showInput();
}

/** The current input, its prediction and its explanation, after any change to the input or the model. */
export function showInput(): void {
  showAnswer();
  explain();
}

/** What the model sees of the input and, once there is a model, its answer. */
function showAnswer(): void {
  if (!state.input) return showNoInput();
  showSeen(state.input);
  if (!state.model) {
    ui.prediction.textContent = "Train the model to get its answer.";
    return;
  }
  const p = state.model.predictProba(state.input.pixels);
  const best = argmax(p);
  hook.proba = Array.from(p);
  renderProbs(ui.probs, p);
  ui.prediction.textContent = `It reads ${aDigit(best)} (${pct(p[best])} sure).`;
  ui.prediction.dataset.digit = String(best);
}

function showNoInput(): void {
  ui.seen.replaceChildren();
  ui.seenNote.textContent = "Nothing drawn yet.";
  renderProbs(ui.probs, undefined);
  hook.proba = undefined;
  ui.prediction.textContent = state.model ? "Draw a digit to see the model's answer." : "Train the model, then draw a digit.";
  delete ui.prediction.dataset.digit;
}

/** The input as the model sees it: the 8×8 pixels, and how much ink they hold. */
function showSeen(input: Sample): void {
  const ink = input.pixels.reduce((a, b) => a + b, 0);
  const label = `The ${GRID} by ${GRID} pixels the model sees: ${Array.from(input.pixels).join(", ")}`;
  renderHeat(ui.seen, input.pixels, { cols: GRID, kind: "sequential", max: MAX_INK, digits: 0, label });
  ui.seenNote.textContent = `From ${input.source}; ${ink} inked bits in all.`;
}
