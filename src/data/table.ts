// Reads a general CSV table from bytes: a header or not, numeric and word-valued columns, RFC 4180 quoting,
// gaps. Runs in Node and in browsers (no node: imports); the bytes must already be inflated.
//
// Speed: one byte-level pass, no String and no regular expression per cell. A cell of 1-3 digits ended by
// a comma or LF (most of an image file) is taken apart from one 32-bit read, with no branch per byte. Any
// other plain decimal (at most 15-16 significant digits, exponent within ±22 once the point is accounted
// for) is parsed from the bytes by a loop. While every cell is such a number and every row has line 1's
// width (the common all-number table), a fast path (fastRows) stores the rows row-major in one array, the
// label column (TableOptions.label) apart, so that the inputs need no second copy (rowMajor, encodeTable);
// at the first row that is anything else, the general scanner takes over from that row, the rows so far
// copied into its columns (one Float32Array per column). Everything else (quotes, words, gaps, long
// mantissas, big exponents) takes a slower path on that cell alone. A word is matched by its bytes against the column's first 32 categories before it is
// decoded. Numbers are exact: every stored value is Math.fround(Number(text)), i.e. rounded to f64 and then
// to f32, as the rest of the code base does, and not the f32 nearest the decimal itself: they differ only
// for a decimal within an f64 ulp of a midpoint between two f32s. The loop is Clinger's fast path: an
// integer mantissa below 2^53 times or divided by an exact power of ten up to 1e22 is one correctly rounded
// IEEE operation, so it equals Number(text). The slow path calls Number() on the cell's few characters.
//
// Decisions:
// - Fields are split on commas; a field whose first non-blank character is `"` is quoted (RFC 4180: commas,
//   line breaks and doubled quotes `""` inside). A quote in the middle of an unquoted field is kept as text
//   (5'3"). Text after a closing quote other than blanks is an error. Blanks (space, tab) around every field
//   are trimmed, inside quotes too; a quoted field is otherwise read like an unquoted one ("5.1" is a number,
//   "NA" a gap).
// - Lines end in LF, CRLF or a lone CR. A UTF-8 byte-order mark is skipped. Blank lines (nothing but blanks)
//   are skipped wherever they are, so trailing ones are ignored. Line numbers in messages are 1-based
//   physical lines: a quoted field that spans lines counts them. A cell's problem names the line the cell
//   starts on; a row's wrong width names the line the row starts on.
// - Gaps: an empty field, `NA`, `N/A`, `n/a`, `?`, and `nan` in any case with an optional sign (`NaN`,
//   `-nan`). `NA` is matched exactly, not in any case, so the element "Na" stays a word.
// - A column is "number" when every non-gap cell is a number: `[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?`, as
//   src/data/csv.ts accepts. Otherwise it is "category": codes index `categories`, the distinct cell texts in
//   order of first appearance among the rows returned. No gap survives either option (an error, or its row
//   dropped), so values hold no NaN and codes no -1. A number-looking cell in a category column keeps its text
//   ("1.0" stays "1.0"). A numeric column holding `inf`, `Infinity` (any case, signed) or a number beyond
//   the 32-bit float range is an error; in a category column such a cell is just a word.
// - Header, with header "auto": line 1 is a header when (b) some column whose line-1 cell is a word (not a
//   number, not a gap) holds numbers, and nothing but numbers and gaps, on every later line; or (a) every
//   line-1 cell is a word or empty (at least one a word) and the file has more lines. A one-line file of
//   words is a header without data, an error. "yes"/"no" force it. Names are the header's cell texts (an
//   empty one becomes "column k"); without a header they are "column 1", "column 2", ... Duplicate names
//   are kept as they are.
// - Errors are DataErrors of one line, `${file}:${line}: ...`. A wrong field count or an unterminated quote
//   is reported as soon as it is met; bad numbers and gaps (missing "error") only once the whole file is read
//   (a column's kind, and whether line 1 is data, are known only then), the earliest by line then column.
// - maxBytes (default 1 GiB) refuses larger inputs up front; gzip bytes are refused with a hint to inflate.
//   Storage is about 4 bytes per cell: the fast path's for as many rows as the bytes could hold (memory never
//   written costs nothing), the general scanner's from a count of the line ends.

import { DataError } from "../errors.js";

export type ColumnKind = "number" | "category";

export interface Column {
  name: string;
  kind: ColumnKind;
  /** 0-based position of the column in the file. */
  index: number;
  /** number columns: one value per row, rounded to f32. */
  values?: Float32Array;
  /** category columns: one index into `categories` per row. */
  codes?: Int32Array;
  /** category columns: the distinct cell texts, in order of first appearance. */
  categories?: string[];
}

export interface Table {
  file: string;
  /** Whether line 1 (the first non-blank line) was taken as a header. */
  header: boolean;
  names: string[];
  rows: number;
  /** Each row's line in the file (1-based, the line the row starts on), for messages about a row. */
  lines: Int32Array;
  columns: Column[];
  /** Rows dropped because they had a gap (missing "drop"); 0 otherwise. */
  dropped: number;
}

export interface TableOptions {
  /** "auto" (default): see the header rule above. */
  header?: "auto" | "yes" | "no";
  /** "error" (default): a gap is a DataError naming its line and column; "drop": rows with a gap are left out. */
  missing?: "error" | "drop";
  /** The largest input accepted, in bytes (default 1 GiB). */
  maxBytes?: number;
  /**
   * The column that is probably the label (its line-1 name or its position from 1; the last by default, none
   * when it names no column). Only speed depends on it: an all-number table keeps the other columns row-major,
   * so that encoding them as inputs (encodeTable) copies nothing.
   */
  label?: string;
}

const MiB = 1024 * 1024;
export const DEFAULT_MAX_BYTES = 1024 * MiB;

const TAB = 9, LF = 10, CR = 13, SPACE = 32, QUOTE = 34, PLUS = 43, COMMA = 44, MINUS = 45, DOT = 46;
const ZERO = 48, NINE = 57, UPPER_E = 69, LOWER_E = 101;
const TWO_53 = 9007199254740992;
/** 1e0 .. 1e22: every one an exact double. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

// What a cell holds.
const NUM = 0, GAP = 1, TEXT = 2, INFINITE = 3, HUGE = 4;

/** Where the slow path left the last cell it scanned. */
interface Cell {
  /** Content range, trimmed, quotes excluded. */
  s: number;
  e: number;
  /** The content holds doubled quotes. */
  esc: boolean;
  /** The line the cell starts on, and the running line after it. */
  start: number;
  line: number;
  /** The number, when classify() said NUM or HUGE. */
  num: number;
}

interface FirstCell {
  text: string;
  cls: number;
  num: number;
  line: number;
  /** Nothing but blanks, or "". */
  empty: boolean;
}

/** A problem found in a cell, reported once the file has been read. */
interface Pending {
  line: number;
  col: number;
  /** The message after `${file}:${line}: column "name" (column k) `. */
  what: string;
}

/**
 * Parses CSV bytes into a Table; every problem in the data is a DataError naming the file and line. `fast`
 * false reads every row with the general scanner (the same table, slower: the tests compare the two).
 */
export function parseTable(bytes: Uint8Array, file: string, opts: TableOptions = {}, fast = true): Table {
  const { header: headerOpt = "auto", missing = "error", maxBytes = DEFAULT_MAX_BYTES } = opts;
  checkInput(bytes, file, headerOpt, missing, maxBytes);
  const first = readFirstLine(bytes, file), width = first.cells.length;
  // the rows, slot 0 being line 1 whatever it turns out to be: the fast path's as many as there could be (a
  // row of numbers takes at least 2 bytes a cell; memory never written costs nothing), the general scanner's
  // from a count of the line ends
  const m = new Matrix(width, apartColumn(opts.label, first.cells), Math.floor((bytes.length - first.end + 1) / (2 * width)) + 2, first.line, first.next);
  const p = fast ? fastRows(bytes, m, first.end) : first.end;
  const scan = () => new Scan(bytes, file, width, first.line, m.rows + countLineEnds(bytes, p) + 1, m);
  let sc: Scan | undefined;
  if (p < bytes.length) {
    sc = scan();
    sc.run(p, m.line);
  }
  const header = isHeader(headerOpt, first.cells, sc ?? m);
  if (header && (sc ?? m).rows === 1) throw new DataError(`${file}: has a header line but no data rows`);
  const names = first.cells.map((f, c) => (header && f.text !== "" ? f.text : `column ${c + 1}`));
  if (!sc && (header || first.cells.every((f) => f.cls === NUM))) return matrixTable(file, header, names, m, first.cells);
  return scanTable(sc ?? scan(), first, header, names, missing === "error");
}

/** The table the general scanner read (or, once it takes them over, the fast path's rows). */
function scanTable(sc: Scan, first: { cells: FirstCell[]; end: number; next: number }, header: boolean, names: string[], gapsAreErrors: boolean): Table {
  // a word on line 1 over a column of numbers makes it a category column, when line 1 is data
  if (!header) for (let c = 0; c < sc.width; c++) if (first.cells[c].cls === TEXT && !sc.cat[c]) sc.toCategory(c, sc.rows);
  if (sc.mixed.includes(1)) sc.rescan(first.end, first.next);
  const pending = header ? [] : sc.takeFirstLine(first.cells, gapsAreErrors);
  throwFirstProblem(sc.file, names, sc, pending, gapsAreErrors);

  const start = header ? 1 : 0;
  const kept = gapsAreErrors ? sc.rows - start : sc.dropGaps(start);
  const columns: Column[] = names.map((name, c) => {
    if (!sc.cat[c]) return { name, kind: "number", index: c, values: trim(sc.vals[c], start, kept) };
    const codes = trim(sc.codes[c], start, kept);
    return { name, kind: "category", index: c, codes, categories: renumber(codes, sc.words[c].list) };
  });
  return { file: sc.file, header, names, rows: kept, lines: sc.lineOf.slice(start, start + kept), columns, dropped: sc.rows - start - kept };
}

/**
 * The table whose every row after line 1 the fast path took (and line 1 is a header, or numbers too): no gap,
 * no word. Its number columns are read out of the row-major matrix when first asked for; encodeTable takes
 * the matrix itself as the inputs when they are the columns but the label, in order (see rowMajor).
 */
function matrixTable(file: string, header: boolean, names: string[], m: Matrix, cells: FirstCell[]): Table {
  if (!header) m.setFirst(cells);
  const start = header ? 1 : 0, rows = m.rows - start;
  const columns = names.map((name, index): Column => {
    if (index === m.k) return { name, kind: "number", index, values: trim(m.apart, start, rows) };
    const col = { name, kind: "number", index } as Column;
    // read out on first use, then an ordinary property
    const values = () => Object.defineProperty(col, "values", { value: m.column(index, start, rows), enumerable: true, writable: true, configurable: true }).values!;
    return Object.defineProperty(col, "values", { get: values, enumerable: true, configurable: true });
  });
  const t: Table = { file, header, names, rows, lines: m.lineOf.slice(start, start + rows), columns, dropped: 0 };
  // a view: the rows the matrix had room for beyond these were never written, so they hold no memory
  matrices.set(t, { X: m.values.subarray(start * m.stride, (start + rows) * m.stride), apart: m.k, taken: false });
  return t;
}

/** What rowMajor gives: every number column of a table but `apart` (-1: none), row-major. */
export interface RowMajor {
  X: Float32Array;
  apart: number;
  /** Handed out as a data set's inputs already (encodeTable's): the next encoding copies. */
  taken: boolean;
}

const matrices = new WeakMap<Table, RowMajor>();

/**
 * An all-number table's columns (every one but `apart`) as one row-major array, when the fast path read the
 * whole table. Whoever hands X out as its own sets `taken` (the table's number columns, when read later, are
 * read out of the same memory).
 */
export function rowMajor(t: Table): RowMajor | undefined {
  return matrices.get(t);
}

/** The column the label hint names (see TableOptions.label), or -1. */
function apartColumn(label: string | undefined, cells: FirstCell[]): number {
  if (label === undefined) return cells.length - 1;
  const byName = cells.findIndex((f) => f.text === label);
  if (byName >= 0) return byName;
  return /^\d+$/.test(label) && Number(label) >= 1 && Number(label) <= cells.length ? Number(label) - 1 : -1;
}

function checkInput(bytes: Uint8Array, file: string, header: string, missing: string, maxBytes: number): void {
  if (header !== "auto" && header !== "yes" && header !== "no") {
    throw new TypeError(`parseTable: header must be "auto", "yes" or "no", not ${JSON.stringify(header)}`);
  }
  if (missing !== "error" && missing !== "drop") {
    throw new TypeError(`parseTable: missing must be "error" or "drop", not ${JSON.stringify(missing)}`);
  }
  const n = bytes.length;
  if (n > maxBytes) throw new DataError(`${file}: is ${size(n)}, more than the ${size(maxBytes)} limit for data files`);
  if (n >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) throw new DataError(`${file}: is gzip-compressed; inflate it first`);
}

/** Line 1 (the first non-blank line, after a byte-order mark), cell by cell, as text and class. */
function readFirstLine(bytes: Uint8Array, file: string): { cells: FirstCell[]; line: number; end: number; next: number } {
  const n = bytes.length;
  let p = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 1;
  for (;;) {
    let q = p;
    let b = bytes[q];
    while (b === SPACE || b === TAB) b = bytes[++q];
    if (q >= n) throw new DataError(`${file}: the file is empty`);
    if (b !== LF && b !== CR) break;
    p = lineEnd(bytes, q);
    line++;
  }
  const cell: Cell = { s: 0, e: 0, esc: false, start: line, line, num: 0 };
  const cells: FirstCell[] = [];
  for (;;) {
    p = slowCell(bytes, n, p, cell, file, cells.length);
    const cls = classify(bytes, cell);
    cells.push({ text: decode(bytes, cell.s, cell.e, cell.esc), cls, num: cell.num, line: cell.start, empty: cell.s === cell.e });
    if (bytes[p] !== COMMA) break;
    p++;
  }
  return { cells, line, end: lineEnd(bytes, p), next: cell.line + 1 };
}

/**
 * With "auto": line 1 is a header when a column holding numbers (and gaps) on every later line has a word
 * on line 1, or when line 1 is all words (some may be empty) and more lines follow; a lone line of words is
 * a header too (without data, an error).
 */
function isHeader(opt: string, cells: FirstCell[], sc: { cat: Uint8Array; hasNumber(c: number): boolean }): boolean {
  if (opt !== "auto") return opt === "yes";
  const words = cells.every((f) => f.cls === TEXT || f.empty) && cells.some((f) => f.cls === TEXT);
  return words || cells.some((f, c) => f.cls === TEXT && sc.cat[c] === 0 && sc.hasNumber(c));
}

/** Throws the earliest problem (by line, then column) that could only be judged once the file was read. */
function throwFirstProblem(file: string, names: string[], sc: Scan, pending: Pending[], gapsAreErrors: boolean): void {
  for (let c = 0; c < sc.width; c++) {
    if (!sc.cat[c] && sc.badLine[c]) pending.push({ line: sc.badLine[c], col: c, what: sc.badWhat[c] });
  }
  if (gapsAreErrors && sc.gapLine) pending.push({ line: sc.gapLine, col: sc.gapCol, what: "is missing a value" });
  if (!pending.length) return;
  const worst = pending.reduce((a, b) => (b.line < a.line || (b.line === a.line && b.col < a.col) ? b : a));
  throw new DataError(`${file}:${worst.line}: column ${JSON.stringify(names[worst.col])} (column ${worst.col + 1}) ${worst.what}`);
}

/** The distinct texts of a category column, and their codes. */
class Words {
  map = new Map<string, number>();
  list: string[] = [];
  /** Where the first 32 words' bytes are (s, e pairs by code), to match a cell without decoding it. */
  seen: number[] = [];
  lastS = 0;
  lastE = -1;
  lastCode = 0;

  /** The code of the text in bytes s..e (with doubled quotes when esc). */
  code(bytes: Uint8Array, s: number, e: number, esc: boolean): number {
    if (esc) return this.add(decode(bytes, s, e, esc));
    const len = e - s;
    if (this.lastE - this.lastS === len && same(bytes, this.lastS, s, len)) return this.lastCode;
    const seen = this.seen;
    let code = -1;
    for (let k = 0; k < seen.length; k += 2) {
      if (seen[k + 1] - seen[k] === len && same(bytes, seen[k], s, len)) { code = k >> 1; break; }
    }
    if (code < 0) {
      code = this.add(decode(bytes, s, e, esc));
      // a word's first spelling in bytes is kept only while codes and pairs line up
      if (code === seen.length >> 1 && seen.length < 64) seen.push(s, e);
    }
    this.lastS = s;
    this.lastE = e;
    this.lastCode = code;
    return code;
  }

  add(text: string): number {
    let code = this.map.get(text);
    if (code === undefined) {
      code = this.list.length;
      this.list.push(text);
      this.map.set(text, code);
    }
    return code;
  }
}

function same(bytes: Uint8Array, a: number, b: number, len: number): boolean {
  let i = 0;
  while (i < len && bytes[a + i] === bytes[b + i]) i++;
  return i === len;
}

/** The byte-level scanner over the rows after line 1, and the columns it fills. */
class Scan {
  /** Rows filled so far, counting slot 0 (line 1). */
  rows = 1;
  /** The line the scan is on. */
  line = 1;
  vals: Float32Array[] = [];
  /** Category columns' codes: an Int32Array over the same memory as vals[c]. */
  codes: Int32Array[] = [];
  words: Words[] = [];
  cat: Uint8Array;
  /** Category columns that held number-like cells before their first word: their texts are re-read. */
  mixed: Uint8Array;
  /** Per row: it holds a gap. */
  missing: Uint8Array;
  /** Per row: the line it starts on. */
  lineOf: Int32Array;
  gapLine = 0;
  gapCol = -1;
  /** Per column: the first non-finite or out-of-range number, reported if the column stays numeric. */
  badLine: Int32Array;
  badWhat: string[];
  cell: Cell = { s: 0, e: 0, esc: false, start: 1, line: 1, num: 0 };
  dv: DataView;

  /** `from`: the rows the fast path read, taken over (their number columns copied out). */
  constructor(readonly bytes: Uint8Array, readonly file: string, readonly width: number, readonly firstLine: number, public cap: number, from: Matrix) {
    for (let c = 0; c < width; c++) {
      this.vals.push(from.column(c, 0, from.rows, cap));
      this.codes.push(new Int32Array(0));
      this.words.push(new Words());
    }
    this.cat = new Uint8Array(width);
    this.mixed = new Uint8Array(width);
    this.missing = new Uint8Array(cap);
    this.lineOf = new Int32Array(cap);
    this.lineOf.set(from.lineOf.subarray(0, from.rows));
    this.rows = from.rows;
    this.line = from.line;
    this.badLine = new Int32Array(width);
    this.badWhat = new Array<string>(width).fill("");
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Reads every row from p (which is on `line`) to the end; a blank line is skipped. */
  run(p: number, line: number): void {
    const bytes = this.bytes, n = bytes.length;
    let r = this.rows;
    this.line = line;
    while (p < n) {
      let b = bytes[p];
      if (b === SPACE || b === TAB || b === LF || b === CR) {
        let q = p;
        while (b === SPACE || b === TAB) b = bytes[++q];
        if (q >= n) break;
        if (b === LF || b === CR) {
          p = lineEnd(bytes, q);
          this.line++;
          continue;
        }
      }
      if (r === this.cap) this.grow();
      p = this.row(p, r++);
    }
    this.rows = r;
  }

  /** Reads the row at p into slot r; returns the position past its line end, with this.line past it too. */
  row(p: number, r: number): number {
    const bytes = this.bytes, width = this.width, vals = this.vals, cat = this.cat, dv = this.dv;
    const last4 = bytes.length - 4, rowLine = this.line;
    this.lineOf[r] = rowLine;
    for (let c = 0; ; ) {
      let end = -1;
      // 1-3 digits and a comma or LF (see smallDigits)
      if (p <= last4 && cat[c] === 0) {
        const w = dv.getUint32(p, true), len = smallDigits(w);
        if (len > 0) {
          vals[c][r] = smallValue(w, len);
          p += len;
          end = bytes[p];
        }
      }
      if (end < 0) {
        const v = cat[c] === 0 ? plainNumber(bytes, p) : NaN;
        if (v === v) {
          vals[c][r] = v;
          p = numEnd;
        } else {
          p = this.slow(p, c, r);
        }
        end = bytes[p];
      }
      c++;
      if (end === COMMA) {
        p++;
        if (c === width) this.wrongWidth(rowLine, c + this.countRest(p));
        continue;
      }
      if (c !== width) this.wrongWidth(rowLine, c);
      this.line++;
      return lineEnd(bytes, p);
    }
  }

  /** Slow path: any cell at p, stored at row r of column c; returns the position of what follows. */
  slow(p: number, c: number, r: number): number {
    const cell = this.cell;
    cell.line = this.line;
    p = slowCell(this.bytes, this.bytes.length, p, cell, this.file, c);
    this.line = cell.line;
    const cls = classify(this.bytes, cell);
    if (cls === GAP) {
      this.missing[r] = 1;
      if (this.gapLine === 0) { this.gapLine = cell.start; this.gapCol = c; }
      if (this.cat[c]) this.codes[c][r] = -1;
      else this.vals[c][r] = NaN;
    } else if (this.cat[c] || cls === TEXT) {
      if (!this.cat[c]) this.toCategory(c, r);
      this.codes[c][r] = this.words[c].code(this.bytes, cell.s, cell.e, cell.esc);
    } else if (cls === NUM) {
      this.vals[c][r] = cell.num;
    } else {
      // Infinity marks the cell as number-like for toCategory
      this.vals[c][r] = Infinity;
      if (this.badLine[c] === 0) {
        this.badLine[c] = cell.start;
        this.badWhat[c] = badNumber(cls, decode(this.bytes, cell.s, cell.e, cell.esc), cell.num);
      }
    }
    return p;
  }

  /** Turns numeric column c into a category column at row r; rows 1..r-1 are re-read if they held numbers. */
  toCategory(c: number, r: number): void {
    const v = this.vals[c];
    this.cat[c] = 1;
    this.mixed[c] = this.hasNumber(c, r) ? 1 : 0;
    this.codes[c] = new Int32Array(v.buffer, v.byteOffset, v.length);
    this.codes[c].fill(-1, 1, r);
  }

  /** Column c holds at least one number-like cell in rows 1..r-1. */
  hasNumber(c: number, r = this.rows): boolean {
    const v = this.vals[c];
    for (let i = 1; i < r; i++) if (v[i] === v[i]) return true;
    return false;
  }

  /** Line 1 is data: stores it in slot 0 and returns its problems, to be reported with the rest. */
  takeFirstLine(cells: FirstCell[], gapsAreErrors: boolean): Pending[] {
    const pending: Pending[] = [];
    for (let c = 0; c < this.width; c++) {
      const f = cells[c];
      if (f.cls === GAP) {
        this.missing[0] = 1;
        if (this.cat[c]) this.codes[c][0] = -1;
        else this.vals[c][0] = NaN;
        if (gapsAreErrors) pending.push({ line: f.line, col: c, what: "is missing a value" });
      } else if (this.cat[c]) {
        // interned after the rest: renumber() puts it first
        this.codes[c][0] = this.words[c].add(f.text);
      } else if (f.cls === NUM) {
        this.vals[c][0] = f.num;
      } else {
        pending.push({ line: f.line, col: c, what: badNumber(f.cls, f.text, f.num) });
      }
    }
    return pending;
  }

  /** Re-reads the mixed columns' cells of rows 1.. as text (a rare case, so the slow path does). */
  rescan(p: number, line: number): void {
    const bytes = this.bytes, n = bytes.length, cell = this.cell;
    for (let c = 0; c < this.width; c++) if (this.mixed[c]) this.words[c] = new Words();
    let r = 1;
    while (p < n) {
      let q = p;
      let b = bytes[q];
      while (b === SPACE || b === TAB) b = bytes[++q];
      if (q >= n) break;
      if (b === LF || b === CR) { p = lineEnd(bytes, q); line++; continue; }
      cell.line = line;
      for (let c = 0; ; c++) {
        p = slowCell(bytes, n, p, cell, this.file, c);
        if (this.mixed[c]) this.codes[c][r] = classify(bytes, cell) === GAP ? -1 : this.words[c].code(bytes, cell.s, cell.e, cell.esc);
        if (bytes[p] !== COMMA) break;
        p++;
      }
      line = cell.line + 1;
      p = lineEnd(bytes, p);
      r++;
    }
  }

  /** Moves the rows from `start` without a gap together; returns how many there are. */
  dropGaps(start: number): number {
    let kept = 0;
    for (let i = start; i < this.rows; i++) {
      if (this.missing[i]) continue;
      if (kept + start !== i) {
        for (let c = 0; c < this.width; c++) {
          const a = this.cat[c] ? this.codes[c] : this.vals[c];
          a[start + kept] = a[i];
        }
        this.lineOf[start + kept] = this.lineOf[i];
      }
      kept++;
    }
    if (kept === 0) throw new DataError(`${this.file}: every row has a missing value, so none is left after dropping them`);
    return kept;
  }

  grow(): void {
    this.cap *= 2;
    for (let c = 0; c < this.width; c++) {
      const v = new Float32Array(this.cap);
      v.set(this.vals[c]);
      this.vals[c] = v;
      if (this.cat[c]) this.codes[c] = new Int32Array(v.buffer);
    }
    const missing = new Uint8Array(this.cap);
    missing.set(this.missing);
    this.missing = missing;
    const lineOf = new Int32Array(this.cap);
    lineOf.set(this.lineOf);
    this.lineOf = lineOf;
  }

  /** Counts the fields from p (just past a comma) to the end of the row. */
  countRest(p: number): number {
    const bytes = this.bytes, cell = this.cell;
    cell.line = this.line;
    for (let k = 1; ; k++) {
      p = slowCell(bytes, bytes.length, p, cell, this.file, this.width + k - 1);
      if (bytes[p] !== COMMA) return k;
      p++;
    }
  }

  wrongWidth(line: number, found: number): never {
    const fields = this.width === 1 ? "field" : "fields";
    throw new DataError(`${this.file}:${line}: expected ${this.width} ${fields} (as on line ${this.firstLine}), found ${found}`);
  }
}

/** Where the last plainNumber() that found a number ended: the position of what follows it. */
let numEnd = 0;

/**
 * How many digits (1-3) the little-endian 32-bit word w read at a cell starts with, when a comma or LF
 * follows them (most of an image file); 0 otherwise. Taken apart without a branch per byte: x holds each
 * byte minus '0'; a byte is a digit when that is below 10; the lowest byte that is not a digit ends the
 * number; a borrow from a byte disturbs only the bytes after it. (Written out again in fastRows, where a call
 * costs a third of the time.)
 */
function smallDigits(w: number): number {
  const x = w ^ 0x30303030;
  const flags = ((x + 0x76767676) | x) & 0x80808080;
  const len = (31 - Math.clz32(flags & -flags)) >> 3;
  const after = (w >>> (len << 3)) & 0xff;
  return len > 0 && (after === COMMA || after === LF) ? len : 0;
}

/** The value of the len digits smallDigits found in w. */
function smallValue(w: number, len: number): number {
  const y = (w ^ 0x30303030) << ((4 - len) << 3);
  return ((y >>> 8) & 0xff) * 100 + ((y >>> 16) & 0xff) * 10 + (y >>> 24);
}

/**
 * A plain decimal at p (blanks around it allowed) followed by a comma, a line end or the end: its value
 * (Clinger's fast path, so exactly Number(text)), or NaN when the cell is anything else.
 */
function plainNumber(bytes: Uint8Array, p: number): number {
  let b = bytes[p];
  while (b === SPACE || b === TAB) b = bytes[++p];
  const neg = b === MINUS;
  if (neg || b === PLUS) b = bytes[++p];
  let m = 0, digits = 0, e10 = 0;
  while (b >= ZERO && b <= NINE) { m = m * 10 + (b - ZERO); digits++; b = bytes[++p]; }
  if (b === DOT) {
    b = bytes[++p];
    while (b >= ZERO && b <= NINE) { m = m * 10 + (b - ZERO); digits++; e10--; b = bytes[++p]; }
  }
  if (digits === 0 || m >= TWO_53) return NaN;
  if (b === LOWER_E || b === UPPER_E) {
    b = bytes[++p];
    const eneg = b === MINUS;
    if (eneg || b === PLUS) b = bytes[++p];
    let x = 0, xd = 0;
    while (b >= ZERO && b <= NINE) { if (x < 10000) x = x * 10 + (b - ZERO); xd++; b = bytes[++p]; }
    if (xd === 0) return NaN;
    e10 += eneg ? -x : x;
  }
  while (b === SPACE || b === TAB) b = bytes[++p];
  if ((b !== COMMA && b !== LF && b !== CR && p < bytes.length) || e10 < -22 || e10 > 22) return NaN;
  numEnd = p;
  const v = e10 === 0 ? m : e10 < 0 ? m / POW10[-e10] : m * POW10[e10];
  return neg ? -v : v;
}

/**
 * The rows of an all-number table as the fast path stores them, row-major: every column but k (-1: none) in
 * `values` (cap × stride), column k in `apart`. Row 0 is line 1's slot.
 */
class Matrix {
  /** Rows filled so far, counting slot 0. */
  rows = 1;
  readonly stride: number;
  readonly values: Float32Array;
  readonly apart: Float32Array;
  readonly lineOf: Int32Array;
  /** isHeader's view: no column is a category column. */
  readonly cat: Uint8Array;

  /** `line`: the line the rows after line 1 start on. */
  constructor(readonly width: number, readonly k: number, readonly cap: number, firstLine: number, public line: number) {
    this.stride = k < 0 ? width : width - 1;
    // one more: fastRows writes a row's every cell here before it moves the label's out
    this.values = new Float32Array(cap * this.stride + 1);
    this.apart = new Float32Array(k < 0 ? 0 : cap);
    this.lineOf = new Int32Array(cap);
    this.lineOf[0] = firstLine;
    this.cat = new Uint8Array(width);
  }

  /** Whether column c holds a number after line 1: all rows there are numbers. */
  hasNumber(): boolean {
    return this.rows > 1;
  }

  /** Column c of rows from .. from+len-1, in a new array of `size` (at least len). */
  column(c: number, from: number, len: number, size = len): Float32Array {
    const out = new Float32Array(size), k = this.k;
    if (c === k) {
      out.set(this.apart.subarray(from, from + len));
      return out;
    }
    const s = this.stride, v = this.values;
    for (let i = 0, x = from * s + (k >= 0 && c > k ? c - 1 : c); i < len; i++, x += s) out[i] = v[x];
    return out;
  }

  /** Line 1 as row 0, when it is data: every cell a number (classify's). */
  setFirst(cells: FirstCell[]): void {
    for (let c = 0, o = 0; c < this.width; c++) {
      if (c === this.k) this.apart[0] = cells[c].num;
      else this.values[o++] = cells[c].num;
    }
  }
}

/** "0,0," as a little-endian 32-bit word: two zeros, which image files are full of. */
const ZERO_ZERO = 0x2c302c30;

/**
 * The fast path: reads rows from p into m while every cell is a plain number (smallDigits or plainNumber, as the
 * general scanner reads them) and every row has m.width of them on one line; blank lines (nothing at all) are
 * skipped. Returns where it stopped: the end, or the start of the first row it leaves to the general scanner.
 * Each row's cells all go to m.values (which has a spare slot at its end); the label column's is then moved
 * to m.apart.
 */
function fastRows(bytes: Uint8Array, m: Matrix, p: number): number {
  const n = bytes.length, last4 = n - 4, W = m.width, k = m.k, vals = m.values, dv = new DataView(bytes.buffer, bytes.byteOffset, n);
  let r = m.rows, line = m.line, o = r * m.stride;
  while (p < n) {
    if (bytes[p] === LF || bytes[p] === CR) {
      p = lineEnd(bytes, p);
      line++;
      continue;
    }
    if (r === m.cap) break;
    let c = 0, q = p, v = 0, end = 0;
    const o0 = o;
    for (;;) {
      let w = q <= last4 ? dv.getUint32(q, true) : 0;
      // two zeros at a time while the row has room for them and a cell after them
      for (; w === ZERO_ZERO && c + 2 < W; c += 2, q += 4, w = q <= last4 ? dv.getUint32(q, true) : 0) {
        vals[o++] = 0;
        vals[o++] = 0;
      }
      // smallDigits and smallValue, written out
      const x = w ^ 0x30303030, flags = ((x + 0x76767676) | x) & 0x80808080, len = (31 - Math.clz32(flags & -flags)) >> 3;
      end = (w >>> (len << 3)) & 0xff;
      if (len > 0 && (end === COMMA || end === LF)) {
        const y = x << ((4 - len) << 3);
        vals[o++] = ((y >>> 8) & 0xff) * 100 + ((y >>> 16) & 0xff) * 10 + (y >>> 24);
        q += len;
      } else {
        v = plainNumber(bytes, q);
        if (v !== v) break;
        vals[o++] = v;
        q = numEnd;
        end = bytes[q];
      }
      if (end !== COMMA || ++c === W) break;
      q++;
    }
    // a cell that is not a plain number, or the wrong number of cells: the general scanner's
    if (v !== v || c !== W - 1) break;
    if (k >= 0) {
      m.apart[r] = vals[o0 + k];
      if (k < W - 1) vals.copyWithin(o0 + k, o0 + k + 1, o);
      o--;
    }
    m.lineOf[r++] = line++;
    p = lineEnd(bytes, q);
  }
  m.rows = r;
  m.line = line;
  return p;
}

/**
 * Scans one cell from p: blanks, then a quoted field or an unquoted one up to a comma, a line end or the end.
 * Leaves the content range in cell and returns the position of what ends the cell.
 */
function slowCell(bytes: Uint8Array, n: number, p: number, cell: Cell, file: string, col: number): number {
  let b = bytes[p];
  while (b === SPACE || b === TAB) b = bytes[++p];
  cell.start = cell.line;
  cell.esc = false;
  if (b === QUOTE) {
    let s = ++p;
    for (;;) {
      if (p >= n) throw new DataError(`${file}:${cell.start}: a quoted field (column ${col + 1}) has no closing quote`);
      b = bytes[p];
      if (b === QUOTE) {
        if (bytes[p + 1] !== QUOTE) break;
        cell.esc = true;
        p += 2;
        continue;
      }
      if (b === LF || (b === CR && bytes[p + 1] !== LF)) cell.line++;
      p++;
    }
    let e = p++;
    while (s < e && (bytes[s] === SPACE || bytes[s] === TAB)) s++;
    while (e > s && (bytes[e - 1] === SPACE || bytes[e - 1] === TAB)) e--;
    cell.s = s;
    cell.e = e;
    b = bytes[p];
    while (b === SPACE || b === TAB) b = bytes[++p];
    if (p < n && b !== COMMA && b !== LF && b !== CR) {
      throw new DataError(`${file}:${cell.line}: column ${col + 1} has text after its closing quote`);
    }
    return p;
  }
  const s = p;
  while (p < n && b !== COMMA && b !== LF && b !== CR) b = bytes[++p];
  let e = p;
  while (e > s && (bytes[e - 1] === SPACE || bytes[e - 1] === TAB)) e--;
  cell.s = s;
  cell.e = e;
  return p;
}

/** What the cell in cell.s..cell.e holds; sets cell.num for NUM and HUGE. */
function classify(bytes: Uint8Array, cell: Cell): number {
  const s = cell.s, e = cell.e, len = e - s;
  if (len === 0) return GAP;
  if (cell.esc) return TEXT;
  const b0 = bytes[s];
  if (len === 1 && b0 === 63 /* ? */) return GAP;
  if (len === 2 && b0 === 78 /* N */ && bytes[s + 1] === 65 /* A */) return GAP;
  if (len === 3 && bytes[s + 1] === 47 /* / */ &&
      ((b0 === 78 && bytes[s + 2] === 65) || (b0 === 110 /* n */ && bytes[s + 2] === 97 /* a */))) return GAP;
  const v = parseNumber(bytes, s, e);
  if (v === v) {
    cell.num = v;
    if (v === Infinity || v === -Infinity) return INFINITE;
    if (!Number.isFinite(Math.fround(v))) return HUGE;
    return NUM;
  }
  const sign = b0 === PLUS || b0 === MINUS ? 1 : 0;
  const l0 = bytes[s + sign] | 0x20;
  if (len <= 9 && (l0 === 110 /* n */ || l0 === 105 /* i */)) {
    let word = "";
    for (let i = s + sign; i < e; i++) word += String.fromCharCode(bytes[i] | 0x20);
    if (word === "nan") return GAP;
    if (word === "inf" || word === "infinity") return INFINITE;
  }
  return TEXT;
}

/**
 * The number in bytes s..e if they match `[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?`, else NaN. Exactly
 * Number(text): Clinger's fast path when it applies, Number() of the characters when not.
 */
function parseNumber(bytes: Uint8Array, s: number, e: number): number {
  let p = s;
  let b = bytes[p];
  let neg = false;
  if (b === MINUS || b === PLUS) { neg = b === MINUS; b = bytes[++p]; }
  let m = 0, digits = 0, e10 = 0;
  while (p < e && b >= ZERO && b <= NINE) { m = m * 10 + (b - ZERO); digits++; b = bytes[++p]; }
  if (p < e && b === DOT) {
    b = bytes[++p];
    while (p < e && b >= ZERO && b <= NINE) { m = m * 10 + (b - ZERO); digits++; e10--; b = bytes[++p]; }
  }
  if (digits === 0) return NaN;
  if (p < e && (b === LOWER_E || b === UPPER_E)) {
    b = bytes[++p];
    let eneg = false;
    if (p < e && (b === MINUS || b === PLUS)) { eneg = b === MINUS; b = bytes[++p]; }
    let x = 0, xd = 0;
    while (p < e && b >= ZERO && b <= NINE) { if (x < 10000) x = x * 10 + (b - ZERO); xd++; b = bytes[++p]; }
    if (xd === 0) return NaN;
    e10 += eneg ? -x : x;
  }
  if (p !== e) return NaN;
  if (m < TWO_53 && e10 >= -22 && e10 <= 22) {
    const v = e10 === 0 ? m : e10 < 0 ? m / POW10[-e10] : m * POW10[e10];
    return neg ? -v : v;
  }
  let text = "";
  for (let i = s; i < e; i++) text += String.fromCharCode(bytes[i]);
  return Number(text);
}

function badNumber(cls: number, text: string, num: number): string {
  return cls === HUGE
    ? `is ${num}, beyond the range of 32-bit floats`
    : `is not a finite number: ${show(text)}`;
}

let utf8: TextDecoder | undefined;

/** The text of bytes s..e (UTF-8), with doubled quotes undone when esc. */
function decode(bytes: Uint8Array, s: number, e: number, esc: boolean): string {
  let text = "";
  let ascii = e - s <= 32;
  for (let i = s; ascii && i < e; i++) {
    const b = bytes[i];
    if (b >= 0x80) ascii = false;
    else text += String.fromCharCode(b);
  }
  if (!ascii) text = (utf8 ??= new TextDecoder("utf-8")).decode(bytes.subarray(s, e));
  return esc ? text.replaceAll('""', '"') : text;
}

/** Just past the line end at p (LF, CRLF or CR), or p at the end of the bytes. */
function lineEnd(bytes: Uint8Array, p: number): number {
  const b = bytes[p];
  if (b === LF) return p + 1;
  if (b === CR) return bytes[p + 1] === LF ? p + 2 : p + 1;
  return p;
}

/** Line feeds from p on: with one more for a last line without one, the most rows there can be. */
function countLineEnds(bytes: Uint8Array, p: number): number {
  let k = 0;
  for (let i = bytes.indexOf(LF, p); i !== -1; i = bytes.indexOf(LF, i + 1)) k++;
  return k;
}

/** rows entries of a from start: a view when little memory would be held for nothing, else a copy. */
function trim<T extends Float32Array | Int32Array>(a: T, start: number, rows: number): T {
  const view = a.subarray(start, start + rows) as T;
  return a.length - rows <= Math.max(64, rows >> 3) ? view : (view.slice() as T);
}

/** Renumbers codes (in place) in order of first appearance and returns the categories that remain. */
function renumber(codes: Int32Array, cats: string[]): string[] {
  const to = new Int32Array(cats.length).fill(-1);
  const out: string[] = [];
  for (let i = 0; i < codes.length; i++) {
    const k = codes[i];
    if (k < 0) continue;
    if (to[k] < 0) { to[k] = out.length; out.push(cats[k]); }
    codes[i] = to[k];
  }
  return out;
}

function size(bytes: number): string {
  return bytes >= MiB ? `${+(bytes / MiB).toFixed(1)} MiB` : `${bytes} bytes`;
}

function show(text: string): string {
  return text === "" ? "(empty)" : JSON.stringify(text.length > 20 ? text.slice(0, 20) + "…" : text);
}
