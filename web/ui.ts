// Every element of index.html the page script reads or writes, looked up once. The ids are part of the
// page's contract: the end-to-end test (test/e2e/browser.test.ts) drives the page by them.

import { byId } from "./dom.ts";

/** The training settings' number fields, in the form's order (the first invalid one gets the focus). */
export const CONFIG_FIELDS = ["hidden", "lr", "epochs", "seed", "every"] as const;
export type ConfigField = (typeof CONFIG_FIELDS)[number];

export const ui = {
  // 1. Train: the settings
  form: byId<HTMLFormElement>("train-form"),
  fields: Object.fromEntries(CONFIG_FIELDS.map((name) => [name, byId<HTMLInputElement>(name)])) as Record<ConfigField, HTMLInputElement>,
  threads: byId<HTMLSelectElement>("threads"),
  threadsHint: byId("threads-hint"),
  trainButton: byId<HTMLButtonElement>("train-button"),
  stopButton: byId<HTMLButtonElement>("stop-button"),
  formError: byId("form-error"),
  // 1. Train: the run's progress
  status: byId("status"),
  progress: byId<HTMLProgressElement>("progress"),
  stats: {
    build: byId("build"),
    threadsUsed: byId("threads-used"),
    epoch: byId("epoch"),
    loss: byId("loss"),
    accuracy: byId("accuracy"),
    rate: byId("rate"),
  },
  chart: byId<HTMLCanvasElement>("chart"),
  // 1. Train: the result
  result: byId("result"),
  final: byId("final"),
  confusion: byId<HTMLTableElement>("confusion"),
  mistakes: byId("mistakes"),
  // 2. Try it
  pad: byId<HTMLCanvasElement>("pad"),
  clearButton: byId<HTMLButtonElement>("clear-button"),
  sampleButton: byId<HTMLButtonElement>("sample-button"),
  seen: byId("seen"),
  seenNote: byId("seen-note"),
  prediction: byId("prediction"),
  probs: byId("probs"),
  // 3. How it works
  how: byId("how"),
  howSource: byId("how-source"),
  labelSelect: byId<HTMLSelectElement>("label-select"),
};
