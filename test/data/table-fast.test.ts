// The table parser's fast path (all-number rows, stored row-major) gives exactly the table the general
// scanner gives: the same numbers to the bit, the same lines, the same one-line errors; and it hands its
// rows to the general scanner at the first row it cannot take, wherever that is.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseTable, rowMajor, type Table, type TableOptions } from "../../src/data/table.js";
import { encodeTable, labelColumn, schemaOf } from "../../src/data/schema.js";

const F = "fast.csv";
const enc = new TextEncoder();

/** Everything a table holds, numbers as their f32 bits (so -0 and 0 differ). */
function canonical(t: Table) {
  const bits = (v: Float32Array) => Array.from(new Uint32Array(Float32Array.from(v).buffer));
  return {
    file: t.file, header: t.header, names: t.names, rows: t.rows, lines: Array.from(t.lines), dropped: t.dropped,
    columns: t.columns.map((c) => ({ name: c.name, kind: c.kind, index: c.index, values: c.values && bits(c.values), codes: c.codes && Array.from(c.codes), categories: c.categories })),
  };
}

/** The table (or the error) with and without the fast path: they must be the same. */
function both(bytes: Uint8Array, opts?: TableOptions): { fast: Table | string; general: Table | string } {
  const run = (fast: boolean) => {
    try {
      return parseTable(bytes, F, opts, fast);
    } catch (e) {
      return `${(e as Error).constructor.name}: ${(e as Error).message}`;
    }
  };
  return { fast: run(true), general: run(false) };
}

function expectSame(text: string, opts?: TableOptions): Table | string {
  const { fast, general } = both(enc.encode(text), opts);
  if (typeof general === "string") expect(fast, text).toBe(general);
  else expect(typeof fast === "string" ? fast : canonical(fast), text).toEqual(canonical(general));
  return fast;
}

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });
/** Numbers the fast path takes: integers, decimals, exponents within its range. */
const plain = fc.oneof(
  { weight: 6, arbitrary: fc.constant("0") },
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 999 }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: -99999, max: 99999 }).map(String) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom("", "-", "+"), digits(0, 6), digits(0, 6)).map(([s, a, b]) => `${s}${a || "0"}.${b}`) },
  { weight: 1, arbitrary: fc.tuple(digits(1, 4), fc.constantFrom("e", "E"), fc.constantFrom("", "-", "+"), fc.integer({ min: 0, max: 15 })).map((p) => p.join("")) },
);
/** Numbers of every form: with some the fast path leaves to the general scanner (long, tiny, huge). */
const number = fc.oneof(
  { weight: 10, arbitrary: plain },
  { weight: 1, arbitrary: fc.tuple(digits(1, 4), fc.constantFrom("e", "E"), fc.constantFrom("", "-", "+"), fc.integer({ min: 16, max: 40 })).map((p) => p.join("")) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -3.4e38, max: 3.4e38 }).map(String) },
  { weight: 1, arbitrary: digits(16, 24) },
);
const odd = fc.constantFrom("", "NA", "?", "nan", "inf", "1e999", "word", "Na", '"12"', '"1,5"', ' 7 ', '"say ""hi"""', "-", ".", "1.2.3", "5'3\"", "0x10");
const cell = fc.oneof({ weight: 20, arbitrary: number }, { weight: 1, arbitrary: odd });

/** Rows of w cells, some with one cell too many or too few; blank lines here and there. */
const grid = fc.integer({ min: 1, max: 7 }).chain((w) =>
  fc.array(
    fc.oneof(
      { weight: 30, arbitrary: fc.array(cell, { minLength: w, maxLength: w }) },
      { weight: 1, arbitrary: fc.array(cell, { minLength: Math.max(1, w - 1), maxLength: w + 1 }) },
      { weight: 1, arbitrary: fc.constantFrom([] as string[]) },
    ),
    { minLength: 1, maxLength: 30 },
  ),
);
const options = fc.record({
  header: fc.constantFrom<TableOptions["header"]>(undefined, "auto", "yes", "no"),
  missing: fc.constantFrom<TableOptions["missing"]>(undefined, "error", "drop"),
  label: fc.constantFrom(undefined, "1", "2", "99", "column 2", "b"),
});
const headerLine = (w: number) => ["a", "b", "c", "d", "e", "f", "g"].slice(0, w).join(",");

describe("the fast path reads what the general scanner reads", () => {
  it("random tables: numbers of every form, gaps, words, quotes, wrong widths, blank lines, LF/CRLF/CR, a final line end or not", () => {
    fc.assert(
      fc.property(grid, fc.constantFrom("\n", "\r\n", "\r"), fc.boolean(), fc.boolean(), options, (rows, eol, finalEol, withHeader, opts) => {
        const lines = rows.map((r) => r.join(","));
        const text = (withHeader ? headerLine(rows[0].length || 1) + eol : "") + lines.join(eol) + (finalEol ? eol : "");
        expectSame(text, opts);
      }),
      { numRuns: 1500 },
    );
  });

  it("all-number tables (the fast path's own): the same table, and its inputs row-major", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.array(plain, { minLength: 6, maxLength: 6 }), { minLength: 1, maxLength: 40 }), fc.constantFrom("\n", "\r\n"), fc.boolean(), fc.boolean(), (w, rows, eol, finalEol, withHeader) => {
        const text = (withHeader ? headerLine(w) + eol : "") + rows.map((r) => r.slice(0, w).join(",")).join(eol) + (finalEol ? eol : "");
        const t = expectSame(text);
        if (typeof t === "string") return;
        expect(rowMajor(t), text).toBeDefined();
      }),
      { numRuns: 500 },
    );
  });

  it("falls off the fast path mid-file at a quoted field, a gap, a word, a wrong width or a long number, and the general scanner goes on from that row", () => {
    const row = (r: number) => [r % 256, -r, (r * 0.25).toFixed(2), `${r}e-3`].join(",");
    for (const [bad, opts] of [['"12",1,2,3', {}], ["1,,2,3", { missing: "drop" }], ["1,NA,2,3", {}], ["1,x,2,3", {}], ["1,2,3", {}], ["1,2,3,4,5", {}], ["12345678901234567890,1,2,3", {}], ["1,1e-30,2,3", {}], ["  \t", {}]] as const) {
      for (const eol of ["\n", "\r\n"]) {
        const lines = Array.from({ length: 300 }, (_, r) => row(r));
        lines.splice(200, 0, bad);
        const t = expectSame(lines.join(eol) + eol, opts);
        if (typeof t !== "string") expect(rowMajor(t)).toBeUndefined();
      }
    }
  });

  it("runs of zeros (read two at a time) up to the row's end, past it, and short of it", () => {
    for (let w = 1; w <= 7; w++) {
      for (let cells = Math.max(1, w - 2); cells <= w + 2; cells++) {
        for (const last of ["0", "7", "10", "-1", "0.5", ""]) {
          const row = [...Array(cells - 1).fill("0"), last].join(",");
          for (const eol of ["\n", "\r\n"]) {
            const good = Array(5).fill(Array(w).fill("0").join(","));
            for (const at of [0, 2, 4]) {
              const lines = [...good];
              lines[at] = row;
              for (const finalEol of [true, false]) expectSame(lines.join(eol) + (finalEol ? eol : ""), { header: "no" });
            }
          }
        }
      }
    }
  });

  it("a column of words with numbers before its first word, line 1 holding words or gaps", () => {
    for (const text of ["1,2\n3,4\n5,x\n", "a,1\n2,3\n4,5\n", ",1\n2,3\n", "x,1\n2,3\n4,y\n", "1,2\n3,4\n", "1\n2\n\n\n3\n"]) {
      for (const header of ["auto", "yes", "no"] as const) expectSame(text, { header });
    }
  });

  it("encodes the inputs to the same bits whichever column is the label, with no copy when they are row-major", () => {
    fc.assert(
      fc.property(fc.array(fc.array(plain, { minLength: 4, maxLength: 4 }), { minLength: 2, maxLength: 30 }), fc.integer({ min: 1, max: 4 }), fc.option(fc.constantFrom("1", "3", "4", "99"), { nil: undefined }), (rows, labelAt, hint) => {
        const text = "a,b,c,d\n" + rows.map((r, i) => r.map((v, j) => (j === labelAt - 1 ? String(i % 3) : v)).join(",")).join("\n");
        const bytes = enc.encode(text);
        const encode = (fast: boolean) => {
          const t = parseTable(bytes, F, { label: hint }, fast);
          const s = schemaOf(t, labelColumn(t, String(labelAt)));
          const { X, y } = encodeTable(t, s);
          return { X: Array.from(new Uint32Array(Float32Array.from(X).buffer)), y: Array.from(y), shared: rowMajor(t)?.X === X };
        };
        const fast = encode(true), general = encode(false);
        expect({ ...fast, shared: false }).toEqual({ ...general, shared: false });
        expect(fast.shared).toBe((hint ?? "4") === String(labelAt));
      }),
      { numRuns: 300 },
    );
  });

  it("a table's number columns can be read after its inputs were handed out, and a second encoding copies", () => {
    const t = parseTable(enc.encode("1,2,0\n3,4,1\n5,6,0\n"), F);
    const s = schemaOf(t, 2);
    const first = encodeTable(t, s).X, second = encodeTable(t, s).X;
    expect(second).not.toBe(first);
    expect(Array.from(second)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(t.columns[1].values!)).toEqual([2, 4, 6]);
    expect(Array.from(t.columns[2].values!)).toEqual([0, 1, 0]);
  });
});
