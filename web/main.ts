// The page: runs training in a worker, draws its progress, rebuilds the trained model from its bytes on
// this thread for instant predictions on the user's drawing ("Try it", try-it.ts), and explains one
// sample step by step ("How it works", how.ts). This module is the training section and the wiring.

import { MLP, type FitSummary } from "../src/index.ts";
import { TrainingChart } from "./chart.ts";
import { renderConfusion, topMistakes } from "./confusion.ts";
import { fillThreads, lockForm, readConfig, showFormError, valueOrDefault } from "./form.ts";
import { weightsSha256 } from "./hash.ts";
import { explain, untrained } from "./how.ts";
import type { FromWorker, ToWorker, TrainConfig } from "./protocol.ts";
import { hook, state } from "./state.ts";
import { pad, showInput, showRandomSample } from "./try-it.ts";
import { ui } from "./ui.ts";
import { BUILD_NAMES, epochsPerSecond, finalAccuracy, mistakeText, pct, runOutcome } from "./wording.ts";

/** Items under "Most common mistakes". */
const MISTAKES_SHOWN = 5;
const CONFUSION_CAPTION = "Confusion matrix on the training digits: rows are the true digit, columns the model's answer; the diagonal counts right answers.";

const chart = new TrainingChart(ui.chart);

// ---- the worker -------------------------------------------------------------------------------------

type Message<T extends FromWorker["type"]> = Extract<FromWorker, { type: T }>;

function startWorker(): Worker {
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onWorkerMessage(e.data);
  worker.onerror = (e) => fail(`The training worker failed: ${e.message || "unknown error"}`);
  return worker;
}

const post = (msg: ToWorker) => state.worker!.postMessage(msg);

async function onWorkerMessage(msg: FromWorker): Promise<void> {
  switch (msg.type) {
    case "data":
      return onData(msg);
    case "start":
      return onStart(msg);
    case "progress":
      return onProgress(msg);
    case "done":
      return onDone(msg);
    case "error":
      return fail(msg.message);
  }
}

// ---- a run, from Train to its result ----------------------------------------------------------------

function setTraining(on: boolean): void {
  state.training = on;
  lockForm(on);
}

function startRun(config: TrainConfig): void {
  state.worker ??= startWorker();
  setTraining(true);
  hook.summary = undefined;
  hook.weightsSha256 = undefined;
  ui.result.hidden = true;
  ui.status.textContent = `Training ${config.epochs} epochs…`;
  ui.progress.value = 0;
  chart.reset(config.epochs);
  for (const el of [ui.stats.epoch, ui.stats.loss, ui.stats.accuracy, ui.stats.rate]) el.textContent = "—";
  post({ type: "train", config });
}

function stopRun(): void {
  if (!state.training || !state.worker) return;
  // the worker ends the run after the current epoch and sends the model it reached, as at the end of a run
  post({ type: "stop" });
  ui.stopButton.disabled = true;
  ui.status.textContent = "Stopping after the current epoch…";
  ui.trainButton.focus();
}

function fail(message: string): void {
  setTraining(false);
  ui.status.textContent = "Training stopped with an error (see below the settings).";
  showFormError(message);
}

function onData(msg: Message<"data">): void {
  state.data = { X: msg.X, y: msg.y, n: msg.n };
  ui.sampleButton.disabled = false;
  if (!state.training && !state.runConfig) ui.status.textContent = `Ready: ${msg.n} digits loaded. Press Train.`;
  state.snapshot ??= untrained();
  explain();
}

function onStart(msg: Message<"start">): void {
  state.runConfig = msg.config;
  hook.build = msg.build;
  hook.config = msg.config;
  hook.reports = 0;
  hook.threads = msg.threads;
  ui.stats.build.innerHTML = `${BUILD_NAMES[msg.build]} <small>kernels.${msg.build}.wasm</small>`;
  ui.stats.build.dataset.build = msg.build;
  ui.stats.threadsUsed.textContent = msg.isolated ? String(msg.threads) : "1 (not cross-origin isolated)";
  // a model already trained stays explained until this run's own final weights arrive
  if (!state.model) {
    state.snapshot = msg.initial;
    state.snapshotLr = msg.config.lr;
    explain();
  }
}

function onProgress(msg: Message<"progress">): void {
  const r = msg.report, planned = state.runConfig!.epochs;
  hook.reports = (hook.reports ?? 0) + 1;
  // no speed at the first report: the worker's clock starts there
  showPoint(r, planned, r.epoch > 0 ? r.epoch / (msg.elapsedMs / 1000) : undefined);
  ui.progress.value = (r.epoch + 1) / planned;
}

/** One point of the run: onto the chart and into the stats (the speed only when there is one). */
function showPoint(p: { epoch: number; loss: number; accuracy: number }, planned: number, epochsPerS: number | undefined): void {
  chart.add({ epoch: p.epoch, loss: p.loss, metric: p.accuracy });
  ui.stats.epoch.textContent = `${p.epoch} of ${planned}`;
  ui.stats.loss.textContent = p.loss.toFixed(4);
  ui.stats.accuracy.textContent = pct(p.accuracy);
  if (epochsPerS !== undefined) ui.stats.rate.textContent = epochsPerSecond(epochsPerS);
}

async function onDone(msg: Message<"done">): Promise<void> {
  const { summary } = msg;
  // the model file round trip: predictions on this thread come from the worker's bytes
  const model = await MLP.fromBytes(msg.bytes, { kernels: summary.kernels });
  state.model?.dispose();
  state.model = model;
  state.snapshot = msg.final;
  state.snapshotLr = state.runConfig?.lr;
  const planned = state.runConfig?.epochs ?? summary.epochs;
  setTraining(false);
  ui.progress.value = summary.epochs / planned;
  showPoint({ epoch: summary.epochs, loss: summary.loss, accuracy: summary.accuracy }, planned, summary.epochs_per_s);
  ui.chart.setAttribute("aria-label", chart.describe());
  ui.stats.threadsUsed.textContent = String(summary.threads);
  ui.status.textContent = runOutcome(summary, planned);
  showResult(summary, msg.evaluation.confusion);

  hook.summary = summary;
  hook.weightsSha256 = await weightsSha256(model.getParams());
  document.body.dataset.weightsSha256 = hook.weightsSha256;
  showInput();
}

function showResult(summary: FitSummary, confusion: number[][]): void {
  ui.final.textContent = finalAccuracy(summary);
  ui.final.dataset.accuracy = String(summary.accuracy);
  renderConfusion(ui.confusion, confusion, CONFUSION_CAPTION);
  const mistakes = topMistakes(confusion, MISTAKES_SHOWN);
  ui.mistakes.replaceChildren(...(mistakes.length > 0 ? mistakes : [undefined]).map((m) => {
    const li = document.createElement("li");
    li.textContent = mistakeText(m);
    return li;
  }));
  ui.result.hidden = false;
}

// ---- wiring ---------------------------------------------------------------------------------------------

fillThreads();

ui.form.addEventListener("submit", (e) => {
  e.preventDefault();
  if (state.training) return;
  const config = readConfig();
  if (config) startRun(config);
});

// before any run, "How it works" follows the form's network size and seed
ui.form.addEventListener("input", () => {
  if (state.model || state.training) return;
  const s = untrained();
  if (s) {
    state.snapshot = s;
    state.snapshotLr = undefined;
    explain();
  }
});

ui.stopButton.addEventListener("click", stopRun);
ui.clearButton.addEventListener("click", () => pad.clear());
ui.sampleButton.addEventListener("click", showRandomSample);
ui.labelSelect.addEventListener("change", () => explain());

chart.reset(valueOrDefault(ui.fields.epochs));
state.worker = startWorker();
