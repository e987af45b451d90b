// The "Your data" view's worker: reads the user's file (a CSV, gzip too, or an IDX pair), says what its
// columns are, trains a model on it, and predicts a second file. Everything heavy happens here, so the page
// stays responsive with a file of 60,000 rows: reading reports how far it got, parsing and encoding are
// announced before they start, and training yields between epochs (fitAsync) so that Stop is heard.

import {
  DataError, MLP, MT19937, gunzip, isGzip, idxFromBytes, isIdx, loadDigits, loadRegressionTable, parseTable, stratifiedSplit, tableFromBytes, WasmMlpError,
  type Dataset, type FitOptions, type ImageDataset, type RegressionDataset, type TableDataset, type Task as LibraryTask,
} from "../src/index.ts";
import type { ColumnInfo, DataInfo, DataTrainConfig, FromDataWorker, ModelInfo, Predictions, Task, ToDataWorker } from "./data-protocol.ts";

const post = (msg: FromDataWorker, transfer: Transferable[] = []) => postMessage(msg, { transfer });
const busy = (task: Task, text: string, fraction?: number) => post({ type: "busy", task, text, fraction });

const MiB = 2 ** 20;
/** The library's limit for data files (plain, or once inflated). */
const MAX_DATA_BYTES = 256 * MiB;
/** Labels are bytes and 255 marks "none": at most 255 classes. */
const MAX_CLASSES = 255;

/** The file to train on: a table's bytes (parsed again once the label is chosen), or an IDX pair's data. */
type Source =
  | { kind: "table"; bytes: Uint8Array; name: string; missing: "error" | "drop"; names: string[] }
  | { kind: "images"; data: ImageDataset; name: string };

let source: Source | undefined;
/** The last table read (kept when parsing it failed too), to read again with the other missing-value rule. */
let lastTable: { bytes: Uint8Array; name: string } | undefined;
/** The current model (trained here or loaded), which predicts. */
let model: MLP<LibraryTask> | undefined;
/** Aborts the run in progress. */
let stop: AbortController | undefined;

// ---- reading files ------------------------------------------------------------------------------------

/** A file's bytes, read in chunks with a "busy" message every 100 ms, inflated when they are gzip. */
async function readFile(file: File, task: Task): Promise<Uint8Array<ArrayBuffer>> {
  if (file.size > 4 * MAX_DATA_BYTES) throw new DataError(`${file.name}: ${(file.size / MiB).toFixed(1)} MiB is larger than the ${MAX_DATA_BYTES / MiB} MiB limit for data files`);
  const out = new Uint8Array(file.size);
  const reader = file.stream().getReader();
  let at = 0, last = performance.now();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    out.set(value, at);
    at += value.byteLength;
    if (performance.now() - last > 100) {
      last = performance.now();
      busy(task, `Reading ${file.name}: ${megabytes(at)} of ${megabytes(file.size)}…`, at / file.size);
    }
  }
  return isGzip(out) ? inflate(out, file.name, task) : out;
}

const megabytes = (n: number) => `${(n / MiB).toFixed(n < 10 * MiB ? 1 : 0)} MB`;

/** Inflates gzip bytes (the library's gunzip, with its limit for data files), saying how far it has got. */
async function inflate(bytes: Uint8Array<ArrayBuffer>, name: string, task: Task): Promise<Uint8Array<ArrayBuffer>> {
  busy(task, `Inflating ${name}…`);
  let last = performance.now();
  return gunzip(bytes, name, MAX_DATA_BYTES, (total) => {
    if (performance.now() - last < 100) return;
    last = performance.now();
    busy(task, `Inflating ${name}: ${megabytes(total)} so far…`);
  });
}

/** The IDX images file (3 dimensions) and labels file (1) among the files; a DataError for anything else. */
function idxPair(files: { name: string; bytes: Uint8Array }[], labelsOptional: boolean): { images: { name: string; bytes: Uint8Array }; labels?: { name: string; bytes: Uint8Array } } {
  const images = files.find((f) => f.bytes[3] === 3), labels = files.find((f) => f.bytes[3] === 1);
  if (!images) throw new DataError(`${files.map((f) => f.name).join(" and ")}: no IDX images file (3 dimensions: images, rows, columns) among them`);
  if (!labels && !labelsOptional) {
    throw new DataError(`${images.name}: an IDX images file needs its labels file; choose both files together (e.g. train-images-idx3-ubyte and train-labels-idx1-ubyte)`);
  }
  return { images, labels };
}

// ---- what the file holds ------------------------------------------------------------------------------

/** A table's or an IDX pair's columns for the view, and the column most likely meant as the label. */
async function open(files: File[], missing: "error" | "drop"): Promise<void> {
  const t0 = performance.now();
  source = undefined;
  lastTable = undefined;
  if (files.length === 0 || files.length > 2) throw new DataError(`choose one CSV file, or the two files of an IDX pair (images and labels); got ${files.length}`);
  const read = [];
  for (const f of files) read.push({ name: f.name, bytes: await readFile(f, "open") });
  const idx = read.filter((f) => isIdx(f.bytes));
  if (idx.length > 0 || read.length === 2) {
    if (idx.length !== read.length) throw new DataError(`${read.map((f) => f.name).join(" and ")}: choose one CSV file, or the two files of an IDX pair (images and labels)`);
    return openImages(read, t0);
  }
  openTable(read[0].bytes, read[0].name, missing, t0);
}

function openTable(bytes: Uint8Array, name: string, missing: "error" | "drop", t0: number): void {
  source = undefined;
  lastTable = { bytes, name };
  busy("open", `Parsing ${name} (${megabytes(bytes.length)})…`);
  const t = parseTable(bytes, name, { missing, maxBytes: MAX_DATA_BYTES });
  busy("open", `Looking at ${t.columns.length} columns of ${t.rows.toLocaleString("en")} rows…`);
  const columns: ColumnInfo[] = t.columns.map((c) => {
    if (c.kind === "category") {
      const words = c.categories!.length;
      return { name: c.name, kind: "category", words, examples: c.categories!.slice(0, 4), labelOk: words <= MAX_CLASSES, classes: words };
    }
    const v = c.values!;
    let min = Infinity, max = -Infinity, whole = true;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x < min) min = x;
      if (x > max) max = x;
      if (whole && !Number.isInteger(x)) whole = false;
    }
    const labelOk = whole && min >= 0 && max < MAX_CLASSES;
    return { name: c.name, kind: "number", min, max, labelOk, ...(labelOk && { classes: max + 1 }) };
  });
  source = { kind: "table", bytes, name, missing, names: t.names };
  const info: DataInfo = { file: name, kind: "table", rows: t.rows, dropped: t.dropped, header: t.header, columns, label: suggestLabel(columns), ms: performance.now() - t0 };
  post({ type: "data", info });
}

/**
 * The label a user most likely means: a column named like one that can be a label, else the last column that
 * can (the library's default is the last column), else the last column (training will say why it cannot).
 */
function suggestLabel(columns: ColumnInfo[]): number {
  const named = columns.findIndex((c) => c.labelOk && /^(label|labels|class|classes|target|species|y|category|outcome|digit)$/i.test(c.name.trim()));
  if (named >= 0) return named;
  for (let i = columns.length - 1; i >= 0; i--) if (columns[i].labelOk && (columns[i].classes ?? 0) >= 2) return i;
  return columns.length - 1;
}

function openImages(files: { name: string; bytes: Uint8Array }[], t0: number): void {
  const { images, labels } = idxPair(files, false);
  busy("open", `Reading the images in ${images.name}…`);
  const data = idxFromBytes(images.bytes, images.name, labels!.bytes, labels!.name);
  source = { kind: "images", data, name: images.name };
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < data.X.length; i++) {
    const x = data.X[i];
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const columns: ColumnInfo[] = [
    { name: `pixels 1–${data.features}`, kind: "number", min, max, labelOk: false, count: data.features },
    { name: "label", kind: "number", min: 0, max: data.classes - 1, labelOk: true, classes: data.classes },
  ];
  const info: DataInfo = {
    file: images.name, kind: "images", rows: data.n, dropped: 0, header: false, columns, label: 1,
    images: { rows: data.rows, cols: data.cols, labelsFile: labels!.name }, ms: performance.now() - t0,
  };
  post({ type: "data", info });
}

/** The 8×8 digits as a CSV with a header, for someone without a file at hand. */
async function example(missing: "error" | "drop"): Promise<void> {
  const t0 = performance.now();
  busy("open", "Making the example file…");
  const d = await loadDigits();
  const lines = [[...Array.from({ length: d.features }, (_, i) => `pixel_${Math.floor(i / 8) + 1}_${(i % 8) + 1}`), "digit"].join(",")];
  for (let r = 0; r < d.n; r++) lines.push(`${Array.from(d.X.subarray(r * d.features, (r + 1) * d.features)).join(",")},${d.y[r]}`);
  openTable(new TextEncoder().encode(lines.join("\n") + "\n"), "digits.csv", missing, t0);
}

/** The last table again, with gaps left out or refused. */
async function reread(missing: "error" | "drop"): Promise<void> {
  if (!lastTable) throw new DataError("choose a data file first");
  openTable(lastTable.bytes, lastTable.name, missing, performance.now());
}

// ---- training -----------------------------------------------------------------------------------------

/** The label for tableFromBytes: the column's name, or its position where the name does not single it out. */
function labelArgument(names: string[], i: number): string {
  const name = names[i];
  return names.indexOf(name) === i && !/^\d+$/.test(name) ? name : String(i + 1);
}

async function train(config: DataTrainConfig): Promise<void> {
  // from the start, so that a stop while the data is encoded or the kernels load is not lost
  const controller = (stop = new AbortController());
  try {
    // the data as it is now: choosing another file meanwhile does not change this run
    const src = source;
    if (!src) throw new DataError("choose a data file first");
    if (config.task === "regress") return await trainRegression(src, config, controller.signal);
    busy("train", "Encoding the rows…");
    const data: TableDataset | ImageDataset = src.kind === "table"
      ? tableFromBytes(src.bytes, src.name, { label: labelArgument(src.names, config.label), missing: src.missing })
      : src.data;
    const classNames = data.classNames ? [...data.classNames] : Array.from({ length: data.classes }, (_, i) => String(i));
    const labelName = src.kind === "table" ? src.names[config.label] : "label";
    if (data.classes < 2) {
      throw new DataError(`${src.name}: the label column ${JSON.stringify(labelName)} holds one class only (${JSON.stringify(classNames[0])}); a classifier needs at least two`);
    }
    busy("train", "Holding out rows and building the network…");
    const split = config.holdout > 0 ? stratifiedSplit(data, config.holdout, config.seed) : undefined;
    const trainSet: Dataset = split?.train ?? data;
    const schema = "schema" in data ? data.schema : undefined;
    const next = await MLP.create({ layers: [data.features, ...config.hidden, data.classes], seed: config.seed, threads: config.threads, schema });
    const summary = await fitWithReports(next, config, trainSet, split?.test, classNames, controller.signal);
    const confusion = summary.confusion ?? next.evaluate(data.X, data.y).confusion;
    const info = keep(next, src.name, labelName);
    post({ type: "done", summary, confusion, confusionOf: summary.confusion ? "held-out" : "training", model: info }, [info.wmlp.buffer as ArrayBuffer, info.onnx.buffer as ArrayBuffer]);
  } finally {
    if (stop === controller) stop = undefined;
  }
}

/** The model just trained becomes the current one; its files for the page. */
function keep(next: MLP<LibraryTask>, file: string, labelName: string): ModelInfo {
  model?.dispose();
  model = next;
  return modelInfo(next, baseName(file), `trained on ${file}`, next.toBytes(), labelName);
}

/** Rows to fit on or test on: a classifier's labels or a regression's targets. */
type FitRows<T extends LibraryTask> = { X: Float32Array; y: T extends "regress" ? Float32Array : Uint8Array; n: number };

/**
 * Announces the run ("start"), then fits, posting each report and (between reports) the epoch count; a
 * model that fails is disposed.
 */
async function fitWithReports<T extends LibraryTask>(next: MLP<T>, config: DataTrainConfig, trainSet: FitRows<T>, test: FitRows<T> | undefined, classNames: string[], signal: AbortSignal) {
  const batch = Math.min(config.batch, trainSet.n);
  const threads = next.threadsFor(batch, config.threads === "auto" ? undefined : config.threads);
  const every = Math.max(1, Math.round(config.epochs / 200));
  post({
    type: "start", build: next.kernels.build, threads, isolated: self.crossOriginIsolated, config, batch, every,
    trainRows: trainSet.n, testRows: test?.n ?? 0, classNames,
  });
  let t0 = -1, lastTick = performance.now();
  const options: FitOptions<T> = {
    epochs: config.epochs, lr: config.lr, optimizer: config.optimizer, batch, every, threads,
    validation: test && { X: test.X, y: test.y },
    onReport: (report) => {
      // the first report comes after the first epoch; time from there, like the summary's epoch rate
      const now = performance.now();
      if (t0 < 0) t0 = now;
      post({ type: "progress", report, elapsedMs: now - t0 });
    },
    // between reports (far apart in a long run on large data), the epoch count now and then
    onEpoch: (epoch) => {
      const now = performance.now();
      if (now - lastTick < 250 || t0 < 0) return;
      lastTick = now;
      post({ type: "epoch", epochs: epoch + 1, elapsedMs: now - t0 });
    },
    signal,
  };
  try {
    return await next.fitAsync(trainSet.X, trainSet.y, options);
  } catch (e) {
    next.dispose();
    throw e;
  }
}

// ---- regression ---------------------------------------------------------------------------------------

/** The library names a table given as bytes "(bytes)" in its messages: name the file instead. */
const named = (e: unknown, file: string) => {
  if (e instanceof WasmMlpError) e.message = e.message.replaceAll("(bytes)", file);
  return e;
};

async function regressionTable(bytes: Uint8Array, file: string, rules: Parameters<typeof loadRegressionTable>[1]): Promise<RegressionDataset> {
  try {
    return await loadRegressionTable(bytes, rules);
  } catch (e) {
    throw named(e, file);
  }
}

/** A seeded shuffle split of a regression table's rows, as the CLI's --test-split (each part in the file's order). */
function shuffleSplit(d: RegressionDataset, fraction: number, seed: number): { train: RegressionDataset; test: RegressionDataset } {
  const rows = Array.from({ length: d.n }, (_, i) => i);
  new MT19937(seed).shuffle(rows);
  const k = Math.round(d.n * fraction);
  if (k === 0 || k === d.n) throw new DataError(`a test split of ${fraction} of ${d.n} rows leaves ${d.n - k} for training and ${k} for testing; both need at least one`);
  const part = (idx: number[]): RegressionDataset => {
    const F = d.features, N = d.outputs, X = new Float32Array(idx.length * F), y = new Float32Array(idx.length * N);
    idx.forEach((r, i) => {
      X.set(d.X.subarray(r * F, (r + 1) * F), i * F);
      y.set(d.y.subarray(r * N, (r + 1) * N), i * N);
    });
    return { ...d, X, y, n: idx.length };
  };
  return { train: part(rows.slice(k).sort((a, b) => a - b)), test: part(rows.slice(0, k).sort((a, b) => a - b)) };
}

/** Trains a regression model on the number in the label column; then its values for the held-out rows. */
async function trainRegression(src: Source, config: DataTrainConfig, signal: AbortSignal): Promise<void> {
  if (src.kind !== "table") throw new DataError(`${src.name}: images have classes, not a number to predict; choose classify`);
  const target = src.names[config.label];
  busy("train", "Encoding the rows…");
  const data = await regressionTable(src.bytes, src.name, { label: labelArgument(src.names, config.label), missing: src.missing });
  busy("train", "Holding out rows and building the network…");
  const split = config.holdout > 0 ? shuffleSplit(data, config.holdout, config.seed) : undefined;
  const next = await MLP.create({ layers: [data.features, ...config.hidden, data.outputs], task: "regress", seed: config.seed, threads: config.threads, schema: data.schema });
  const summary = await fitWithReports(next, config, split?.train ?? data, split?.test, [target], signal);
  const shown = split?.test ?? data;
  // the model refuses inputs outside the training rows' range, which a held-out row can have: clip those
  const X = shown.X.slice(), clipped = checkRange(next, X, src.name, true)?.reduce((a, b) => a + b, 0) ?? 0;
  const predicted = next.predict(X), truth = shown.y.slice();
  const info = keep(next, src.name, target);
  post({ type: "done-regress", summary, truth, predicted, of: split ? "held-out" : "training", clipped, model: info },
    [truth.buffer, predicted.buffer as ArrayBuffer, info.wmlp.buffer as ArrayBuffer, info.onnx.buffer as ArrayBuffer]);
}

/** "iris.csv.gz" → "iris" */
const baseName = (file: string) => file.replace(/\.gz$/i, "").replace(/\.(csv|txt|tsv|wmlp)$/i, "").replace(/[-.]idx\d-ubyte$/i, "") || "model";

function modelInfo(m: MLP<LibraryTask>, name: string, origin: string, wmlp: Uint8Array, labelName?: string): ModelInfo {
  const schema = m.schema, regress = m.task === "regress";
  const classNames = regress ? [...(schema?.targets ?? [schema?.label || labelName || "y"])]
    : m.classNames ? [...m.classNames] : Array.from({ length: m.classes }, (_, i) => String(i));
  return {
    name, layers: [...m.layers], task: m.task, classNames, origin, wmlp, onnx: m.toOnnx(),
    inputs: schema?.columns.map((c) => c.name), labelName: schema?.label || labelName,
  };
}

// ---- a model from storage or a file -------------------------------------------------------------------

async function useModel(bytes: Uint8Array, name: string, origin: string): Promise<void> {
  busy("model", `Reading the model ${name}…`);
  const next = await MLP.fromBytes<LibraryTask>(bytes, { name, kernels: "auto" });
  model?.dispose();
  model = next;
  const info = modelInfo(next, baseName(name), origin, bytes.slice());
  post({ type: "model", model: info }, [info.wmlp.buffer as ArrayBuffer, info.onnx.buffer as ArrayBuffer]);
}

// ---- predicting ---------------------------------------------------------------------------------------

async function predict(files: File[], clip: boolean): Promise<void> {
  if (!model) throw new DataError("train a model or load one first");
  const m = model;
  if (files.length === 0 || files.length > 2) throw new DataError(`choose one CSV file, or an IDX images file (with its labels file, if you have it); got ${files.length}`);
  const read = [];
  for (const f of files) read.push({ name: f.name, bytes: await readFile(f, "predict") });
  busy("predict", `Reading the rows of ${read[0].name}…`);
  if (m.task === "regress") return predictValues(m as MLP<"regress">, read, clip);
  const idx = read.some((f) => isIdx(f.bytes));
  const { X, y, n, labelled, name } = idx ? imagesToPredict(m, read) : tableToPredict(m, read);
  const clipped = checkRange(m, X, name, clip);
  busy("predict", `Predicting ${n.toLocaleString("en")} rows…`);
  const proba = (m as MLP).predictProba(X);
  const C = m.classes, predicted = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (proba[r * C + c] > proba[r * C + best]) best = c;
    predicted[r] = best;
  }
  const classNames = m.classNames ? [...m.classNames] : Array.from({ length: C }, (_, i) => String(i));
  const result: Predictions = { task: "classify", file: name, n, classNames, predicted, proba, truth: labelled ? y : undefined, clipped };
  post({ type: "predictions", result }, [predicted.buffer, proba.buffer as ArrayBuffer, ...(labelled ? [y.buffer as ArrayBuffer] : []), ...(clipped ? [clipped.buffer] : [])]);
}

/** A regression model's values for a CSV's rows (its first target), with the file's own values when it has them. */
async function predictValues(m: MLP<"regress">, files: { name: string; bytes: Uint8Array }[], clip: boolean): Promise<void> {
  if (files.length !== 1 || isIdx(files[0].bytes)) throw new DataError(`${files.map((f) => f.name).join(" and ")}: a regression model predicts the rows of one CSV file`);
  const { name, bytes } = files[0];
  const F = m.inputs, N = m.classes;
  let schema = m.schema;
  if (!schema) {
    // a model without a schema (trained in the library): the inputs in order, then optionally the targets
    const t = parseTable(bytes, name, { maxBytes: MAX_DATA_BYTES });
    if (t.columns.length !== F && t.columns.length !== F + N) throw new DataError(`${name}: ${t.columns.length} columns, where the model takes ${F} inputs (and optionally ${N} target${N > 1 ? "s" : ""})`);
    const targets = Array.from({ length: N }, (_, j) => t.names[F + j] ?? `target ${j + 1}`);
    schema = { columns: t.names.slice(0, F).map((c) => ({ name: c })), label: targets[0], targets };
  }
  const d = await regressionTable(bytes, name, { schema, labels: "optional" });
  const clipped = checkRange(m, d.X, name, clip);
  busy("predict", `Predicting ${d.n.toLocaleString("en")} rows…`);
  const all = m.predict(d.X), values = new Float32Array(d.n), truth = d.labelled ? new Float32Array(d.n) : undefined;
  for (let r = 0; r < d.n; r++) {
    values[r] = all[r * N];
    if (truth) truth[r] = d.y[r * N];
  }
  const result: Predictions = { task: "regress", file: name, n: d.n, target: (schema.targets ?? [schema.label])[0], values, truth, clipped };
  post({ type: "predictions", result }, [values.buffer, ...(truth ? [truth.buffer] : []), ...(clipped ? [clipped.buffer] : [])]);
}

type Rows = { X: Float32Array; y: Uint8Array; n: number; labelled: boolean; name: string };

/** A table encoded as the model was trained: by its schema, or (a model without one) number columns in order. */
function tableToPredict(m: MLP<LibraryTask>, files: { name: string; bytes: Uint8Array }[]): Rows {
  if (files.length !== 1) throw new DataError(`${files.map((f) => f.name).join(" and ")}: choose one CSV file to predict`);
  const { name, bytes } = files[0];
  if (m.schema) {
    const d = tableFromBytes(bytes, name, { schema: m.schema, labels: "optional" });
    return { X: d.X, y: d.y, n: d.n, labelled: d.labelled !== false, name };
  }
  // a model without a schema (trained on an IDX pair, or by the CLI on a numeric CSV): the inputs in order,
  // then optionally the label, with their own names
  const t = parseTable(bytes, name, { maxBytes: MAX_DATA_BYTES });
  const F = m.inputs, width = t.columns.length;
  if (width !== F && width !== F + 1) {
    throw new DataError(`${name}: ${width} columns, where the model takes ${F} inputs (and optionally a label)`);
  }
  const schema = { columns: t.names.slice(0, F).map((c) => ({ name: c })), label: width > F ? t.names[F] : "label" };
  const d = tableFromBytes(bytes, name, { schema, labels: "optional", header: t.header ? "yes" : "no" });
  return { X: d.X, y: d.y, n: d.n, labelled: d.labelled !== false, name };
}

/** An IDX images file, with its labels file when given. */
function imagesToPredict(m: MLP<LibraryTask>, files: { name: string; bytes: Uint8Array }[]): Rows {
  if (!files.every((f) => isIdx(f.bytes))) throw new DataError(`${files.map((f) => f.name).join(" and ")}: choose a CSV file, or IDX files only`);
  const { images, labels } = idxPair(files, true);
  // (at most one label per byte of the images file: a damaged header is the library's to report)
  const n = Math.min(images.bytes.length, images.bytes.length >= 8 ? new DataView(images.bytes.buffer, images.bytes.byteOffset).getUint32(4) : 0);
  // without a labels file: all-zero labels, so that the library still checks the images file in full
  const noLabels = () => {
    const b = new Uint8Array(8 + n);
    new DataView(b.buffer).setUint32(0, 0x00000801);
    new DataView(b.buffer).setUint32(4, n);
    return b;
  };
  const d = idxFromBytes(images.bytes, images.name, labels?.bytes ?? noLabels(), labels?.name ?? "(no labels)", { classes: m.classes });
  if (d.features !== m.inputs) throw new DataError(`${images.name}: images of ${d.rows}×${d.cols} = ${d.features} pixels, where the model takes ${m.inputs} inputs`);
  return { X: d.X, y: d.y, n: d.n, labelled: labels !== undefined, name: images.name };
}

/**
 * The library refuses values outside the range of the training data. Say so by row and column name, as a
 * user knows them, rather than by the index into X; or, when asked to, clip them to that range's edges and
 * return which rows were clipped.
 */
function checkRange(m: MLP<LibraryTask>, X: Float32Array, file: string, clip: boolean): Uint8Array | undefined {
  const range = m.range;
  if (!range) return undefined;
  const [lo, hi] = range, F = m.inputs;
  const i = X.findIndex((v) => v < lo || v > hi);
  if (i < 0) return undefined;
  if (clip) {
    const clipped = new Uint8Array(X.length / F);
    for (let j = i; j < X.length; j++) {
      const v = X[j];
      if (v >= lo && v <= hi) continue;
      X[j] = v < lo ? lo : hi;
      clipped[Math.floor(j / F)] = 1;
    }
    return clipped;
  }
  const cols = m.schema?.columns.flatMap((c) => (c.categories ? c.categories.map(() => c.name) : [c.name]));
  const column = cols ? JSON.stringify(cols[i % F]) : `${(i % F) + 1}`;
  throw new DataError(`${file}: row ${Math.floor(i / F) + 1}, column ${column}: ${short(X[i])} is outside ${short(lo)} to ${short(hi)}, the range of the values the model was trained on, so the model refuses it`);
}

/** An f32 as people wrote it: 7.4, not 7.400000095367432. */
const short = (x: number) => String(Number(x.toPrecision(7)));

// ---- messages -----------------------------------------------------------------------------------------

const message = (e: unknown) => (e instanceof WasmMlpError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e));

function run(task: Task, job: () => Promise<void>): void {
  job().catch((e: unknown) => post({ type: "error", task, message: message(e) }));
}

self.onmessage = (e: MessageEvent<ToDataWorker>) => {
  const msg = e.data;
  switch (msg.type) {
    case "open":
      return run("open", () => open(msg.files, msg.missing));
    case "example":
      return run("open", () => example(msg.missing));
    case "reread":
      return run("open", () => reread(msg.missing));
    case "train":
      return run("train", () => train(msg.config));
    case "stop":
      stop?.abort();
      return;
    case "use-model":
      return run("model", () => useModel(msg.bytes, msg.name, msg.origin));
    case "predict":
      return run("predict", () => predict(msg.files, msg.clip));
  }
};
