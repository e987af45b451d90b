// Loading data sets from a path, URL, Response or bytes: the bundled digits, a numeric CSV (loadCsv), a
// table as people have them (loadTable), an IDX pair (loadIdx), Fashion-MNIST from Debian's package.

import { checkByteSource, isLocalFile, isNode, fromBase64, nodeBuiltin, readBytes, sourceName, type ByteSource } from "../bytes.js";
import { DIGITS_RULES, gunzip, isGzip, MAX_CLASSES, MAX_TEXT_BYTES, type CsvRules, type Dataset, type InputArray } from "./csv.js";
import { isIdx, labelsFileFor, readIdxPair } from "./idx.js";
import { encodeTable, featureCount, labelColumn, schemaOf, type Schema } from "./schema.js";
import { parseTable, type Table as CsvTable } from "./table.js";
import { DataError, UsageError } from "../errors.js";
import { checkOptions, integer, oneOf, rule, type Table } from "../checks.js";

export type { Dataset } from "./csv.js";

/**
 * The 1797 8×8 digits (pixels 0..16, labels 0..9). Without an argument, from the copy built into the
 * package (a JS module: nothing to fetch by URL, inflate or parse), in Node and browsers alike; with a
 * source, from a digits CSV there (checked against the digits' rules).
 */
export async function loadDigits(source?: ByteSource): Promise<Dataset> {
  if (source !== undefined) {
    checkByteSource("loadDigits", "the source", source);
    return loadCsv(source, DIGITS_RULES);
  }
  const { n, features, classes, bytes } = await import("../../build/digits.js");
  const all = fromBase64(bytes);
  if (all.length !== n * (features + 1)) throw new DataError(`the built-in digits are damaged (${all.length} bytes); reinstall wasm-mlp`);
  return { X: new Float32Array(all.subarray(0, n * features)), y: all.slice(n * features), n, features, classes, labelled: true };
}

const finite = (v: unknown) => typeof v === "number" && Number.isFinite(v);

const CSV_RULES: Table = {
  features: integer(1),
  range: rule("[lowest, highest], two finite numbers in order", (v) => Array.isArray(v) && v.length === 2 && finite(v[0]) && finite(v[1]) && v[0] <= v[1]),
  classes: integer(2, 255),
  integerFeatures: rule("true or false", (v) => typeof v === "boolean"),
  labels: oneOf(["required", "optional"]),
};

/**
 * Any numeric CSV (optionally gzip) whose last column is an integer class label. Read with the byte-level
 * table parser (data/table.ts), then held to `rules`; a CSV with words in it is loadTable's.
 */
export async function loadCsv(source: ByteSource, rules: CsvRules = {}): Promise<Dataset> {
  checkByteSource("loadCsv", "the source", source);
  checkOptions("loadCsv", rules, CSV_RULES);
  if (rules.labels === "optional" && rules.features === undefined) {
    throw new UsageError('loadCsv: labels "optional" needs features (the number of feature columns), to tell a label column from a feature');
  }
  const name = sourceName(source);
  // the label, when there is one, is column features + 1 (the last); without one no column is kept apart
  const label = rules.labels === "optional" ? String(rules.features! + 1) : undefined;
  return numericTable(parseTable(await readData(source, name), name, { maxBytes: MAX_TEXT_BYTES, label }), rules);
}

/** A table of numbers whose last column (when present) is the class, checked against the rules. */
function numericTable(t: CsvTable, rules: CsvRules): Dataset {
  const width = t.columns.length, features = rules.features ?? width - 1;
  const labelled = !(rules.labels === "optional" && rules.features !== undefined) || width === features + 1;
  if (features < 1) throw new DataError(`${t.file}:${t.lines[0]}: a row needs at least one feature and a label`);
  if (width !== features + (labelled ? 1 : 0)) {
    const expected = labelled ? `${features + 1} values (${features} features and a label)` : `${features} values`;
    throw new DataError(`${t.file}:${t.lines[0]}: expected ${expected}, found ${width}`);
  }
  for (const c of t.columns) {
    if (c.kind === "number") continue;
    const r = c.codes!.findIndex((code) => Number.isNaN(Number(c.categories![code])));
    const what = c.index === features ? "the label (last column) must be an integer" : `column ${c.index + 1} is not a number:`;
    throw new DataError(`${t.file}:${t.lines[Math.max(r, 0)]}: ${what} ${JSON.stringify(c.categories![c.codes![Math.max(r, 0)]])}`);
  }
  const schema: Schema = { columns: t.columns.slice(0, features).map((c) => ({ name: c.name })), label: labelled ? t.columns[features].name : "" };
  const { X, y } = encodeTable(t, schema, labelled ? "required" : "optional");
  checkValues(t, X, features, rules);
  let maxLabel = 0;
  const classLimit = rules.classes ?? MAX_CLASSES;
  for (let r = 0; labelled && r < t.rows; r++) {
    if (y[r] >= classLimit) throw new DataError(`${t.file}:${t.lines[r]}: the label (last column) must be an integer in 0..${classLimit - 1}, found "${y[r]}"`);
    maxLabel = Math.max(maxLabel, y[r]);
  }
  return { X, y, n: t.rows, features, classes: rules.classes ?? maxLabel + 1, labelled };
}

/** The rules' range and integer checks on every value, naming the line and column of the first that fails. */
function checkValues(t: CsvTable, X: Float32Array, features: number, rules: CsvRules): void {
  if (!rules.range && !rules.integerFeatures) return;
  const [lo, hi] = rules.range ?? [-Infinity, Infinity];
  for (let i = 0; i < X.length; i++) {
    const v = X[i];
    if (v >= lo && v <= hi && (!rules.integerFeatures || Number.isInteger(v))) continue;
    const where = `${t.file}:${t.lines[Math.floor(i / features)]}: column ${(i % features) + 1}`;
    throw new DataError(v >= lo && v <= hi ? `${where} must be an integer, found "${v}"` : `${where} is ${v}, outside ${lo}..${hi}`);
  }
}

/** The most bytes a table or IDX file may hold (plain, or after inflating): they are parsed as bytes, not text. */
export const MAX_DATA_BYTES = MAX_TEXT_BYTES;

/** A data set read from a table: its rows encoded by a schema, which a model keeps to encode later files alike. */
export interface TableDataset extends Dataset {
  readonly schema: Schema;
  /** Rows left out for a gap (missing "drop"). */
  readonly dropped: number;
}

export interface TableRules {
  /** Whether the first line names the columns: "auto" (default) decides from its cells. */
  header?: "auto" | "yes" | "no";
  /** The label column: its name, or its position from 1; the last column by default. */
  label?: string;
  /** A gap (empty, NA, ?): "error" (default) names its line and column; "drop" leaves its row out. */
  missing?: "error" | "drop";
  /** Encode by this schema (a trained model's) instead of making one from the file. */
  schema?: Schema;
  /** "optional": the label column may be absent (y is then 255 and labelled false); needs a schema. */
  labels?: "required" | "optional";
}

const TABLE_RULES: Table = {
  header: oneOf(["auto", "yes", "no"]),
  label: rule("a column name or position", (v) => typeof v === "string" && v !== ""),
  missing: oneOf(["error", "drop"]),
  schema: rule("a schema (a model's)", (v) => typeof v === "object" && v !== null && Array.isArray((v as Schema).columns)),
  labels: oneOf(["required", "optional"]),
};

/**
 * A CSV table as people have them (gzip too): a header or not, the label in any column, word labels (kept as
 * class names), word-valued features (one-hot encoded), quoted fields. See data/table.ts and data/schema.ts.
 */
export async function loadTable(source: ByteSource, rules: TableRules = {}): Promise<TableDataset> {
  checkByteSource("loadTable", "the source", source);
  checkOptions("loadTable", rules, TABLE_RULES);
  if (rules.labels === "optional" && !rules.schema) throw new UsageError('loadTable: labels "optional" needs a schema, to tell a label column from an input');
  const name = sourceName(source);
  return tableFromBytes(await readData(source, name), name, rules);
}

/** Parses inflated bytes as a table and encodes it (see loadTable). */
export function tableFromBytes(bytes: Uint8Array, name: string, rules: TableRules = {}): TableDataset {
  const t = parseTable(bytes, name, { header: rules.header, missing: rules.missing, maxBytes: MAX_DATA_BYTES, label: rules.label ?? rules.schema?.label });
  const schema = rules.schema ?? schemaOf(t, labelColumn(t, rules.label));
  const { X, y, labelled } = encodeTable(t, schema, rules.labels ?? "required");
  let classes = schema.classes?.length ?? 0;
  if (!schema.classes && labelled) for (let i = 0; i < y.length; i++) classes = Math.max(classes, y[i] + 1);
  return { X, y, n: t.rows, features: featureCount(schema), classes, labelled, schema, dropped: t.dropped, ...(schema.classes && { classNames: schema.classes }) };
}

/** A source's bytes, inflated when they are gzip (a local file named .gz must be). */
export async function readData(source: ByteSource, name: string): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await readBytes(source, (m) => new DataError(m), MAX_DATA_BYTES);
  if (isGzip(bytes)) return gunzip(bytes, name, MAX_DATA_BYTES);
  if (isLocalFile(source) && /\.gz$/i.test(name)) throw new DataError(`${name}: named .gz but is not gzip-compressed`);
  return bytes;
}

/**
 * Images of an IDX pair, as a data set: pixel values as they are (0..255 for MNIST's kin), as floats, or
 * with `pixels: "bytes"` as the bytes of the file (ImageDataset<Uint8Array>).
 */
export interface ImageDataset<X extends InputArray = Float32Array> extends Dataset<X> {
  readonly rows: number;
  readonly cols: number;
  /** With class names: the pixels as number columns and the names, for a model to keep. */
  readonly schema?: Schema;
}

/** How an IDX pair is read. */
export interface IdxOptions {
  /** The classes labels must fall in (max label + 1, at least 2, by default). */
  classes?: number;
  /** The classes' names (their number is the classes). */
  classNames?: readonly string[];
  /**
   * "float32" (default): X is a Float32Array of the pixel values. "bytes": X is the pixels as the file holds
   * them, a Uint8Array over the inflated file (no copy at all; MLP.fit, predict and evaluate take it as it is,
   * with the same results): a quarter of the memory, and no time spent converting.
   */
  pixels?: "float32" | "bytes";
}

type PixelsOf<O> = O extends { pixels?: infer P } ? P : undefined;
/** What an IDX load gives with options O: floats unless O says bytes (either, when O's type does not say which). */
type IdxResult<O> = "bytes" extends PixelsOf<O> ? ("float32" extends PixelsOf<O> ? ImageDataset<InputArray> : ImageDataset<Uint8Array>) : ImageDataset;
/** Options that say nothing of the pixels: floats. */
type Floats = IdxOptions & { pixels?: "float32" };

/**
 * An IDX images file (gzip or not) and its labels: `labels` given, or (a path) the labels file beside the
 * images (train-images-idx3-ubyte.gz -> train-labels-idx1-ubyte.gz, inflated or not).
 */
export async function loadIdx<O extends IdxOptions = Floats>(images: ByteSource, labels?: ByteSource, options: O = {} as O): Promise<IdxResult<O>> {
  checkByteSource("loadIdx", "the images", images);
  if (labels !== undefined) checkByteSource("loadIdx", "the labels", labels);
  const imagesName = sourceName(images);
  const labelsSource = labels ?? (await labelsBeside(images, imagesName));
  const labelsName = sourceName(labelsSource);
  // both files read (and inflated, on Node's thread pool) at once
  const [imageBytes, labelBytes] = await Promise.all([readData(images, imagesName), readData(labelsSource, labelsName)]);
  return idxFromBytes(imageBytes, imagesName, labelBytes, labelsName, options);
}

/** An IDX pair from inflated bytes (see loadIdx); with pixels "bytes", X is a view of `images`. */
export function idxFromBytes<O extends IdxOptions = Floats>(images: Uint8Array, imagesName: string, labels: Uint8Array, labelsName: string, options: O = {} as O): IdxResult<O> {
  const classes = options.classes ?? options.classNames?.length;
  const pair = readIdxPair(images, imagesName, labels, labelsName, classes);
  const { n, rows, cols, features, pixels } = pair.images;
  const named = options.classNames && { classNames: [...options.classNames], schema: pixelSchema(features, options.classNames) };
  const X = options.pixels === "bytes" ? pixels : Float32Array.from(pixels);
  return { X, y: pair.labels.slice(), n, features, classes: pair.classes, labelled: true, rows, cols, ...named } as IdxResult<O>;
}

/** The schema of images with named classes: every pixel a number column, in order. */
function pixelSchema(features: number, classes: readonly string[]): Schema {
  return { columns: Array.from({ length: features }, (_, i) => ({ name: `pixel ${i + 1}` })), label: "label", classes: [...classes] };
}

/** The labels file beside an images file, as labelsFileFor names it: the first candidate that exists. */
async function labelsBeside(images: ByteSource, name: string): Promise<ByteSource> {
  const candidates = typeof images === "string" || images instanceof URL ? labelsFileFor(name) : [];
  if (candidates.length === 0) throw new UsageError(`loadIdx: ${name}: give the labels file too (it cannot be found from this name)`);
  if (isLocalFile(images)) {
    const { access } = await nodeBuiltin<typeof import("node:fs/promises")>("node:fs/promises");
    for (const c of candidates) if (await access(c).then(() => true, () => false)) return c;
    throw new DataError(`${name}: no labels file beside it (looked for ${candidates.join(", ")}); give it with --labels FILE`);
  }
  return candidates[0];
}

/** Fashion-MNIST's ten classes (Zalando's names), in label order. */
export const FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"] as const;

/** Where Debian's dataset-fashion-mnist puts the IDX files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/**
 * Fashion-MNIST (60,000 training and 10,000 test images of 28x28, 10 classes) from its four IDX files in
 * `dir` (default: $FASHION_MNIST_DIR, else Debian's package's folder); `pixels` as loadIdx's.
 */
export async function loadFashionMnist<P extends "float32" | "bytes" = "float32">(dir?: string, options: { pixels?: P } = {}): Promise<{ train: IdxResult<{ pixels: P }>; test: IdxResult<{ pixels: P }> }> {
  const folder = dir ?? (isNode ? process.env.FASHION_MNIST_DIR : undefined) ?? FASHION_MNIST_DIR;
  const file = (part: string) => `${folder}/${part}-idx${part.includes("images") ? 3 : 1}-ubyte.gz`;
  const idx = { classNames: FASHION_CLASSES, pixels: options.pixels ?? "float32" } as { classNames: readonly string[]; pixels: P };
  try {
    const [train, test] = await Promise.all([
      loadIdx(file("train-images"), file("train-labels"), idx),
      loadIdx(file("t10k-images"), file("t10k-labels"), idx),
    ]);
    return { train, test };
  } catch (e) {
    if (e instanceof DataError && /no such file/.test(e.message)) {
      throw new DataError(`Fashion-MNIST is not in ${folder} (${e.message}); install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or set FASHION_MNIST_DIR to a folder holding its four IDX files`);
    }
    throw e;
  }
}

export interface FileRules extends TableRules {
  /** An IDX images file's labels (by default the labels file beside it). */
  labelsFile?: ByteSource;
  /** IDX: the classes (and their names) labels must fall in, e.g. the training set's for held-out data. */
  classes?: number;
  classNames?: readonly string[];
  /** IDX: the pixels as floats (default) or as the file's bytes (see IdxOptions). */
  pixels?: "float32" | "bytes";
}

/** A data file by its content: an IDX images file (its magic number) with its labels, or else a CSV table. */
export async function loadFile<R extends FileRules = FileRules & Floats>(source: ByteSource, rules: R = {} as R): Promise<TableDataset | IdxResult<R>> {
  checkByteSource("loadFile", "the source", source);
  const name = sourceName(source);
  const bytes = await readData(source, name);
  if (!isIdx(bytes)) {
    const { header, label, missing, schema, labels } = rules;
    return tableFromBytes(bytes, name, { header, label, missing, schema, labels });
  }
  const labels = rules.labelsFile ?? (await labelsBeside(source, name));
  const labelsName = sourceName(labels);
  return idxFromBytes(bytes, name, await readData(labels, labelsName), labelsName, { classes: rules.classes, classNames: rules.classNames, pixels: rules.pixels }) as IdxResult<R>;
}
