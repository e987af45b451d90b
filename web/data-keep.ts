// "Take it away", the third step of the "Your data" view: the current model (trained there, loaded from this
// browser's storage or from a .wmlp file) as a .wmlp or an .onnx download, saved in and loaded from this
// browser's storage (the library's src/model/storage.ts, on IndexedDB), and its predictions for a second file,
// shown as a table and downloadable as CSV. Reading and predicting the file happen in the worker.

import { listModels, loadModelBytes, removeModel, saveModelBytes, type SavedModel } from "../src/index.ts";
import type { ClassPredictions, ModelInfo, Predictions, Task, ToDataWorker, ValuePredictions } from "./data-protocol.ts";
import { dui } from "./data-ui.ts";
import { pct } from "./wording.ts";

/** Rows of predictions shown on the page; the download has them all. */
const ROWS_SHOWN = 500;
/** Class names listed in the model's summary before "…". */
const NAMES_SHOWN = 10;

/** What this module needs from the view (data-view.ts), passed in rather than imported: no import cycle. */
export interface KeepContext {
  post(msg: ToDataWorker): void;
  showError(message: string, near: HTMLElement): void;
  clearError(): void;
  isTraining(): boolean;
  hook: { model?: { name: string; layers: number[]; classNames: string[]; origin: string; task?: string }; predictions?: string[]; values?: number[]; saved?: string[] };
}

let ctx: KeepContext;
let model: ModelInfo | undefined;
let predictions: Predictions | undefined;
/** The files last given to predict, to predict again when the clip box changes. */
let predictFiles: File[] = [];

export function initKeep(context: KeepContext): void {
  ctx = context;
  dui.downloadWmlp.addEventListener("click", () => model && download(model.wmlp, `${fileName()}.wmlp`, "application/octet-stream"));
  dui.downloadOnnx.addEventListener("click", () => model && download(model.onnx, `${fileName()}.onnx`, "application/octet-stream"));
  dui.save.addEventListener("click", () => void save());
  dui.modelName.addEventListener("keydown", (e) => { if (e.key === "Enter" && !dui.save.disabled) void save(); });
  // a saved model needs a name
  dui.modelName.addEventListener("input", () => { dui.save.disabled = !model || dui.modelName.value.trim() === ""; });
  dui.modelFile.addEventListener("change", () => {
    const file = dui.modelFile.files?.[0];
    dui.modelFile.value = "";
    if (file) void file.arrayBuffer().then((b) => useModel(new Uint8Array(b), file.name, file.name));
  });
  dui.saved.addEventListener("click", (e) => {
    const button = (e.target as Element).closest<HTMLButtonElement>("button[data-name]");
    if (!button) return;
    const name = button.dataset.name!;
    void (button.hasAttribute("data-load") ? load(name) : remove(name));
  });
  const predict = (files: File[]) => {
    if (!model || files.length === 0) return;
    ctx.clearError();
    predictions = undefined;
    ctx.hook.predictions = undefined;
    ctx.hook.values = undefined;
    dui.predictResult.hidden = true;
    dui.predictStatus.textContent = `Reading ${files.map((f) => f.name).join(" and ")}…`;
    predictFiles = files;
    ctx.post({ type: "predict", files, clip: dui.predictClip.checked });
  };
  dui.predictClip.addEventListener("change", () => predict(predictFiles));
  dui.predictFile.addEventListener("change", () => {
    const files = [...(dui.predictFile.files ?? [])];
    dui.predictFile.value = "";
    predict(files);
  });
  // a file dropped onto the predict area (see data-view.ts)
  dui.predictFile.addEventListener("files", (e) => predict((e as CustomEvent<File[]>).detail));
  dui.downloadPredictions.addEventListener("click", () => {
    if (predictions) download(new TextEncoder().encode(predictionsCsv(predictions)), `${base(predictions.file)}-predictions.csv`, "text/csv");
  });
  void refreshSaved();
}

// ---- the current model --------------------------------------------------------------------------------------

export function setModel(info: ModelInfo): void {
  model = info;
  const names = info.classNames.length > NAMES_SHOWN ? [...info.classNames.slice(0, NAMES_SHOWN), "…"] : info.classNames;
  const layers = info.layers, outputs = layers[layers.length - 1];
  const what = info.task === "regress"
    ? `${outputs === 1 ? "1 value" : `${outputs} values`} (${names.join(", ")})`
    : `${outputs} classes (${names.join(", ")})`;
  dui.modelSummary.textContent = `The model: ${layers[0]} inputs → ${layers.slice(1, -1).join(" → ") || "no hidden layer"} → ${what}, ${info.origin}.`;
  dui.modelSummary.dataset.ready = "true";
  dui.modelName.disabled = false;
  dui.modelName.placeholder = "a name";
  dui.modelName.value = info.name;
  for (const b of [dui.downloadWmlp, dui.downloadOnnx, dui.save]) b.disabled = false;
  dui.downloadWmlp.title = `${fileName()}.wmlp, ${size(info.wmlp.byteLength)}`;
  dui.downloadOnnx.title = `${fileName()}.onnx, ${size(info.onnx.byteLength)}`;
  dui.predictFile.disabled = ctx.isTraining();
  dui.predictHint.textContent = info.inputs
    ? `Columns by name: ${preview(info.inputs)}${info.labelName ? `; the ${info.task === "regress" ? "target" : "label"} ${JSON.stringify(info.labelName)} may be left out` : ""}.`
    : `${layers[0]} number columns in the training order, optionally followed by the label; or IDX images of ${layers[0]} pixels.`;
  dui.keepStatus.textContent = "";
  ctx.hook.model = { name: info.name, layers: [...layers], classNames: [...info.classNames], origin: info.origin, ...(info.task === "regress" && { task: info.task }) };
}

const preview = (names: string[]) => (names.length <= 8 ? names.map((n) => JSON.stringify(n)).join(", ") : `${names.slice(0, 6).map((n) => JSON.stringify(n)).join(", ")}, … (${names.length} in all)`);

/** The name field as a file name: what the user typed, without characters file systems refuse. */
function fileName(): string {
  return dui.modelName.value.trim().replace(/[\\/:*?"<>|\u0000-\u001f]+/g, "-") || model?.name || "model";
}

const base = (file: string) => file.replace(/\.gz$/i, "").replace(/\.[^.]*$/, "") || "data";

function download(bytes: Uint8Array, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // after the click has started the download
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function useModel(bytes: Uint8Array, name: string, origin: string): void {
  ctx.clearError();
  dui.keepStatus.textContent = `Loading ${name}…`;
  ctx.post({ type: "use-model", bytes, name, origin });
}

// ---- this browser's storage ---------------------------------------------------------------------------------

async function save(): Promise<void> {
  if (!model) return;
  const name = dui.modelName.value.trim();
  ctx.clearError();
  try {
    const replaced = (await listModels()).some((m) => m.name === name);
    await saveModelBytes(name, model.wmlp);
    dui.keepStatus.textContent = `${replaced ? "Replaced the model saved" : "Saved"} as “${name}” in this browser: it stays after a reload, until you remove it.`;
  } catch (e) {
    ctx.showError((e as Error).message, dui.keepStatus);
  }
  await refreshSaved();
}

async function load(name: string): Promise<void> {
  ctx.clearError();
  try {
    const bytes = await loadModelBytes(name);
    useModel(bytes, name, "saved in this browser");
  } catch (e) {
    ctx.showError((e as Error).message, dui.keepStatus);
    await refreshSaved();
  }
}

async function remove(name: string): Promise<void> {
  ctx.clearError();
  try {
    await removeModel(name);
    dui.keepStatus.textContent = `Removed “${name}” from this browser.`;
  } catch (e) {
    ctx.showError((e as Error).message, dui.keepStatus);
  }
  await refreshSaved();
}

/** The list of saved models, newest first, each with Load and Remove. */
export async function refreshSaved(): Promise<void> {
  let saved: SavedModel[];
  try {
    saved = await listModels();
  } catch (e) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = `This browser cannot keep models here (${(e as Error).message}).`;
    dui.saved.replaceChildren(li);
    return;
  }
  saved.sort((a, b) => b.saved.getTime() - a.saved.getTime());
  ctx.hook.saved = saved.map((m) => m.name);
  if (saved.length === 0) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "Nothing saved yet.";
    dui.saved.replaceChildren(li);
    return;
  }
  dui.saved.replaceChildren(...saved.map(savedItem));
}

/** One saved model: its name, size and date, and its Load and Remove buttons. */
function savedItem(m: SavedModel): HTMLLIElement {
  const li = document.createElement("li");
  li.dataset.name = m.name;
  const text = document.createElement("span");
  text.className = "saved-text";
  const name = document.createElement("strong");
  name.className = "saved-name";
  name.textContent = m.name;
  const meta = document.createElement("small");
  const time = document.createElement("time");
  time.dateTime = m.saved.toISOString();
  time.textContent = m.saved.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  meta.append(`${size(m.bytes)}, saved `, time);
  text.append(name, meta);
  const button = (label: string, attr: string) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.dataset.name = m.name;
    b.setAttribute(attr, "");
    b.setAttribute("aria-label", `${label} ${m.name}`);
    return b;
  };
  const loadButton = button("Load", "data-load");
  loadButton.disabled = ctx.isTraining();
  const actions = document.createElement("span");
  actions.className = "saved-actions";
  actions.append(loadButton, button("Remove", "data-remove"));
  li.append(text, actions);
  return li;
}

// ---- work in progress and errors from the worker --------------------------------------------------------------

export function keepBusy(task: Task, text: string): void {
  (task === "predict" ? dui.predictStatus : dui.keepStatus).textContent = text;
}

export function keepFailed(task: Task, message: string): void {
  const status = task === "predict" ? dui.predictStatus : dui.keepStatus;
  status.textContent = task === "predict" ? "The file could not be predicted:" : "The model could not be loaded:";
  const range = task === "predict" && /the range of the values the model was trained on/.test(message);
  ctx.showError(range ? `${message}. To predict it anyway, tick “Clip values outside the training data’s range”.` : message, status);
}

// ---- predictions --------------------------------------------------------------------------------------------

export function showPredictions(p: Predictions): void {
  predictions = p;
  if (p.task === "regress") return showValues(p);
  const { n, classNames: names, predicted, proba, truth } = p, C = names.length;
  let right = 0;
  if (truth) for (let r = 0; r < n; r++) if (truth[r] === predicted[r]) right++;
  const shown = Math.min(n, ROWS_SHOWN);
  const matched = truth ? `; ${right.toLocaleString("en")} of ${n.toLocaleString("en")} match the file's labels (${pct(right / n)})` : "";
  const body = predictionsTable(p, matched, `Predictions for the ${n.toLocaleString("en")} rows of ${p.file}`, ["Row", "Prediction", "Probability", ...(truth ? ["In the file", ""] : [])]);
  for (let r = 0; r < shown; r++) {
    const tr = body.insertRow();
    const k = predicted[r];
    rowNumber(tr, r, p.clipped);
    const cls = tr.insertCell();
    cls.textContent = names[k];
    cls.className = "predicted";
    tr.insertCell().textContent = pct(proba[r * C + k]);
    if (truth) {
      tr.insertCell().textContent = names[truth[r]];
      const ok = tr.insertCell();
      ok.textContent = truth[r] === k ? "✓" : "✗";
      ok.className = truth[r] === k ? "right" : "wrong";
      ok.setAttribute("aria-label", truth[r] === k ? "right" : "wrong");
    }
  }
  dui.predictResult.hidden = false;
  ctx.hook.predictions = Array.from(predicted, (k) => names[k]);
}

/**
 * Both kinds of predictions: the status line (rows predicted, `matched`: how they compare with the file's
 * own, and how many were clipped), then the table emptied with its caption (`whole` when it shows every row)
 * and column headings (an empty one is the right-or-wrong column, named for screen readers); its body.
 */
function predictionsTable(p: Predictions, matched: string, whole: string, headings: string[]): HTMLTableSectionElement {
  const n = p.n, shown = Math.min(n, ROWS_SHOWN);
  const clippedRows = p.clipped ? p.clipped.reduce((a, b) => a + b, 0) : 0;
  const clipped = clippedRows > 0 ? `; ${clippedRows.toLocaleString("en")} had values outside the training range, clipped (marked ⚠)` : "";
  dui.predictStatus.textContent = `${p.file}: ${n.toLocaleString("en")} rows predicted${matched}${clipped}.`;
  const t = dui.predictions;
  t.replaceChildren();
  t.createCaption().textContent = shown < n ? `The first ${shown} of ${n.toLocaleString("en")} rows (the download has them all)` : whole;
  const head = t.createTHead().insertRow();
  for (const h of headings) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    if (h === "") th.innerHTML = '<span class="sr-only">right or wrong</span>';
    head.append(th);
  }
  return t.createTBody();
}

/** A row's first cell: its number, marked when a value of the row was clipped to the training range. */
function rowNumber(tr: HTMLTableRowElement, r: number, clipped: ArrayLike<number> | undefined): void {
  const row = tr.insertCell();
  row.textContent = String(r + 1);
  if (clipped?.[r]) {
    row.append(" ⚠");
    row.title = "a value of this row was outside the training data's range and was clipped to it";
  }
}

/** A number as the page shows it: six significant digits. */
export const short = (x: number) => String(Number(x.toPrecision(6)));

/** A regression model's predictions: each row's value, and the file's own with the difference when it has them. */
function showValues(p: ValuePredictions): void {
  const { n, values, truth } = p, shown = Math.min(n, ROWS_SHOWN);
  let matched = "";
  if (truth) {
    let se = 0, ae = 0;
    for (let r = 0; r < n; r++) { const d = values[r] - truth[r]; se += d * d; ae += Math.abs(d); }
    matched = `; against the file's ${JSON.stringify(p.target)}: RMSE ${short(Math.sqrt(se / n))}, MAE ${short(ae / n)}`;
  }
  const whole = `Predicted ${JSON.stringify(p.target)} for the ${n.toLocaleString("en")} rows of ${p.file}`;
  const body = predictionsTable(p, matched, whole, ["Row", `Predicted ${p.target}`, ...(truth ? ["In the file", "Difference"] : [])]);
  for (let r = 0; r < shown; r++) {
    const tr = body.insertRow();
    rowNumber(tr, r, p.clipped);
    const v = tr.insertCell();
    v.textContent = short(values[r]);
    v.className = "predicted number";
    if (truth) {
      tr.insertCell().textContent = short(truth[r]);
      const d = tr.insertCell();
      d.textContent = (values[r] >= truth[r] ? "+" : "") + short(values[r] - truth[r]);
      d.className = "number";
    }
  }
  dui.predictResult.hidden = false;
  ctx.hook.predictions = Array.from(values, short);
  ctx.hook.values = Array.from(values);
}

/** A CSV field, quoted when it must be (RFC 4180). */
const field = (s: string) => (/[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s);

/** row, prediction, its probability, each class's probability, the file's label when it has one, and whether a value was clipped. */
export function predictionsCsv(p: Predictions): string {
  if (p.task === "regress") return valuesCsv(p);
  const { n, classNames: names, predicted, proba, truth } = p, C = names.length;
  const clipped = p.clipped;
  const lines = [["row", "prediction", "probability", ...names.map((c) => `p(${c})`), ...(truth ? ["label"] : []), ...(clipped ? ["clipped"] : [])].map(field).join(",")];
  for (let r = 0; r < n; r++) {
    const probs = Array.from(proba.subarray(r * C, (r + 1) * C), (x) => String(Number(x.toPrecision(6))));
    lines.push([String(r + 1), field(names[predicted[r]]), probs[predicted[r]], ...probs, ...(truth ? [field(names[truth[r]])] : []), ...(clipped ? [String(clipped[r])] : [])].join(","));
  }
  return lines.join("\n") + "\n";
}

/** row, the predicted value (full f32 precision), the file's value when it has one, and whether a value was clipped. */
function valuesCsv(p: ValuePredictions): string {
  const { n, values, truth, clipped } = p;
  const lines = [["row", `predicted ${p.target}`, ...(truth ? [p.target] : []), ...(clipped ? ["clipped"] : [])].map(field).join(",")];
  for (let r = 0; r < n; r++) {
    lines.push([String(r + 1), String(Number(values[r].toPrecision(9))), ...(truth ? [String(truth[r])] : []), ...(clipped ? [String(clipped[r])] : [])].join(","));
  }
  return lines.join("\n") + "\n";
}
