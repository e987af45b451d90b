// The page: runs training in a worker, draws its progress, rebuilds the trained model from its bytes on
// this thread for instant predictions on the user's drawing, and explains one sample step by step.

import { MLP, fitNormalization, initParams, type FitSummary, type KernelBuild } from "../src/index.ts";
import { TrainingChart } from "./chart.ts";
import { renderConfusion, topMistakes } from "./confusion.ts";
import { renderExplain } from "./explain.ts";
import { argmax, trace } from "./forward.ts";
import { weightsSha256 } from "./hash.ts";
import { renderHeat } from "./heat.ts";
import { DrawingPad } from "./pad.ts";
import { preprocess } from "./preprocess.ts";
import { renderProbs } from "./probs.ts";
import type { FromWorker, Snapshot, TrainConfig } from "./protocol.ts";

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const form = byId<HTMLFormElement>("train-form");
const trainButton = byId<HTMLButtonElement>("train-button");
const stopButton = byId<HTMLButtonElement>("stop-button");
const formError = byId("form-error");
const status = byId("status");
const progress = byId<HTMLProgressElement>("progress");
const chartCanvas = byId<HTMLCanvasElement>("chart");
const chart = new TrainingChart(chartCanvas);
const how = byId("how");
const labelSelect = byId<HTMLSelectElement>("label-select");

const BUILD_NAMES: Record<KernelBuild, string> = { relaxed: "relaxed SIMD", simd: "SIMD", scalar: "scalar" };

/** What the e2e test reads: the last run and a fingerprint of its weights. */
interface TestHook {
  build?: KernelBuild;
  /** Threads the last run was to train on. */
  threads?: number;
  config?: TrainConfig;
  summary?: FitSummary;
  /** Progress messages received during the last run. */
  reports?: number;
  weightsSha256?: string;
  /** predictProba (wasm, f32) and the hand-traced softmax (f64) for the current input. */
  proba?: number[];
  explainP?: number[];
}
const hook: TestHook = {};
(window as unknown as { __wasmMlp: TestHook }).__wasmMlp = hook;

// ---- state ------------------------------------------------------------------------------------------

let worker: Worker | undefined;
let training = false;
let data: { X: Float32Array; y: Uint8Array; n: number } | undefined;
let run: { config: TrainConfig; build: KernelBuild } | undefined;
let snapshot: Snapshot | undefined;
/** The learning rate the snapshot's run used (or will use), for the update step of "How it works". */
let snapshotLr: number | undefined;
/** The trained model, rebuilt here from the worker's model bytes. */
let model: MLP | undefined;
/** The current input of "Try it": a drawing, or a digit from the data set with its label. */
let input: { pixels: Float32Array; label?: number; source: string } | undefined;

// ---- training ---------------------------------------------------------------------------------------

function startWorker(): void {
  worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onWorkerMessage(e.data);
  worker.onerror = (e) => fail(`The training worker failed: ${e.message || "unknown error"}`);
}

function readConfig(): TrainConfig | undefined {
  const fields = ["hidden", "lr", "epochs", "seed", "every"] as const;
  for (const name of fields) {
    const el = byId<HTMLInputElement>(name);
    el.setCustomValidity("");
    if (name !== "lr" && el.validity.valid && !Number.isInteger(el.valueAsNumber)) el.setCustomValidity("Enter a whole number.");
  }
  if (!form.checkValidity()) {
    const bad = fields.map((f) => byId<HTMLInputElement>(f)).find((el) => !el.validity.valid)!;
    const label = form.querySelector(`label[for="${bad.id}"]`)?.textContent ?? bad.id;
    formError.textContent = `${label}: ${bad.validationMessage}`;
    formError.hidden = false;
    bad.focus();
    return undefined;
  }
  formError.hidden = true;
  const v = (name: string) => byId<HTMLInputElement>(name).valueAsNumber;
  const threads = byId<HTMLSelectElement>("threads").value;
  return { hidden: v("hidden"), lr: v("lr"), epochs: v("epochs"), seed: v("seed"), every: v("every"), threads: threads === "auto" ? "auto" : Number(threads) };
}

function setTraining(on: boolean): void {
  training = on;
  trainButton.disabled = on;
  stopButton.disabled = !on;
  for (const el of form.querySelectorAll("input")) el.readOnly = on;
  byId<HTMLSelectElement>("threads").disabled = on;
}

/** The thread choices: auto, then 1 up to this machine's cores. */
function fillThreads(): void {
  const select = byId<HTMLSelectElement>("threads"), cores = navigator.hardwareConcurrency || 1;
  select.options[0].textContent = `auto (${cores} core${cores === 1 ? "" : "s"})`;
  for (let t = 1; t <= cores; t++) select.add(new Option(String(t), String(t)));
  if (!crossOriginIsolated) byId("threads-hint").textContent = "1: this page is not cross-origin isolated, so it cannot share memory with more";
}
fillThreads();

form.addEventListener("submit", (e) => {
  e.preventDefault();
  if (training) return;
  const config = readConfig();
  if (!config) return;
  if (!worker) startWorker();
  setTraining(true);
  hook.summary = undefined;
  hook.weightsSha256 = undefined;
  byId("result").hidden = true;
  status.textContent = `Training ${config.epochs} epochs…`;
  progress.value = 0;
  chart.reset(config.epochs);
  for (const id of ["epoch", "loss", "accuracy", "rate"]) byId(id).textContent = "—";
  worker!.postMessage({ type: "train", config });
});

// before any run, "How it works" follows the form's network size and seed
form.addEventListener("input", () => {
  if (model || training) return;
  const s = untrained();
  if (s) { snapshot = s; snapshotLr = undefined; explain(); }
});

stopButton.addEventListener("click", () => {
  if (!training || !worker) return;
  // the worker ends the run after the current epoch and sends the model it reached, as at the end of a run
  worker.postMessage({ type: "stop" });
  stopButton.disabled = true;
  status.textContent = "Stopping after the current epoch…";
  trainButton.focus();
});

function fail(message: string): void {
  setTraining(false);
  status.textContent = "Training stopped with an error (see below the settings).";
  formError.textContent = message;
  formError.hidden = false;
}

const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;
/** "a 7", "an 8" */
const aDigit = (d: number) => `${d === 8 ? "an" : "a"} ${d}`;

async function onWorkerMessage(msg: FromWorker): Promise<void> {
  switch (msg.type) {
    case "data":
      data = { X: msg.X, y: msg.y, n: msg.n };
      byId<HTMLButtonElement>("sample-button").disabled = false;
      if (!training && !run) status.textContent = `Ready: ${msg.n} digits loaded. Press Train.`;
      snapshot ??= untrained();
      explain();
      break;
    case "start":
      run = { config: msg.config, build: msg.build };
      hook.build = msg.build;
      hook.config = msg.config;
      hook.reports = 0;
      byId("build").innerHTML = `${BUILD_NAMES[msg.build]} <small>kernels.${msg.build}.wasm</small>`;
      byId("build").dataset.build = msg.build;
      hook.threads = msg.threads;
      byId("threads-used").textContent = msg.isolated ? String(msg.threads) : "1 (not cross-origin isolated)";
      if (!model) { snapshot = msg.initial; snapshotLr = msg.config.lr; explain(); }
      break;
    case "progress": {
      const r = msg.report, cfg = run!.config;
      chart.add({ epoch: r.epoch, loss: r.loss, accuracy: r.accuracy });
      hook.reports = (hook.reports ?? 0) + 1;
      byId("epoch").textContent = `${r.epoch} of ${cfg.epochs}`;
      byId("loss").textContent = r.loss.toFixed(4);
      byId("accuracy").textContent = pct(r.accuracy);
      if (r.epoch > 0) byId("rate").textContent = `${Math.round(r.epoch / (msg.elapsedMs / 1000)).toLocaleString("en")} epochs/s`;
      progress.value = (r.epoch + 1) / cfg.epochs;
      break;
    }
    case "done":
      await finish(msg.summary, msg.evaluation.confusion, msg.bytes, msg.final);
      break;
    case "error":
      fail(msg.message);
      break;
  }
}

async function finish(summary: FitSummary, confusion: number[][], bytes: Uint8Array, final: Snapshot): Promise<void> {
  const build = summary.kernels;
  // the model file round trip: predictions on this thread come from the worker's bytes
  const next = await MLP.fromBytes(bytes, { kernels: build });
  model?.dispose();
  model = next;
  snapshot = final;
  snapshotLr = run?.config.lr;
  const planned = run?.config.epochs ?? summary.epochs;
  setTraining(false);
  progress.value = summary.epochs / planned;
  chart.add({ epoch: summary.epochs, loss: summary.loss, accuracy: summary.accuracy });
  chartCanvas.setAttribute("aria-label", chart.describe());
  byId("epoch").textContent = `${summary.epochs} of ${planned}`;
  byId("loss").textContent = summary.loss.toFixed(4);
  byId("accuracy").textContent = pct(summary.accuracy);
  byId("rate").textContent = `${Math.round(summary.epochs_per_s).toLocaleString("en")} epochs/s`;
  const seconds = (summary.train_ms / 1000).toFixed(2);
  byId("threads-used").textContent = String(summary.threads);
  status.textContent = summary.interrupted
    ? `Stopped after ${summary.epochs} of ${planned} epochs (${seconds} s on the ${BUILD_NAMES[build]} kernels); the model below has the weights it reached, training accuracy ${pct(summary.accuracy)}.`
    : `Done: ${summary.epochs} epochs in ${seconds} s on the ${BUILD_NAMES[build]} kernels; training accuracy ${pct(summary.accuracy)}.`;

  const final$ = byId("final");
  final$.textContent = `Final training accuracy: ${pct(summary.accuracy)} (${Math.round(summary.accuracy * summary.samples)} of ${summary.samples} digits), loss ${summary.loss.toFixed(4)}.`;
  final$.dataset.accuracy = String(summary.accuracy);
  renderConfusion(byId<HTMLTableElement>("confusion"), confusion, "Confusion matrix on the training digits: rows are the true digit, columns the model's answer; the diagonal counts right answers.");
  const mistakes = topMistakes(confusion, 5);
  byId("mistakes").replaceChildren(...(mistakes.length > 0 ? mistakes : [undefined]).map((m) => {
    const li = document.createElement("li");
    li.textContent = m ? `${aDigit(m.truth)} read as ${m.predicted}: ${m.count} ${m.count === 1 ? "time" : "times"}` : "none: every training digit is read right";
    return li;
  }));
  byId("result").hidden = false;

  hook.summary = summary;
  hook.weightsSha256 = await weightsSha256(model.getParams());
  document.body.dataset.weightsSha256 = hook.weightsSha256;
  predict();
  explain();
}

// ---- trying it ---------------------------------------------------------------------------------------

const seen = byId("seen");
const pad = new DrawingPad(byId<HTMLCanvasElement>("pad"), () => {
  const pre = preprocess(pad.strokes);
  input = pre ? { pixels: pre.pixels, source: "your drawing" } : undefined;
  predict();
  explain();
});

byId("clear-button").addEventListener("click", () => pad.clear());
byId("sample-button").addEventListener("click", () => {
  if (!data) return;
  const i = Math.floor(Math.random() * data.n);
  const pixels = data.X.slice(i * 64, (i + 1) * 64);
  pad.showImage(pixels);
  input = { pixels, label: data.y[i], source: `digit #${i} of the data set, labelled ${data.y[i]}` };
  predict();
  explain();
});

function predict(): void {
  const note = byId("seen-note"), prediction = byId("prediction"), probs = byId("probs");
  if (!input) {
    seen.replaceChildren();
    note.textContent = "Nothing drawn yet.";
    renderProbs(probs, undefined);
    hook.proba = undefined;
    prediction.textContent = model ? "Draw a digit to see the model's answer." : "Train the model, then draw a digit.";
    delete prediction.dataset.digit;
    return;
  }
  const ink = input.pixels.reduce((a, b) => a + b, 0);
  renderHeat(seen, input.pixels, { cols: 8, kind: "sequential", max: 16, digits: 0, label: `The 8 by 8 pixels the model sees: ${Array.from(input.pixels).join(", ")}` });
  note.textContent = `From ${input.source}; ${ink} inked bits in all.`;
  if (!model) {
    prediction.textContent = "Train the model to get its answer.";
    return;
  }
  const p = model.predictProba(input.pixels);
  const best = argmax(p);
  hook.proba = Array.from(p);
  renderProbs(probs, p);
  prediction.textContent = `It reads ${aDigit(best)} (${pct(p[best])} sure).`;
  prediction.dataset.digit = String(best);
}

// ---- how it works -------------------------------------------------------------------------------------

labelSelect.addEventListener("change", () => explain());

let dataNorm: ReturnType<typeof fitNormalization> | undefined;

/** Before the first run: the network the form describes, with its random initial weights (as the worker would build it). */
function untrained(): Snapshot | undefined {
  const hidden = byId<HTMLInputElement>("hidden").valueAsNumber, seed = byId<HTMLInputElement>("seed").valueAsNumber;
  if (!data || !(Number.isInteger(hidden) && hidden >= 1 && hidden <= 256) || !(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) return undefined;
  const p = initParams([64, hidden, 10], seed);
  // the data never changes: fit its standardisation once, not on every keystroke in the form
  const norm = (dataNorm ??= fitNormalization(data.X, data.n, 64, "feature"));
  return { layers: [...p.layers], W: p.W, b: p.b, mean: norm.mean, divisor: norm.divisor, epoch: 0 };
}

function explain(): void {
  if (!snapshot) return;
  let pixels: ArrayLike<number>, label: number | undefined, source: string;
  if (input) {
    ({ pixels, label, source } = input);
  } else if (data) {
    pixels = data.X.subarray(0, 64);
    label = data.y[0];
    source = `digit #0 of the data set, labelled ${label}`;
  } else return;
  if (labelSelect.value !== "") label = Number(labelSelect.value);
  const t = trace(snapshot, pixels, label);
  byId("how-source").textContent = `Sample: ${source}. Label for the gradient: ${t.label}.`;
  renderExplain(how, t, { snapshot, lr: snapshotLr ?? (byId<HTMLInputElement>("lr").valueAsNumber || 0.1), n: data?.n ?? 1797 });
  hook.explainP = Array.from(t.p);
}

// ---- start --------------------------------------------------------------------------------------------

chart.reset(byId<HTMLInputElement>("epochs").valueAsNumber || 1000);
startWorker();
