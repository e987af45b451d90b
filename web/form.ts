// The training settings form: its thread choices, its validation (the browser's, plus whole numbers where
// the library wants integers) and the config it yields. index.html's min, max and value attributes are the
// only copy of the limits and defaults; this module reads them from the fields.

import type { TrainConfig } from "./protocol.ts";
import { CONFIG_FIELDS, ui, type ConfigField } from "./ui.ts";

/** The thread choices: auto, then 1 up to this machine's cores. */
export function fillThreads(): void {
  const cores = navigator.hardwareConcurrency || 1;
  ui.threads.options[0].textContent = `auto (${cores} core${cores === 1 ? "" : "s"})`;
  for (let t = 1; t <= cores; t++) ui.threads.add(new Option(String(t), String(t)));
  if (!crossOriginIsolated) ui.threadsHint.textContent = "1: this page is not cross-origin isolated, so it cannot share memory with more";
}

/** The settings, or undefined after pointing the user at the first field that is wrong. */
export function readConfig(): TrainConfig | undefined {
  const bad = firstInvalidField();
  if (bad) {
    const label = ui.form.querySelector(`label[for="${bad.id}"]`)?.textContent ?? bad.id;
    showFormError(`${label}: ${bad.validationMessage}`);
    bad.focus();
    return undefined;
  }
  ui.formError.hidden = true;
  const v = (name: ConfigField) => ui.fields[name].valueAsNumber;
  const threads = ui.threads.value;
  return { hidden: v("hidden"), lr: v("lr"), epochs: v("epochs"), seed: v("seed"), every: v("every"), threads: threads === "auto" ? "auto" : Number(threads) };
}

function firstInvalidField(): HTMLInputElement | undefined {
  for (const name of CONFIG_FIELDS) {
    const el = ui.fields[name];
    el.setCustomValidity("");
    // every count is an integer to the library; only the learning rate is a real number
    if (name !== "lr" && el.validity.valid && !Number.isInteger(el.valueAsNumber)) el.setCustomValidity("Enter a whole number.");
  }
  if (ui.form.checkValidity()) return undefined;
  return CONFIG_FIELDS.map((name) => ui.fields[name]).find((el) => !el.validity.valid)!;
}

export function showFormError(message: string): void {
  ui.formError.textContent = message;
  ui.formError.hidden = false;
}

/** A run's settings cannot change under it: the fields become read-only and Train waits for Stop. */
export function lockForm(locked: boolean): void {
  ui.trainButton.disabled = locked;
  ui.stopButton.disabled = !locked;
  for (const el of ui.form.querySelectorAll("input")) el.readOnly = locked;
  ui.threads.disabled = locked;
}

/** The field's value if it is a whole number within its min and max, else undefined (no message: the user may be mid-edit). */
export function wholeNumberInRange(el: HTMLInputElement): number | undefined {
  const v = el.valueAsNumber;
  return Number.isInteger(v) && v >= Number(el.min) && v <= Number(el.max) ? v : undefined;
}

/** The field's value, or the form's default for it while the field is empty (or 0). */
export function valueOrDefault(el: HTMLInputElement): number {
  return el.valueAsNumber || Number(el.defaultValue);
}
