// Reads a numeric CSV whose last column is an integer class label: digits.csv.gz, or a user's own file.
// Works on bytes, so the same code runs in Node and in browsers; gzip is recognised by its magic bytes.

import { DataError } from "../errors.js";
import { isNode, nodeBuiltin } from "../bytes.js";

/** The arrays inputs come in: numbers (Float32Array), or pixels as bytes (an IDX file's, kept as they are). */
export type InputArray = Float32Array | Uint8Array;

export interface Dataset<X extends InputArray = Float32Array> {
  /** Row-major features, n × features. */
  readonly X: X;
  /** Class labels, 0 .. classes-1. */
  readonly y: Uint8Array;
  readonly n: number;
  readonly features: number;
  readonly classes: number;
  /** False when labels were optional and the file has none (every y is NO_LABEL). */
  readonly labelled?: boolean;
  /** The classes' names when the labels were words (class i is classNames[i]). */
  readonly classNames?: readonly string[];
}

export interface CsvRules {
  /** Exact number of feature columns; taken from the first row when absent. */
  features?: number;
  /** Inclusive range every feature must lie in. */
  range?: readonly [number, number];
  /** Exact number of classes (labels must be below it); max label + 1 when absent. */
  classes?: number;
  /** Features must be integers (digits pixels are counts). */
  integerFeatures?: boolean;
  /** "optional": rows may leave out the label column (needs `features`); such rows get label 255. */
  labels?: "required" | "optional";
}

/** The label given to rows without one when labels are optional. */
export const NO_LABEL = 255;

const MiB = 1024 * 1024;
/**
 * The most CSV text the loader reads (plain, or after inflating): the text becomes one JS string, and V8
 * cannot make strings much over 512 MiB; a clear refusal beats running out of memory half-way.
 */
export const MAX_TEXT_BYTES = 256 * MiB;

/** The rules the digits file obeys: 64 integer pixels in 0..16 and a label in 0..9. */
export const DIGITS_RULES: CsvRules = { features: 64, range: [0, 16], classes: 10, integerFeatures: true };

/** Labels are bytes, and 255 marks a row without one. */
export const MAX_CLASSES = 255;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates gzip, refusing more than maxBytes: in Node with zlib (see inflateNode), elsewhere with the
 * platform's DecompressionStream (every current browser); `progress` hears the bytes inflated so far after
 * each chunk (a page's progress line; in Node once, at the end).
 */
export async function gunzip(bytes: Uint8Array<ArrayBuffer>, file: string, maxBytes = MAX_TEXT_BYTES, progress?: (inflated: number) => void): Promise<Uint8Array<ArrayBuffer>> {
  if (isNode) {
    const out = await inflateNode(bytes, file, maxBytes);
    progress?.(out.length);
    return out;
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      // stop inflating as soon as the text could not be held, rather than after running out of memory
      if (total > maxBytes) {
        await reader.cancel();
        throw new DataError(`${file}: inflates to more than the ${maxBytes / MiB} MiB limit for data files`);
      }
      chunks.push(value);
      progress?.(total);
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${file}: not a valid gzip file (${(e as Error).message || "corrupt or truncated"})`);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.byteLength; }
  return out;
}

/**
 * zlib's gunzip on a thread of Node's pool (so that two files inflate at once), into one buffer sized from
 * the gzip trailer's ISIZE (the inflated size, mod 2^32): no chunks to join, nothing copied. Node's
 * DecompressionStream is the same zlib behind a stream of small chunks, and takes 2.5-3 times as long (on
 * Fashion-MNIST's 26 MB of training images, ~420 ms against ~150 ms). A trailer that lies only costs the
 * chunks being joined; the limit holds whatever it says.
 */
async function inflateNode(bytes: Uint8Array, file: string, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const zlib = await nodeBuiltin<typeof import("node:zlib")>("node:zlib");
  const n = bytes.length, isize = n >= 18 ? new DataView(bytes.buffer, bytes.byteOffset + n - 4, 4).getUint32(0, true) : 0;
  const limit = Math.min(maxBytes, 2 ** 32);
  // one more byte than the output, so zlib never finds its buffer full and starts another
  const options = { chunkSize: Math.max(64 * 1024, Math.min(isize, limit) + 1), maxOutputLength: limit };
  try {
    const out = await new Promise<Uint8Array>((resolve, reject) => zlib.gunzip(bytes, options, (e, r) => (e ? reject(e) : resolve(r))));
    // a small output may sit in Node's shared pool of Buffer memory: a copy of its own then
    return out.byteLength < 65536 ? new Uint8Array(out) : new Uint8Array(out.buffer as ArrayBuffer, out.byteOffset, out.byteLength);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw new DataError(`${file}: inflates to more than the ${maxBytes / MiB} MiB limit for data files`);
    throw new DataError(`${file}: not a valid gzip file (${(e as Error).message || "corrupt or truncated"})`);
  }
}

/**
 * Decodes bytes (gzip or plain) to text. A local file named .gz must really be gzip; a fetched one need not
 * be, since a server that sends it with `Content-Encoding: gzip` (Vite's dev server and `vite preview` do)
 * has fetch() inflate it on the way.
 */
export async function decodeText(bytes: Uint8Array<ArrayBuffer>, file: string, local = true): Promise<string> {
  if (isGzip(bytes)) bytes = await gunzip(bytes, file);
  else if (local && /\.gz$/i.test(file)) throw new DataError(`${file}: named .gz but is not gzip-compressed`);
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}

/** Parses CSV text into a Dataset; every problem is a DataError naming the file and line. */
export function parseCsv(text: string, file: string, rules: CsvRules = {}): Dataset {
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1].trim() === "") lines.pop();
  if (lines.length === 0) throw new DataError(`${file}: the file is empty`);

  let first = 0;
  if (looksLikeHeader(lines[0])) first = 1;
  const rows = lines.length - first;
  if (rows === 0) throw new DataError(`${file}: has a header line but no data rows`);

  const width = lines[first].split(",").length;
  const features = rules.features ?? width - 1;
  const optional = rules.labels === "optional" && rules.features !== undefined;
  const labelled = !optional || width === features + 1;
  if (features < 1) throw new DataError(`${file}:${first + 1}: a row needs at least one feature and a label`);
  const X = new Float32Array(rows * features);
  const y = new Uint8Array(rows);
  const [lo, hi] = rules.range ?? [-Infinity, Infinity];
  const classLimit = rules.classes ?? MAX_CLASSES;
  let maxLabel = 0;

  for (let r = 0; r < rows; r++) {
    const lineNo = first + r + 1;
    const where = `${file}:${lineNo}`;
    const cells = lines[first + r].split(",");
    if (cells.length !== features + (labelled ? 1 : 0)) {
      const expected = labelled ? `${features + 1} values (${features} features and a label)` : `${features} values`;
      throw new DataError(`${where}: expected ${expected}, found ${cells.length}`);
    }
    for (let c = 0; c < features; c++) {
      const v = parseNumber(cells[c]);
      if (v === undefined) throw new DataError(`${where}: column ${c + 1} is not a number: ${show(cells[c])}`);
      if (!Number.isFinite(v)) throw new DataError(`${where}: column ${c + 1} is not finite: ${show(cells[c])}`);
      if (!Number.isFinite(Math.fround(v))) throw new DataError(`${where}: column ${c + 1} is ${v}, beyond the range of 32-bit floats`);
      if (rules.integerFeatures && !Number.isInteger(v)) {
        throw new DataError(`${where}: column ${c + 1} must be an integer, found ${show(cells[c])}`);
      }
      if (v < lo || v > hi) throw new DataError(`${where}: column ${c + 1} is ${v}, outside ${lo}..${hi}`);
      X[r * features + c] = v;
    }
    if (!labelled) {
      y[r] = NO_LABEL;
      continue;
    }
    const label = parseNumber(cells[features]);
    if (label === undefined || !Number.isInteger(label) || label < 0 || label >= classLimit) {
      const allowed = rules.classes ? `0..${rules.classes - 1}` : `0..${MAX_CLASSES - 1}`;
      throw new DataError(`${where}: the label (last column) must be an integer in ${allowed}, found ${show(cells[features])}`);
    }
    y[r] = label;
    if (label > maxLabel) maxLabel = label;
  }
  return { X, y, n: rows, features, classes: rules.classes ?? maxLabel + 1, labelled };
}

function parseNumber(cell: string): number | undefined {
  const s = cell.trim();
  if (s === "" || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(Infinity|inf)$|^NaN$/i.test(s)) return undefined;
  if (/^nan$/i.test(s)) return NaN;
  if (/inf/i.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  return Number(s);
}

/** A first line is a header when none of its cells is a number (a row with one bad cell is an error). */
function looksLikeHeader(line: string): boolean {
  return line.split(",").every((c) => parseNumber(c) === undefined && c.trim() !== "");
}

function show(cell: string): string {
  const s = cell.trim();
  return s === "" ? "(empty)" : JSON.stringify(s.length > 20 ? s.slice(0, 20) + "…" : s);
}
