// Loading data sets: the bundled digits, or a user's CSV, from a path, URL or bytes.

import { readBytes, type ByteSource } from "./bytes.js";
import { decodeText, DIGITS_RULES, MAX_TEXT_BYTES, parseCsv, type CsvRules, type Dataset } from "./csv.js";
import { DataError } from "./errors.js";

export type { Dataset } from "./csv.js";

/** The digits file shipped in data/ (src/ and dist/ are both siblings of data/). */
export const DIGITS_URL = new URL("../data/digits.csv.gz", import.meta.url);

/** The 1797 8×8 digits (pixels 0..16, labels 0..9). In a browser, pass bytes or a URL. */
export function loadDigits(source: ByteSource = DIGITS_URL): Promise<Dataset> {
  return loadCsv(source, DIGITS_RULES);
}

/** Any numeric CSV (optionally gzip) whose last column is an integer class label. */
export async function loadCsv(source: ByteSource, rules: CsvRules = {}): Promise<Dataset> {
  const name = sourceName(source);
  const bytes = await readBytes(source, (m) => new DataError(m), MAX_TEXT_BYTES);
  return parseCsv(await decodeText(bytes, name), name, rules);
}

function sourceName(source: ByteSource): string {
  if (source instanceof URL) return source.protocol === "file:" ? decodeURIComponent(source.pathname) : source.href;
  if (typeof source === "string") return source;
  return "(bytes)";
}
