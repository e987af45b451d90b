// Loading data sets: the bundled digits, or a user's CSV, from a path, URL, Response or bytes.

import { checkByteSource, isLocalFile, fromBase64, readBytes, sourceName, type ByteSource } from "../bytes.js";
import { decodeText, DIGITS_RULES, MAX_TEXT_BYTES, parseCsv, type CsvRules, type Dataset } from "./csv.js";
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

/** Any numeric CSV (optionally gzip) whose last column is an integer class label. */
export async function loadCsv(source: ByteSource, rules: CsvRules = {}): Promise<Dataset> {
  checkByteSource("loadCsv", "the source", source);
  checkOptions("loadCsv", rules, CSV_RULES);
  if (rules.labels === "optional" && rules.features === undefined) {
    throw new UsageError('loadCsv: labels "optional" needs features (the number of feature columns), to tell a label column from a feature');
  }
  const name = sourceName(source);
  const bytes = await readBytes(source, (m) => new DataError(m), MAX_TEXT_BYTES);
  return parseCsv(await decodeText(bytes, name, isLocalFile(source)), name, rules);
}
