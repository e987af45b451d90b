// What the columns of a table mean to a model: which column is the label, which are numbers (one input
// each) and which are words (categories, one-hot encoded: one input per category), and the class names
// when labels are words. A schema is made from the training table and kept with the model, so a file given
// to predict later is encoded the same way, by column name where it has a header.
//
// Categories and class names are sorted (code-point order), so a class's index does not depend on the order
// in which rows happen to come: a second file (held-out data, new rows to predict) agrees with the first.

import { DataError } from "../errors.js";
import { rowMajor, type Column, type Table } from "./table.js";

/** An input column: a number, or a word from `categories` (one-hot: one input per category, in that order). */
export interface FeatureColumn {
  readonly name: string;
  readonly categories?: readonly string[];
}

export interface Schema {
  /** The input columns, in the training file's order, the label column left out. */
  readonly columns: readonly FeatureColumn[];
  /** The label column's name. */
  readonly label: string;
  /** Class names when the labels are words (class i is classes[i]); absent when a label is its class number. */
  readonly classes?: readonly string[];
  /** Regression: the target columns' names (output j is targets[j]; `label` is the first). */
  readonly targets?: readonly string[];
}

/** Labels are bytes, and 255 marks a row without one. */
const MAX_CLASSES = 255;

/** The model inputs a schema makes: one per number column, one per category of a word column. */
export function featureCount(s: Schema): number {
  return s.columns.reduce((n, c) => n + (c.categories ? c.categories.length : 1), 0);
}

/** The table's column that `label` names: a header name, a 1-based position, or (undefined) the last column. */
export function labelColumn(t: Table, label: string | undefined): number {
  if (label === undefined) return t.columns.length - 1;
  const byName = t.names.indexOf(label);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(label) && Number(label) >= 1 && Number(label) <= t.columns.length) return Number(label) - 1;
  const names = t.header ? `its columns are ${t.names.map((n) => JSON.stringify(n)).join(", ")}` : `it has no header line, so name the column by position (1 to ${t.columns.length})`;
  throw new DataError(`${t.file}: no label column ${JSON.stringify(label)}: ${names}`);
}

/** The schema a training table defines, with its label in column `label` (0-based). */
export function schemaOf(t: Table, label: number): Schema {
  if (t.columns.length < 2) throw new DataError(`${t.file}: a row needs at least one feature and a label, and this file has ${t.columns.length} column`);
  const features = t.columns.filter((_, i) => i !== label);
  for (const c of features) if (c.kind === "category") refuseMixed(t, c);
  const columns = features.map((c) => (c.kind === "number" ? { name: c.name } : { name: c.name, categories: sorted(c.categories!) }));
  const l = t.columns[label];
  if (l.kind === "category") {
    const classes = sorted(l.categories!);
    if (classes.length > MAX_CLASSES) throw new DataError(`${t.file}: the label column ${JSON.stringify(l.name)} holds ${classes.length} different words; at most ${MAX_CLASSES} classes are possible`);
    return { columns, label: l.name, classes };
  }
  const values = l.values!;
  for (let r = 0; r < t.rows; r++) {
    const v = values[r];
    if (!(Number.isInteger(v) && v >= 0 && v < MAX_CLASSES)) {
      throw new DataError(`${t.file}:${t.lines[r]}: the label (column ${JSON.stringify(l.name)}) must be a word or an integer class number in 0..${MAX_CLASSES - 1}, found "${v}"`);
    }
  }
  return { columns, label: l.name };
}

/**
 * A table's rows as model inputs X (rows × featureCount, row-major) and labels y, by the schema. Columns are
 * matched by name when the table has a header, else by position. Without the label column (`labels`
 * "optional"), y is all 255 and `labelled` false. A word the schema does not know is a DataError naming the
 * row and column.
 */
export function encodeTable(t: Table, s: Schema, labels: "required" | "optional" = "required"): { X: Float32Array; y: Uint8Array; labelled: boolean } {
  const find = findColumns(t, s, labels);
  const F = featureCount(s), X = inputsAsRead(t, s, find.features) ?? encodeInputs(t, s, find.features, F);
  const y = new Uint8Array(t.rows).fill(255);
  if (!find.label) return { X, y, labelled: false };
  if (s.classes) y.set(categoryCodes(t, find.label, s.classes, "label"));
  else y.set(classNumbers(t, find.label));
  return { X, y, labelled: true };
}

/**
 * The inputs as the parser stored them (see rowMajor), when the schema takes exactly those columns, as
 * numbers and in their order: nothing to copy.
 */
function inputsAsRead(t: Table, s: Schema, features: Column[]): Float32Array | undefined {
  const m = rowMajor(t);
  if (!m || m.taken || s.columns.some((fc) => fc.categories)) return undefined;
  const k = m.apart, width = t.columns.length - (k >= 0 ? 1 : 0);
  if (features.length !== width || !features.every((c, i) => c.index === (k >= 0 && i >= k ? i + 1 : i))) return undefined;
  m.taken = true;
  return m.X;
}

/** The inputs by the schema: number columns as they are, word columns one-hot. */
function encodeInputs(t: Table, s: Schema, features: Column[], F: number): Float32Array {
  const X = new Float32Array(t.rows * F);
  let offset = 0;
  // number columns in blocks of rows, so the rows being written stay in cache while each column is read
  const numbers: { values: Float32Array; at: number }[] = [];
  s.columns.forEach((fc, i) => {
    const c = features[i];
    if (fc.categories) {
      const codes = categoryCodes(t, c, fc.categories, "column");
      for (let r = 0; r < t.rows; r++) X[r * F + offset + codes[r]] = 1;
      offset += fc.categories.length;
    } else {
      if (c.kind !== "number") throw new DataError(`${t.file}: column ${JSON.stringify(c.name)} holds words (e.g. ${JSON.stringify(c.categories![0])}), where the model was trained on numbers`);
      numbers.push({ values: c.values!, at: offset });
      offset += 1;
    }
  });
  const BLOCK = 64;
  for (let r0 = 0; r0 < t.rows; r0 += BLOCK) {
    const r1 = Math.min(t.rows, r0 + BLOCK);
    for (const { values, at } of numbers) for (let r = r0; r < r1; r++) X[r * F + at] = values[r];
  }
  return X;
}

/**
 * The table's columns in the schema's order (and its label column, when present): by name when the table
 * has a header, or when it has none but the names the training file had then ("column k": the same layout);
 * otherwise by position, the inputs first and the label, if any, last.
 */
function findColumns(t: Table, s: Schema, labels: "required" | "optional"): { features: Column[]; label: Column | undefined } {
  const want = s.columns.length;
  // the first column of each name (a Map: Fashion-MNIST's 785 columns by find() were 600,000 comparisons)
  const named = new Map<string, Column>();
  for (const c of t.columns) if (!named.has(c.name)) named.set(c.name, c);
  const byName = (name: string) => named.get(name);
  const missing = s.columns.map((c) => c.name).filter((n) => !byName(n));
  if (t.header || missing.length === 0) {
    if (missing.length) throw new DataError(`${t.file}: no column named ${missing.map((n) => JSON.stringify(n)).join(", ")}, which the model takes as input`);
    const label = byName(s.label);
    if (!label && labels === "required") throw new DataError(`${t.file}: no label column ${JSON.stringify(s.label)}`);
    return { features: s.columns.map((c) => byName(c.name)!), label };
  }
  if (t.columns.length === want && labels === "optional") return { features: t.columns, label: undefined };
  if (t.columns.length !== want + 1) {
    throw new DataError(`${t.file}: ${t.columns.length} columns, where the model takes ${want} inputs${labels === "required" ? " and a label" : " (and optionally a label)"}`);
  }
  return { features: t.columns.slice(0, want), label: t.columns[want] };
}

/** Each row's index in `known`, from a word column (or a number column, by its text). */
function categoryCodes(t: Table, c: Column, known: readonly string[], what: "column" | "label"): Int32Array {
  const words = c.kind === "category" ? c.categories! : undefined;
  const index = new Map(known.map((k, i) => [k, i]));
  const out = new Int32Array(t.rows);
  for (let r = 0; r < t.rows; r++) {
    const word = words ? words[c.codes![r]] : String(c.values![r]);
    const i = index.get(word);
    if (i === undefined) {
      const list = known.length <= 12 ? known.map((k) => JSON.stringify(k)).join(", ") : `${known.length} of them`;
      throw new DataError(`${t.file}:${t.lines[r]}: ${what} ${JSON.stringify(c.name)}: ${JSON.stringify(word)} is not among the ${what === "label" ? "classes" : "categories"} the model was trained on (${list})`);
    }
    out[r] = i;
  }
  return out;
}

/** Labels that are class numbers. */
function classNumbers(t: Table, c: Column): Uint8Array {
  if (c.kind !== "number") throw new DataError(`${t.file}: the label column ${JSON.stringify(c.name)} holds words (e.g. ${JSON.stringify(c.categories![0])}), where the model's classes are numbers`);
  const out = new Uint8Array(t.rows);
  for (let r = 0; r < t.rows; r++) {
    const v = c.values![r];
    if (!(Number.isInteger(v) && v >= 0 && v < MAX_CLASSES)) throw new DataError(`${t.file}:${t.lines[r]}: the label must be an integer class number, found "${v}"`);
    out[r] = v;
  }
  return out;
}

/**
 * A feature column of words that also holds numbers is more likely a typo in a numeric column ("six" among
 * 3s and 4s) than categories: refuse it, naming the first word.
 */
function refuseMixed(t: Table, c: Column): void {
  const isNumber = (w: string) => /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(w);
  const words = c.categories!;
  if (!words.some(isNumber) || words.every(isNumber)) return;
  const r = c.codes!.findIndex((code) => !isNumber(words[code]));
  throw new DataError(`${t.file}:${t.lines[r]}: column ${JSON.stringify(c.name)} (column ${c.index + 1}) holds numbers and the word ${JSON.stringify(words[c.codes![r]])}: a feature column must be all numbers, or all words (categories)`);
}

function sorted(words: readonly string[]): string[] {
  return [...words].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The schema of a regression table: every column but the targets (0-based `targets`, each a number column) is
 * an input; `label` is the first target's name and `targets` all their names.
 */
export function regressionSchemaOf(t: Table, targets: readonly number[]): Schema {
  if (t.columns.length <= targets.length) throw new DataError(`${t.file}: a row needs at least one input besides the ${targets.length} target column${targets.length > 1 ? "s" : ""}, and this file has ${t.columns.length} column${t.columns.length > 1 ? "s" : ""}`);
  if (new Set(targets).size !== targets.length) throw new DataError(`${t.file}: a target column is named twice`);
  for (const i of targets) {
    const c = t.columns[i];
    if (c.kind !== "number") throw new DataError(`${t.file}: the target column ${JSON.stringify(c.name)} holds words (e.g. ${JSON.stringify(c.categories!.find((w) => Number.isNaN(Number(w))) ?? c.categories![0])}); regression targets must be numbers`);
  }
  const features = t.columns.filter((c) => !targets.includes(c.index));
  for (const c of features) if (c.kind === "category") refuseMixed(t, c);
  const columns = features.map((c) => (c.kind === "number" ? { name: c.name } : { name: c.name, categories: sorted(c.categories!) }));
  const names = targets.map((i) => t.columns[i].name);
  return { columns, label: names[0], targets: names };
}

/**
 * A table's rows as regression inputs X (by the schema, as encodeTable) and targets y (rows × targets, by
 * name; none when the table has none of the target columns and `labels` is "optional").
 */
export function encodeRegression(t: Table, s: Schema, labels: "required" | "optional" = "required"): { X: Float32Array; y: Float32Array; labelled: boolean } {
  const names = s.targets ?? [s.label];
  const byName = (name: string) => t.columns.find((c) => c.name === name);
  let found = names.map(byName);
  // a file without a header and with the training file's layout: the targets are the columns after the inputs
  if (!t.header && found.some((c) => !c) && t.columns.length === featureCount(s) + names.length) found = t.columns.slice(featureCount(s));
  const X = encodeTable(t, { columns: s.columns, label: "\u0000" }, "optional").X;
  if (found.every((c) => !c) && labels === "optional") return { X, y: new Float32Array(0), labelled: false };
  const N = names.length, y = new Float32Array(t.rows * N);
  found.forEach((c, j) => {
    if (!c) throw new DataError(`${t.file}: no target column ${JSON.stringify(names[j])}`);
    if (c.kind !== "number") throw new DataError(`${t.file}: the target column ${JSON.stringify(c.name)} holds words (e.g. ${JSON.stringify(c.categories!.find((w) => Number.isNaN(Number(w))) ?? c.categories![0])}); regression targets must be numbers`);
    for (let r = 0; r < t.rows; r++) y[r * N + j] = c.values![r];
  });
  return { X, y, labelled: true };
}
