// The "Your data" view: choose or drop a CSV (or an IDX pair), see its columns and their kinds, pick the label
// and the settings, train in a worker (data-worker.ts) with a live chart of the training and held-out curves,
// Stop, then the confusion matrix of the held-out rows with the class names, or for a regression (task
// "regress": the number in a column) a plot of predicted against true values. Taking the model away (files,
// this browser's storage, predictions on a second file) is data-keep.ts. Loaded the first time the view
// opens (views.ts).

import type { FitSummary, RegressionReport, RegressionSummary, Report } from "../src/index.ts";
import { TrainingChart } from "./chart.ts";
import { renderConfusion, topMistakes } from "./confusion.ts";
import type { ColumnInfo, DataInfo, DataTrainConfig, FromDataWorker, LearnTask, Task, ToDataWorker } from "./data-protocol.ts";
import { dui } from "./data-ui.ts";
import { initKeep, keepBusy, keepFailed, setModel, showPredictions } from "./data-keep.ts";
import { renderScatter, short } from "./scatter.ts";
import { BUILD_NAMES, pct } from "./wording.ts";

/** Columns listed before a "show all" button. */
const COLUMNS_SHOWN = 40;
const MISTAKES_SHOWN = 5;
/** Above this many columns the label list says only that a column cannot be the label, not why. */
const MANY_COLUMNS = 100;

export const view: {
  worker: Worker | undefined;
  data: DataInfo | undefined;
  training: boolean;
  /** The run in progress or last run: its settings and sizes, from its "start" message. */
  run: Extract<FromDataWorker, { type: "start" }> | undefined;
} = { worker: undefined, data: undefined, training: false, run: undefined };

/** What the end-to-end test reads. */
export const dataHook: {
  data?: Omit<DataInfo, "columns"> & { columns: number };
  summary?: FitSummary | RegressionSummary;
  model?: { name: string; layers: number[]; classNames: string[]; origin: string; task?: string };
  predictions?: string[];
  /** A regression model's predictions, unrounded. */
  values?: number[];
  saved?: string[];
} = {};
(window as unknown as { __wasmMlpData: typeof dataHook }).__wasmMlpData = dataHook;

let chart: TrainingChart;

// ---- the worker -----------------------------------------------------------------------------------------

function worker(): Worker {
  if (view.worker) return view.worker;
  const w = new Worker(new URL("./data-worker.ts", import.meta.url), { type: "module" });
  w.onmessage = (e: MessageEvent<FromDataWorker>) => onMessage(e.data);
  w.onerror = (e) => {
    // a worker that died takes its data and model with it: start afresh on the next action
    w.terminate();
    view.worker = undefined;
    const wasTraining = view.training;
    setTraining(false);
    showError(`The worker stopped: ${e.message || "unknown error"}. Choose the file again to go on.`, wasTraining ? dui.trainStatus : dui.status);
  };
  view.worker = w;
  return w;
}

export const post = (msg: ToDataWorker) => worker().postMessage(msg);

function onMessage(msg: FromDataWorker): void {
  switch (msg.type) {
    case "busy":
      return onBusy(msg.task, msg.text, msg.fraction);
    case "data":
      return onData(msg.info);
    case "start":
      return onStart(msg);
    case "progress":
      return onProgress(msg.report, msg.elapsedMs);
    case "epoch":
      return onEpochs(msg.epochs, msg.elapsedMs);
    case "done":
      return onDone(msg);
    case "done-regress":
      return onDoneRegress(msg);
    case "model":
      return setModel(msg.model);
    case "predictions":
      return showPredictions(msg.result);
    case "error":
      return onError(msg.task, msg.message);
  }
}

function onBusy(task: Task, text: string, fraction: number | undefined): void {
  if (task === "open") {
    dui.status.textContent = text;
    dui.progress.hidden = false;
    if (fraction === undefined) dui.progress.removeAttribute("value");
    else dui.progress.value = fraction;
  } else if (task === "train") {
    dui.trainStatus.textContent = text;
  } else {
    keepBusy(task, text);
  }
}

function onError(task: Task, message: string): void {
  if (task === "open") {
    dui.progress.hidden = true;
    dui.status.textContent = "That file could not be read:";
    setOpening(false);
    const gap = / is missing a value$/.test(message) && !dui.dropMissing.checked;
    if (gap) lastTable = true;
    return showError(gap ? `${message} (tick “Leave out rows with a missing value” to train without such rows)` : message, dui.status);
  }
  if (task === "train") {
    setTraining(false);
    dui.trainStatus.textContent = "Training did not start:";
    const split = /^a test split of .* both need at least one$/.test(message);
    return showError(split ? `${message} (set Held out to 0 to train on every row)` : message, dui.trainStatus);
  }
  keepFailed(task, message);
}

// ---- errors -----------------------------------------------------------------------------------------------

/** The status line the error is shown after; its lead-in ("… could not be read:") goes when the error does. */
let errorNear: HTMLElement | undefined;

/**
 * Shows a one-line error right after `near` (the status line of the step it belongs to), so it appears where
 * the user is looking; there is one error element, #data-error, which moves.
 */
export function showError(message: string, near: HTMLElement): void {
  if (errorNear && errorNear !== near) dropLeadIn(errorNear);
  errorNear = near;
  near.after(dui.error);
  dui.error.textContent = compactLists(message);
  dui.error.hidden = false;
  dui.error.scrollIntoView({ block: "nearest" });
}

export function clearError(): void {
  if (errorNear) dropLeadIn(errorNear);
  errorNear = undefined;
  dui.error.hidden = true;
  dui.error.textContent = "";
}

function dropLeadIn(status: HTMLElement): void {
  if (status.textContent?.endsWith(":")) status.textContent = "";
}

/** A long list of quoted names in a message (every column a file lacks, say) cut to its first few. */
export function compactLists(message: string): string {
  return message.replace(/"(?:[^"\\]|\\.)*"(?:, "(?:[^"\\]|\\.)*"){9,}/g, (list) => {
    const items = list.match(/"(?:[^"\\]|\\.)*"/g)!;
    return `${items.slice(0, 6).join(", ")}, … (${items.length} in all)`;
  });
}

// ---- 1. the data --------------------------------------------------------------------------------------------

function setOpening(on: boolean): void {
  dui.file.disabled = on || view.training;
  dui.example.disabled = on || view.training;
  dui.dropMissing.disabled = on || view.training;
}

/** A table was read (or failed to parse), so the worker can read it again with the other missing-value rule. */
let lastTable = false;

/** The files chosen or dropped, the example, or the last table again, to the worker. */
function openFiles(files: File[] | "example" | "reread"): void {
  if (view.training) return;
  clearError();
  view.data = undefined;
  dataHook.data = undefined;
  dui.summary.hidden = true;
  dui.label.replaceChildren(new Option("choose a file first", ""));
  dui.task.options[1].disabled = false;
  dui.label.disabled = true;
  dui.trainButton.disabled = true;
  dui.network.textContent = "";
  if (dui.trainStatus.textContent?.startsWith("Ready")) dui.trainStatus.textContent = "Choose a file above, then press Train.";
  setOpening(true);
  dui.status.textContent = files === "example" ? "Making the example…" : files === "reread" ? "Reading the file again…" : `Reading ${files.map((f) => f.name).join(" and ")}…`;
  dui.progress.hidden = false;
  dui.progress.removeAttribute("value");
  const missing = dui.dropMissing.checked ? "drop" : "error";
  if (files === "example" || files === "reread") post({ type: files, missing });
  else {
    lastTable = false;
    post({ type: "open", files, missing });
  }
}

function onData(info: DataInfo): void {
  view.data = info;
  lastTable = info.kind === "table";
  dataHook.data = { ...info, columns: info.columns.length };
  setOpening(false);
  dui.progress.hidden = true;
  dui.status.textContent = `Read ${info.file} in ${seconds(info.ms)}.`;
  const rows = `${info.rows.toLocaleString("en")} rows`;
  const what = info.images
    ? `${rows} of ${info.images.rows}×${info.images.cols} images from ${info.file}, labels from ${info.images.labelsFile}`
    : `${info.file}: ${rows} × ${info.columns.length} columns${info.header ? " (the first line names the columns)" : " (no header line: the columns are numbered)"}`;
  const dropped = info.dropped === 1 ? "; 1 row with a missing value left out" : `; ${info.dropped.toLocaleString("en")} rows with a missing value left out`;
  dui.rows.textContent = what + (info.dropped > 0 ? dropped : "") + ".";
  dui.rows.dataset.rows = String(info.rows);
  suggestTask(info);
  fillLabels(info);
  renderColumns(info, COLUMNS_SHOWN);
  dui.summary.hidden = false;
  applyDefaults(info);
  showNetwork();
  dui.trainButton.disabled = false;
  if (!view.training) dui.trainStatus.textContent = "Ready: check the label column and the settings, then press Train.";
}

const seconds = (ms: number) => (ms < 1000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`);

/** The task chosen: what the label column must be. */
const task = (): LearnTask => (dui.task.value === "regress" ? "regress" : "classify");

/** A column a regression can predict: numbers. */
const regressable = (c: ColumnInfo) => c.kind === "number" && !c.count;

/** `keep`: the column chosen before (another task was picked), kept when it suits this task. */
function fillLabels(info: DataInfo, keep?: number): void {
  const regress = task() === "regress";
  dui.label.replaceChildren(...info.columns.map((c, i) => {
    const ok = regress ? regressable(c) : c.labelOk && (c.classes ?? 0) >= 2;
    // many columns (images as a CSV): short texts, as each option is measured and the reasons repeat
    const why = (reason: string) => (info.columns.length > MANY_COLUMNS ? `${c.name} (cannot be)` : `${c.name}: ${reason}`);
    const text = regress ? (ok ? `${c.name} (numbers ${num(c.min!)} to ${num(c.max!)})` : why(whyNotTarget(c)))
      : c.labelOk ? `${c.name} (${c.classes} classes)` : why(whyNotLabel(c));
    const o = new Option(text, String(i));
    o.disabled = !ok;
    return o;
  }));
  const fits = keep !== undefined && !dui.label.options[keep]?.disabled;
  dui.label.value = String(fits ? keep : regress ? suggestTarget(info) : info.label);
  dui.label.disabled = info.kind === "images";
  dui.labelHint.textContent = regress ? "the number to predict; the other columns are the inputs" : "the class to predict; the other columns are the inputs";
}

/**
 * The task a file suggests, unless the user has chosen one. The last column is where a table usually keeps
 * what to learn (the library's default label): words or whole numbers there are classes; other numbers
 * (prices, say) are a regression's target.
 */
function suggestTask(info: DataInfo): void {
  if (edited.has(dui.task)) return;
  const last = info.columns[info.columns.length - 1];
  const regress = info.kind === "table" && regressable(last) && !(last.labelOk && (last.classes ?? 0) >= 2);
  dui.task.value = regress ? "regress" : "classify";
}

/** For a regression: the label suggested for classifying, if it is numbers, else the last column of numbers. */
function suggestTarget(info: DataInfo): number {
  if (regressable(info.columns[info.label])) return info.label;
  for (let i = info.columns.length - 1; i >= 0; i--) if (regressable(info.columns[i])) return i;
  return info.label;
}

function whyNotLabel(c: ColumnInfo): string {
  if (c.count) return "inputs";
  if (c.kind === "category") return `not a label (${c.words} different words; at most 255)`;
  return "not a label (not whole numbers 0–254; choose regress to predict it)";
}

function whyNotTarget(c: ColumnInfo): string {
  return c.count ? "inputs" : `words, not numbers: cannot be regressed (choose classify)`;
}

/** One row per column (the first `limit`, then a button for the rest), the label's marked. */
function renderColumns(info: DataInfo, limit: number): void {
  const label = Number(dui.label.value);
  const body = dui.columns.tBodies[0];
  const rows = info.columns.slice(0, limit).map((c, i) => {
    const tr = document.createElement("tr");
    const isLabel = i === label;
    if (isLabel) tr.className = "is-label";
    const kind = isLabel ? "label" : c.kind;
    // an IDX pair's pixels are one line for many columns: the label after them is column count + 1
    const position = c.count ? `1–${c.count}` : String(info.columns.slice(0, i).reduce((n, d) => n + (d.count ?? 1), 0) + 1);
    cells(tr, [position, c.name, "", values(c, isLabel)]);
    const badge = document.createElement("span");
    badge.className = `kind ${kind}`;
    badge.textContent = kind;
    tr.cells[2].append(badge);
    tr.dataset.kind = kind;
    return tr;
  });
  if (info.columns.length > limit) {
    const tr = document.createElement("tr");
    const td = tr.insertCell();
    td.colSpan = 4;
    const more = info.columns.length - limit;
    const kinds = count(info.columns.slice(limit).map((c) => c.kind));
    td.append(`… and ${more} more columns (${kinds}). `);
    const all = document.createElement("button");
    all.type = "button";
    all.className = "link";
    all.textContent = "Show them all";
    all.addEventListener("click", () => renderColumns(info, Infinity));
    td.append(all);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

function count(kinds: string[]): string {
  const n = new Map<string, number>();
  for (const k of kinds) n.set(k, (n.get(k) ?? 0) + 1);
  return [...n].map(([k, v]) => `${v} ${k === "number" ? "number" : "category"}`).join(", ");
}

function cells(tr: HTMLTableRowElement, texts: string[]): void {
  texts.forEach((t, i) => {
    const cell = i === 1 ? document.createElement("th") : document.createElement("td");
    if (i === 1) (cell as HTMLTableCellElement).scope = "row";
    cell.textContent = t;
    tr.append(cell);
  });
}

const num = (x: number) => (Number.isInteger(x) ? x.toLocaleString("en") : String(Number(x.toPrecision(6))));

function values(c: ColumnInfo, isLabel: boolean): string {
  if (c.kind === "category") {
    const list = c.examples!.join(", ") + (c.words! > c.examples!.length ? ", …" : "");
    return isLabel ? `${c.words} classes: ${list}` : `${c.words} words: ${list} (${c.words} inputs)`;
  }
  const range = `${num(c.min!)} to ${num(c.max!)}`;
  if (isLabel && task() === "regress") return `${range}: the number to predict`;
  if (isLabel) return `${c.classes} classes: the numbers 0 to ${c.classes! - 1}`;
  return c.count ? `${range} (${c.count} inputs)` : range;
}

// ---- 2. the settings ----------------------------------------------------------------------------------------

function fillThreads(): void {
  const cores = navigator.hardwareConcurrency || 1;
  dui.threads.options[0].textContent = `auto (${cores} core${cores === 1 ? "" : "s"})`;
  for (let t = 1; t <= cores; t++) dui.threads.add(new Option(String(t), String(t)));
  if (!crossOriginIsolated) dui.threadsHint.textContent = "1: this page is not cross-origin isolated, so it cannot share memory with more";
}

/** Fields the user typed in keep their value when another file is chosen; the others follow the data. */
const edited = new Set<HTMLElement>();

function defaultLr(optimizer: string, rows: number): number {
  if (optimizer === "adam") return rows < 10_000 ? 0.01 : 0.001;
  return optimizer === "momentum" ? 0.05 : 0.1;
}

/** Settings that work for this size of data: small tables get more epochs and smaller batches. */
function applyDefaults(info: DataInfo): void {
  const rows = info.rows, inputs = inputCount(info);
  const set = (el: HTMLInputElement, v: string) => { if (!edited.has(el)) el.value = v; };
  set(dui.hidden, inputs >= 256 ? "64" : "32");
  set(dui.epochs, String(rows < 10_000 ? 200 : rows < 100_000 ? 10 : 5));
  set(dui.batch, String(rows < 1_000 ? 32 : rows < 10_000 ? 64 : 128));
  set(dui.lr, String(defaultLr(dui.optimizer.value, rows)));
  updateHints();
}

function updateHints(): void {
  const rows = view.data?.rows, holdout = dui.holdout.valueAsNumber;
  if (rows === undefined || !(holdout >= 0 && holdout < 1)) return;
  const train = rows - Math.round(rows * holdout);
  dui.epochsHint.textContent = `passes over the ~${train.toLocaleString("en")} training rows`;
}

/** The model's inputs with the chosen label: a number column is one, a category one per word. */
function inputCount(info: DataInfo, label = Number(dui.label.value)): number {
  return info.columns.reduce((n, c, i) => (i === label ? n : n + (c.count ?? (c.kind === "category" ? c.words! : 1))), 0);
}

function hiddenSizes(): number[] | undefined {
  const text = dui.hidden.value.trim();
  if (!/^\d+(\s*,\s*\d+)*$/.test(text)) return undefined;
  const sizes = text.split(",").map((s) => Number(s.trim()));
  return sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= 1 << 20) ? sizes : undefined;
}

function showNetwork(): void {
  const info = view.data;
  if (!info) return;
  const label = info.columns[Number(dui.label.value)];
  const hidden = hiddenSizes();
  const out = task() === "regress" ? `1 value (${label?.name})` : `${label?.classes ?? 0} classes`;
  dui.network.textContent = hidden && label
    ? `The network: ${inputCount(info)} inputs → ${hidden.join(" → ")} → ${out}.`
    : "";
}

/** The settings, or undefined after pointing at the first field that is wrong. */
function readConfig(): DataTrainConfig | undefined {
  const hidden = hiddenSizes();
  const wrong = (el: HTMLInputElement | HTMLSelectElement, why: string) => {
    const label = dui.form.querySelector(`label[for="${el.id}"]`)?.textContent ?? el.id;
    showError(`${label}: ${why}`, dui.trainStatus);
    el.focus();
    return undefined;
  };
  if (!view.data) return wrong(dui.file as HTMLInputElement, "choose a data file first.");
  if (!hidden) return wrong(dui.hidden, "give the units of each hidden layer as whole numbers separated by commas, e.g. 32 or 64,32.");
  for (const el of [dui.lr, dui.epochs, dui.batch, dui.holdout, dui.seed]) {
    el.setCustomValidity("");
    if (el !== dui.lr && el !== dui.holdout && el.validity.valid && !Number.isInteger(el.valueAsNumber)) el.setCustomValidity("Enter a whole number.");
    if (!el.checkValidity()) return wrong(el, el.validationMessage);
  }
  const label = view.data.columns[Number(dui.label.value)];
  if (task() === "regress" && label && !regressable(label)) {
    return wrong(dui.label, label.count ? "images have classes, not a number to predict: choose classify." : `${JSON.stringify(label.name)} holds words (${label.examples!.join(", ")}${label.words! > label.examples!.length ? ", …" : ""}), not numbers, so it cannot be regressed: choose a column of numbers, or classify.`);
  }
  if (task() === "classify" && !label?.labelOk) return wrong(dui.label, "choose a column of words or whole numbers (0–254) as the label.");
  const threads = dui.threads.value;
  return {
    task: task(),
    label: Number(dui.label.value),
    hidden,
    optimizer: dui.optimizer.value as DataTrainConfig["optimizer"],
    lr: dui.lr.valueAsNumber,
    epochs: dui.epochs.valueAsNumber,
    batch: dui.batch.valueAsNumber,
    holdout: dui.holdout.valueAsNumber,
    threads: threads === "auto" ? "auto" : Number(threads),
    seed: dui.seed.valueAsNumber,
  };
}

// ---- 2. a run -------------------------------------------------------------------------------------------------

function setTraining(on: boolean): void {
  view.training = on;
  dui.trainButton.disabled = on || !view.data;
  dui.stopButton.disabled = !on;
  for (const el of dui.form.querySelectorAll("input")) el.readOnly = on;
  for (const el of [dui.label, dui.task, dui.optimizer, dui.threads]) el.disabled = on || (el === dui.label && view.data?.kind !== "table");
  setOpening(false);
  dui.predictFile.disabled = on || dui.modelSummary.dataset.ready !== "true";
  dui.modelFile.disabled = on;
  for (const b of dui.saved.querySelectorAll<HTMLButtonElement>("button[data-load]")) b.disabled = on;
}

function startRun(config: DataTrainConfig): void {
  clearError();
  setTraining(true);
  dataHook.summary = undefined;
  dui.result.hidden = true;
  dui.final.removeAttribute("data-accuracy");
  dui.final.removeAttribute("data-r2");
  dui.trainStatus.textContent = "Preparing…";
  dui.trainProgress.value = 0;
  const regress = config.task === "regress";
  chart.reset(config.epochs, regress ? "rmse" : "accuracy");
  const t = dui.metricTerms, name = regress ? "RMSE" : "accuracy";
  t.train.textContent = `Training ${name}`;
  t.test.textContent = `Held-out ${name}`;
  t.key.textContent = `training ${name}`;
  t.testKey.textContent = `held-out ${name} (right axis)`;
  for (const el of Object.values(dui.stats)) el.textContent = "—";
  post({ type: "train", config });
}

function onStart(msg: Extract<FromDataWorker, { type: "start" }>): void {
  view.run = msg;
  const { config } = msg;
  dui.stats.build.innerHTML = `${BUILD_NAMES[msg.build]} <small>kernels.${msg.build}.wasm</small>`;
  dui.stats.build.dataset.build = msg.build;
  dui.stats.threadsUsed.textContent = msg.isolated ? String(msg.threads) : "1 (not cross-origin isolated)";
  const held = msg.testRows > 0 ? `, testing on ${msg.testRows.toLocaleString("en")} held-out rows` : " (none held out)";
  const batch = msg.batch < config.batch ? ` (batch ${msg.batch}: all the training rows)` : "";
  dui.trainStatus.textContent = `Training ${config.epochs.toLocaleString("en")} epochs on ${msg.trainRows.toLocaleString("en")} rows${held}${batch}…`;
}

function onProgress(r: Report | RegressionReport, elapsedMs: number): void {
  const run = view.run!;
  showPoint(point(r), run.config.epochs, r.epoch > 0 ? r.epoch / (elapsedMs / 1000) : undefined);
  dui.trainProgress.value = (r.epoch + 1) / run.config.epochs;
}

/** Between reports: how far the run is, and its speed (the first report's epoch is where the clock starts). */
function onEpochs(epochs: number, elapsedMs: number): void {
  const run = view.run;
  if (!run || !view.training) return;
  dui.stats.epoch.textContent = `${epochs.toLocaleString("en")} of ${run.config.epochs.toLocaleString("en")}`;
  dui.trainProgress.value = epochs / run.config.epochs;
  if (elapsedMs > 0) dui.stats.rate.textContent = speed((epochs - 1) / (elapsedMs / 1000), run.trainRows);
}

/** A report or summary as the chart and the stats show it: the loss, and the accuracy or the RMSE. */
type Shown = { epoch: number; loss: number; metric: number; testLoss?: number; testMetric?: number; rmse: boolean };

function point(r: { epoch: number; loss: number; test_loss?: number } & ({ accuracy: number; test_accuracy?: number } | { rmse: number; test_rmse?: number })): Shown {
  return "accuracy" in r
    ? { epoch: r.epoch, loss: r.loss, metric: r.accuracy, testLoss: r.test_loss, testMetric: r.test_accuracy, rmse: false }
    : { epoch: r.epoch, loss: r.loss, metric: r.rmse, testLoss: r.test_loss, testMetric: r.test_rmse, rmse: true };
}

function showPoint(p: Shown, planned: number, epochsPerS: number | undefined): void {
  chart.add(p);
  const show = (x: number) => (p.rmse ? short(x) : pct(x));
  dui.stats.epoch.textContent = `${p.epoch.toLocaleString("en")} of ${planned.toLocaleString("en")}`;
  // a loss under 1e-4 would read 0.0000: four significant digits instead
  dui.stats.loss.textContent = p.loss >= 1e-4 || p.loss === 0 ? p.loss.toFixed(4) : p.loss.toPrecision(4);
  dui.stats.accuracy.textContent = show(p.metric);
  dui.stats.testAccuracy.textContent = p.testMetric === undefined ? "none held out" : show(p.testMetric);
  if (epochsPerS !== undefined) dui.stats.rate.textContent = speed(epochsPerS, view.run?.trainRows ?? 0);
}

function speed(epochsPerS: number, rows: number): string {
  const e = epochsPerS >= 100 ? Math.round(epochsPerS).toLocaleString("en") : epochsPerS.toFixed(epochsPerS >= 1 ? 1 : 2);
  return `${e} epochs/s (${Math.round(epochsPerS * rows).toLocaleString("en")} rows/s)`;
}

/** What every run's end shows: the progress, the last point, the status line. */
function ended(summary: FitSummary | RegressionSummary): void {
  const planned = view.run!.config.epochs;
  setTraining(false);
  dui.trainProgress.value = summary.epochs / planned;
  showPoint(point({ ...summary, epoch: summary.epochs }), planned, summary.epochs_per_s);
  dui.chart.setAttribute("aria-label", chart.describe());
  dui.stats.threadsUsed.textContent = String(summary.threads);
  const secs = (summary.train_ms / 1000).toFixed(2);
  const ran = summary.epochs.toLocaleString("en");
  dui.trainStatus.textContent = summary.interrupted
    ? `Stopped after ${ran} of ${planned.toLocaleString("en")} epochs (${secs} s); the model has the weights it reached.`
    : `Done: ${ran} epochs in ${secs} s on the ${BUILD_NAMES[summary.kernels]} kernels.`;
}

function onDone(msg: Extract<FromDataWorker, { type: "done" }>): void {
  const { summary } = msg;
  ended(summary);
  showResult(summary, msg.confusion, msg.confusionOf, view.run!.classNames);
  dataHook.summary = summary;
  setModel(msg.model);
}

function onDoneRegress(msg: Extract<FromDataWorker, { type: "done-regress" }>): void {
  const { summary } = msg, heldOut = msg.of === "held-out", target = view.run!.classNames[0];
  ended(summary);
  const rows = msg.truth.length.toLocaleString("en");
  const f = renderScatter(dui.plot, msg.truth, msg.predicted, target, msg.of);
  const figures = `R² ${f.r2.toFixed(3)}, RMSE ${short(f.rmse)}, MAE ${short(f.mae)}`;
  dui.final.textContent = heldOut
    ? `Held-out: ${figures} (${rows} rows the model never trained on); training R² ${summary.r2.toFixed(3)}, RMSE ${short(summary.rmse)}.`
    : `Training: ${figures} (${rows} rows). No rows were held out, so this says little about new rows.`;
  dui.final.dataset.r2 = String(f.r2);
  const clipped = msg.clipped === 0 ? "" : ` ${msg.clipped.toLocaleString("en")} of these rows had a value outside the training rows' range, clipped to it for the plot.`;
  dui.plotCaption.textContent = `Predicted against true ${target} on the ${rows} ${heldOut ? "held-out" : "training"} rows${msg.truth.length > 2000 ? " (2,000 of them drawn)" : ""}: ` +
    `a point on the diagonal line is predicted exactly; above it, too high; below it, too low.${clipped}`;
  dui.classes.hidden = true;
  dui.values.hidden = false;
  dui.resultNote.textContent = heldOut
    ? "The held-out rows took no part in training, so expect about this on new rows like them. R² is 1 for perfect predictions, 0 for always guessing the mean." + overfitting(summary.history)
    : "Hold some rows out (Held out above 0) to see how the model does on rows it has not seen.";
  dui.result.hidden = false;
  dataHook.summary = summary;
  setModel(msg.model);
}

function showResult(summary: FitSummary, confusion: number[][], of: "held-out" | "training", names: string[]): void {
  const heldOut = of === "held-out" && summary.test_accuracy !== undefined;
  const rows = confusion.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
  const right = confusion.reduce((a, row, i) => a + row[i], 0);
  const accuracy = heldOut ? summary.test_accuracy! : summary.accuracy;
  dui.final.textContent = heldOut
    ? `Held-out accuracy: ${pct(accuracy)} (${right.toLocaleString("en")} of ${rows.toLocaleString("en")} rows the model never trained on), loss ${summary.test_loss!.toFixed(4)}; training accuracy ${pct(summary.accuracy)}.`
    : `Training accuracy: ${pct(accuracy)} (${right.toLocaleString("en")} of ${rows.toLocaleString("en")} rows), loss ${summary.loss.toFixed(4)}. No rows were held out, so this says little about new rows.`;
  dui.final.dataset.accuracy = String(accuracy);
  const caption = heldOut
    ? `Confusion matrix on the ${rows.toLocaleString("en")} held-out rows: rows are the true class, columns the model's answer; the diagonal counts right answers.`
    : `Confusion matrix on the ${rows.toLocaleString("en")} training rows: rows are the true class, columns the model's answer; the diagonal counts right answers.`;
  renderConfusion(dui.confusion, confusion, caption, names, "class");
  dui.classes.hidden = false;
  dui.values.hidden = true;
  dui.confusion.classList.toggle("many", names.length > 12);
  const mistakes = topMistakes(confusion, MISTAKES_SHOWN);
  dui.mistakes.replaceChildren(...(mistakes.length > 0 ? mistakes : [undefined]).map((m) => {
    const li = document.createElement("li");
    li.textContent = m
      ? `${names[m.truth]} taken for ${names[m.predicted]}: ${m.count} ${m.count === 1 ? "time" : "times"}`
      : `none: every ${heldOut ? "held-out" : "training"} row is classified right`;
    return li;
  }));
  dui.resultNote.textContent = heldOut
    ? "The held-out rows took no part in training, so expect about this on new rows like them." + overfitting(summary.history)
    : "Hold some rows out (Held out above 0) to see how the model does on rows it has not seen.";
  dui.result.hidden = false;
}

/**
 * A sentence when the held-out loss ended well above its lowest (half as much again): the model went on
 * learning its training rows by heart after it had learnt what carries over to new ones.
 */
function overfitting(history: readonly { epoch: number; test_loss?: number }[]): string {
  const held = history.filter((r) => r.test_loss !== undefined);
  if (held.length < 3) return "";
  const best = held.reduce((a, r) => (r.test_loss! < a.test_loss! ? r : a)), last = held[held.length - 1];
  if (best === last || !(last.test_loss! > 1.5 * best.test_loss!)) return "";
  return ` The held-out loss was lowest at epoch ${best.epoch.toLocaleString("en")} (${best.test_loss!.toPrecision(3)}) and has risen since, to ${last.test_loss!.toPrecision(3)}: ` +
    "after that the model went on learning its training rows by heart (overfitting), which makes it surer of its wrong answers on new rows. Fewer epochs, or a smaller network, usually do as well or better.";
}

// ---- wiring ---------------------------------------------------------------------------------------------------

let begun = false;

/** Called by views.ts the first time the view opens. */
export function start(): void {
  if (begun) return;
  begun = true;
  chart = new TrainingChart(dui.chart);
  chart.reset(dui.epochs.valueAsNumber || 200);
  fillThreads();
  initKeep({ post, showError, clearError, isTraining: () => view.training, hook: dataHook });
  wireOpening();
  wireTraining();
  worker();
}

/** Step 1: the file input, the example, drops, and the missing-value rule. */
function wireOpening(): void {
  dui.file.addEventListener("change", () => {
    const files = [...(dui.file.files ?? [])];
    if (files.length > 0) openFiles(files);
    // choosing the same file again (after fixing it) must fire "change" again
    dui.file.value = "";
  });
  dui.example.addEventListener("click", () => openFiles("example"));
  // a file dropped anywhere on the view opens it; elsewhere the browser would leave the page to show it
  const over = (on: boolean) => dui.dropZone.classList.toggle("over", on);
  dui.view.addEventListener("dragover", (e) => {
    if (!e.dataTransfer?.types.includes("Files")) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = view.training ? "none" : "copy";
    over(true);
  });
  dui.view.addEventListener("dragleave", (e) => { if (!dui.view.contains(e.relatedTarget as Node | null)) over(false); });
  dui.view.addEventListener("drop", (e) => {
    e.preventDefault();
    over(false);
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length === 0) return;
    // onto the predict area: predict it; anywhere else: the data to train on
    if ((e.target as Element).closest?.(".predict") && !dui.predictFile.disabled) {
      dui.predictFile.dispatchEvent(new CustomEvent("files", { detail: files }));
    } else openFiles(files);
  });
  for (const type of ["dragover", "drop"]) window.addEventListener(type, (e) => { if (!dui.view.hidden) e.preventDefault(); });
  // the table just read (or that failed on a gap) again, with gaps left out or refused
  dui.dropMissing.addEventListener("change", () => {
    if (view.training || !lastTable) return;
    openFiles("reread");
  });
}

/** Step 2: the settings, Train and Stop. */
function wireTraining(): void {
  dui.task.addEventListener("change", () => {
    edited.add(dui.task);
    clearError();
    if (!view.data) return;
    fillLabels(view.data, Number(dui.label.value));
    renderColumns(view.data, dui.columns.tBodies[0].rows.length > COLUMNS_SHOWN ? Infinity : COLUMNS_SHOWN);
    showNetwork();
  });
  dui.label.addEventListener("change", () => {
    if (!view.data) return;
    renderColumns(view.data, dui.columns.tBodies[0].rows.length > COLUMNS_SHOWN ? Infinity : COLUMNS_SHOWN);
    showNetwork();
  });
  for (const el of [dui.hidden, dui.lr, dui.epochs, dui.batch]) el.addEventListener("input", () => edited.add(el));
  dui.hidden.addEventListener("input", showNetwork);
  dui.holdout.addEventListener("input", updateHints);
  dui.optimizer.addEventListener("change", () => {
    if (!edited.has(dui.lr)) dui.lr.value = String(defaultLr(dui.optimizer.value, view.data?.rows ?? 0));
  });
  dui.form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (view.training) return;
    const config = readConfig();
    if (config) startRun(config);
  });
  dui.stopButton.addEventListener("click", () => {
    if (!view.training) return;
    post({ type: "stop" });
    dui.stopButton.disabled = true;
    dui.trainStatus.textContent = "Stopping after the current epoch…";
  });
}
