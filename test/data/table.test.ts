// The table parser: headers, word columns, quotes, gaps and line ends as users' CSVs have them; every number
// exactly Math.fround(Number(text)); every malformed input a one-line DataError naming the file and line.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseTable, type Table, type TableOptions } from "../../src/data/table.js";
import { parseCsv } from "../../src/data/csv.js";
import { DataError } from "../../src/errors.js";

const F = "my/table.csv";
const enc = new TextEncoder();
const parse = (text: string, opts?: TableOptions): Table => parseTable(enc.encode(text), F, opts);

/** Parsing `text` throws a DataError; returns its message, which must be one line naming F. */
function fails(text: string | Uint8Array, opts?: TableOptions): string {
  let err: unknown;
  try {
    parseTable(typeof text === "string" ? enc.encode(text) : text, F, opts);
  } catch (e) {
    err = e;
  }
  expect(err, "expected a DataError, nothing was thrown").toBeInstanceOf(DataError);
  const msg = (err as DataError).message;
  expect(msg.startsWith(`${F}:`)).toBe(true);
  expect(msg).not.toContain("\n");
  return msg;
}

const values = (t: Table, c: number) => Array.from(t.columns[c].values!);
/** A category column's cells as text. */
const texts = (t: Table, c: number) => Array.from(t.columns[c].codes!, (k) => t.columns[c].categories![k]);

describe("tables as users write them", () => {
  it("Iris-like: a header, numeric features, word labels", () => {
    const t = parse(
      "sepal_length,sepal_width,petal_length,petal_width,species\n" +
        "5.1,3.5,1.4,0.2,setosa\n" +
        "7.0,3.2,4.7,1.4,versicolor\n" +
        "6.3,3.3,6.0,2.5,virginica\n" +
        "4.9,3.0,1.4,0.2,setosa\n",
    );
    expect(t.header).toBe(true);
    expect(t.names).toEqual(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]);
    expect(t.rows).toBe(4);
    expect(t.dropped).toBe(0);
    expect(t.columns.map((c) => c.kind)).toEqual(["number", "number", "number", "number", "category"]);
    expect(t.columns.map((c) => c.index)).toEqual([0, 1, 2, 3, 4]);
    expect(t.columns[0].values).toBeInstanceOf(Float32Array);
    expect(values(t, 0)).toEqual([5.1, 7, 6.3, 4.9].map(Math.fround));
    expect(values(t, 3)).toEqual([0.2, 1.4, 2.5, 0.2].map(Math.fround));
    const species = t.columns[4];
    expect(species.codes).toBeInstanceOf(Int32Array);
    expect(species.categories).toEqual(["setosa", "versicolor", "virginica"]);
    expect(Array.from(species.codes!)).toEqual([0, 1, 2, 0]);
    expect(species.values).toBeUndefined();
  });

  const penguins =
    "species,island,bill_length_mm,body_mass_g,sex\n" +
    "Adelie,Torgersen,39.1,3750,male\n" +
    "Adelie,Torgersen,NA,NA,NA\n" +
    "Gentoo,Biscoe,46.1,4500,female\n" +
    "Chinstrap,Dream,46.5,3500,?\n" +
    "Gentoo,Biscoe,50.0,5700,male\n";

  it("penguins-like: a word-valued feature, and an NA gap is an error naming its line and column", () => {
    expect(fails(penguins)).toBe(`${F}:3: column "bill_length_mm" (column 3) is missing a value`);
    expect(fails(penguins, { missing: "error" })).toContain(":3:");
  });

  it("penguins-like with missing 'drop': rows with a gap left out and counted", () => {
    const t = parse(penguins, { missing: "drop" });
    expect(t.rows).toBe(3);
    expect(t.dropped).toBe(2);
    expect(t.columns.map((c) => c.kind)).toEqual(["category", "category", "number", "number", "category"]);
    expect(texts(t, 0)).toEqual(["Adelie", "Gentoo", "Gentoo"]);
    // codes follow first appearance among the rows kept: Chinstrap and Dream went with their row
    expect(t.columns[0].categories).toEqual(["Adelie", "Gentoo"]);
    expect(t.columns[1].categories).toEqual(["Torgersen", "Biscoe"]);
    expect(Array.from(t.columns[1].codes!)).toEqual([0, 1, 1]);
    expect(values(t, 3)).toEqual([3750, 4500, 5700]);
    expect(t.columns[4].categories).toEqual(["male", "female"]);
  });

  it("every gap token is a gap, in word and number columns alike", () => {
    for (const gap of ["", "  ", "NA", "N/A", "n/a", "?", "nan", "NaN", "NAN", "-nan", '""', '"NA"']) {
      expect(fails(`a,b\n1,x\n${gap},y\n`), JSON.stringify(gap)).toBe(`${F}:3: column "a" (column 1) is missing a value`);
      expect(fails(`a,b\n1,x\n2,${gap}\n`), JSON.stringify(gap)).toBe(`${F}:3: column "b" (column 2) is missing a value`);
      expect(parse(`a,b\n1,x\n${gap},y\n3,z\n`, { missing: "drop" }).dropped).toBe(1);
    }
    // NA is matched exactly: sodium stays a word
    expect(parse("element,z\nNa,11\nna,11\n").columns[0].categories).toEqual(["Na", "na"]);
  });

  it("the first gap in the file is the one reported, and line 1 counts when it is data", () => {
    expect(fails("1,2\n3,\n,4\n")).toBe(`${F}:2: column "column 2" (column 2) is missing a value`);
    expect(fails("1,NA\n3,4\n5,?\n")).toBe(`${F}:1: column "column 2" (column 2) is missing a value`);
    const t = parse("1,NA\n3,4\n5,?\n6,7\n", { missing: "drop" });
    expect([t.rows, t.dropped, values(t, 0)]).toEqual([2, 2, [3, 6]]);
    expect(fails("a,b\n1,2\n3,4\n,5\n")).toBe(`${F}:4: column "a" (column 1) is missing a value`);
  });

  it("every row dropped is an error", () => {
    expect(fails("a,b\n1,NA\n?,2\n", { missing: "drop" })).toBe(
      `${F}: every row has a missing value, so none is left after dropping them`,
    );
  });

  it("quoted fields: commas, doubled quotes, line breaks, numbers in quotes", () => {
    const t = parse('name,quote,n\n"Smith, J.","He said ""hi""",1\n"a\nb","",2\nplain,"x,y",3\n', { missing: "drop" });
    expect(t.rows).toBe(2);
    expect(t.dropped).toBe(1);
    expect(texts(t, 0)).toEqual(["Smith, J.", "plain"]);
    expect(texts(t, 1)).toEqual(['He said "hi"', "x,y"]);
    const u = parse('a,b\n"1.5", "x"  \n  "2" ,"a\r\nb"\n');
    expect(values(u, 0)).toEqual([1.5, 2]);
    expect(texts(u, 1)).toEqual(["x", "a\r\nb"]);
    // a quote inside an unquoted field is text
    expect(texts(parse("h,n\n5'3\",1\n"), 0)).toEqual(["5'3\""]);
  });

  it("a quoted field spanning lines counts its lines", () => {
    expect(fails('a,b\n"x\ny\nz",1\nq,\n')).toBe(`${F}:5: column "b" (column 2) is missing a value`);
    expect(fails('a,b\n"x\r\ny",1\r\nq,2,3\r\n')).toBe(`${F}:4: expected 2 fields (as on line 1), found 3`);
    expect(fails('a,b\r"x\ry\r\rz",1\rq,2,3\r')).toBe(`${F}:6: expected 2 fields (as on line 1), found 3`);
  });

  it("CRLF, LF and lone CR line ends", () => {
    const want = [[1, 3, 5], [2, 4, 6]];
    for (const eol of ["\n", "\r\n", "\r"]) {
      for (const tail of ["", eol, eol + eol]) {
        const t = parse(["x,y", "1,2", "3,4", "5,6"].join(eol) + tail);
        expect([values(t, 0), values(t, 1)], JSON.stringify(eol + tail)).toEqual(want);
        expect(t.names).toEqual(["x", "y"]);
      }
    }
    expect(fails("x,y\r\n1,2\r\n3\r\n")).toBe(`${F}:3: expected 2 fields (as on line 1), found 1`);
    expect(fails("x,y\r1,2\r3\r")).toBe(`${F}:3: expected 2 fields (as on line 1), found 1`);
  });

  it("many rows with lone CRs (more rows than line feeds: the columns grow)", () => {
    const rows = Array.from({ length: 1000 }, (_, i) => `${i},${i % 7 ? "a" : "b"}`);
    const t = parse(rows.join("\r"));
    expect(t.rows).toBe(1000);
    expect(values(t, 0)).toEqual(rows.map((_, i) => i));
    expect(t.columns[1].categories).toEqual(["b", "a"]);
  });

  it("a UTF-8 byte-order mark is skipped; words are UTF-8", () => {
    const t = parse("\uFEFFcity,temp\nZürich,12.5\n東京,20\n");
    expect(t.names).toEqual(["city", "temp"]);
    expect(texts(t, 0)).toEqual(["Zürich", "東京"]);
    expect(values(t, 1)).toEqual([12.5, 20]);
  });

  it("blanks around fields are trimmed; blank lines are skipped; line numbers stay physical", () => {
    const t = parse("\n  \n a , b \n\n 1 ,\t x\t\n   \n2,y\n\n\n");
    expect(t.names).toEqual(["a", "b"]);
    expect(values(t, 0)).toEqual([1, 2]);
    expect(texts(t, 1)).toEqual(["x", "y"]);
    expect(fails("\n\na,b\n\n1,2\n\n3\n")).toBe(`${F}:7: expected 2 fields (as on line 3), found 1`);
  });

  it("no header: names are column 1, column 2, ...", () => {
    const t = parse("1,2,3\n4,5,6\n");
    expect(t.header).toBe(false);
    expect(t.names).toEqual(["column 1", "column 2", "column 3"]);
    expect(values(t, 2)).toEqual([3, 6]);
    // a single row of numbers is one row of data
    expect(parse("1,2\n").rows).toBe(1);
    // word labels without a header: line 1 is data, and its label is the first category
    const u = parse("5.1,3.5,setosa\n7.0,3.2,versicolor\n");
    expect(u.header).toBe(false);
    expect(u.columns[2].categories).toEqual(["setosa", "versicolor"]);
  });

  it("header auto-detection", () => {
    // a column numeric below a word on line 1 makes it a header, even if other line-1 cells are numbers
    expect(parse("id,2020,2021\n1,5,6\n").header).toBe(true);
    // pandas' index column has an empty name
    const pd = parse(",sepal,species\n0,5.1,setosa\n1,4.9,setosa\n");
    expect(pd.header).toBe(true);
    expect(pd.names).toEqual(["column 1", "sepal", "species"]);
    // words over words: a header when the file has more lines
    const w = parse("colour,size\nred,big\nblue,small\n");
    expect([w.header, w.rows, texts(w, 0)]).toEqual([true, 2, ["red", "blue"]]);
    // a word over a word column and numbers over numbers: data
    expect(parse("a,1\nb,2\n").header).toBe(false);
  });

  it("header forced with 'yes' or 'no'", () => {
    const y = parse("1,2\n3,4\n", { header: "yes" });
    expect([y.header, y.names, y.rows, values(y, 0)]).toEqual([true, ["1", "2"], 1, [3]]);
    const n = parse("x,y\n3,4\n5,6\n", { header: "no" });
    expect([n.header, n.names, n.rows]).toEqual([false, ["column 1", "column 2"], 3]);
    // "x" over numbers makes the column words, keeping each cell's text
    expect(n.columns[0].kind).toBe("category");
    expect(texts(n, 0)).toEqual(["x", "3", "5"]);
  });

  it("a column of numbers with one word is a category column that keeps every cell's text", () => {
    const t = parse("size,n\n1.0,1\n2,2\n1.0,3\nlarge,4\n02,5\n", { missing: "drop" });
    expect(t.columns[0].kind).toBe("category");
    expect(t.columns[0].categories).toEqual(["1.0", "2", "large", "02"]);
    expect(Array.from(t.columns[0].codes!)).toEqual([0, 1, 0, 2, 3]);
    // a word first, numbers after it
    const u = parse("size,n\nlarge,1\n3,2\n3,3\n");
    expect(u.columns[0].categories).toEqual(["large", "3"]);
    // inf in a word column is a word
    expect(parse("a,b\nx,1\ninf,2\n").columns[0].categories).toEqual(["x", "inf"]);
    expect(parse("a,b\n-inf,1\n1e39,2\n5,3\nx,4\n").columns[0].categories).toEqual(["-inf", "1e39", "5", "x"]);
  });

  it("the label column of a digits-like file is numeric; codes of a wide file line up", () => {
    const rows = Array.from({ length: 50 }, (_, r) => [...Array.from({ length: 20 }, (_, c) => (r * c) % 300), r % 10].join(","));
    const t = parse(rows.join("\n"));
    expect(t.columns.length).toBe(21);
    for (let c = 0; c < 21; c++) expect(values(t, c)).toEqual(rows.map((_, r) => (c < 20 ? (r * c) % 300 : r % 10)));
  });
});

describe("numbers are exactly Math.fround(Number(text))", () => {
  const digits = (min: number, max: number) =>
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(""));
  /** Decimal text as CSVs hold it: sign, integer and fraction digits (many), an exponent now and then. */
  const decimal = fc
    .tuple(
      fc.constantFrom("", "", "-", "+"),
      digits(0, 22),
      fc.option(digits(0, 25), { nil: undefined }),
      fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "-", "+"), fc.integer({ min: 0, max: 45 })), { nil: undefined, freq: 3 }),
    )
    .map(([sign, int, frac, exp]) => sign + int + (frac === undefined ? "" : "." + frac) + (exp ? exp[0] + exp[1] + exp[2] : ""))
    .filter((s) => /\d/.test(s.replace(/[eE].*/, "")) && Number.isFinite(Math.fround(Number(s))));
  /** Doubles written as JavaScript writes them (1e-7, 123.456, 5e+30), within the f32 range. */
  const written = fc
    .double({ noNaN: true, noDefaultInfinity: true, min: -3.4e38, max: 3.4e38 })
    .map(String);
  const cellText = fc.oneof(decimal, written, fc.integer({ min: 0, max: 9999 }).map(String));

  it("random decimals with many digits, one per row", () => {
    fc.assert(
      fc.property(fc.array(cellText, { minLength: 1, maxLength: 40 }), (cells) => {
        const t = parse(cells.join("\n"), { header: "no" });
        expect(t.rows).toBe(cells.length);
        const got = t.columns[0].values!;
        cells.forEach((s, i) => expect(got[i], s).toBe(Math.fround(Number(s))));
      }),
      { numRuns: 400 },
    );
  });

  it("random grids: blanks, quotes, line ends and a missing final line end do not change a value", () => {
    const styled = fc.tuple(cellText, fc.constantFrom("", " ", "\t"), fc.constantFrom("", " "), fc.boolean());
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((w) => fc.array(fc.array(styled, { minLength: w, maxLength: w }), { minLength: 1, maxLength: 12 })),
        fc.constantFrom("\n", "\r\n", "\r"),
        fc.boolean(),
        (grid, eol, finalEol) => {
          const text = grid.map((row) => row.map(([s, pre, post, q]) => pre + (q ? `"${s}"` : s) + post).join(",")).join(eol) + (finalEol ? eol : "");
          const t = parse(text, { header: "no" });
          expect(t.rows).toBe(grid.length);
          grid.forEach((row, r) => row.forEach(([s], c) => expect(t.columns[c].values![r], s).toBe(Math.fround(Number(s)))));
        },
      ),
      { numRuns: 300 },
    );
  });

  /** The point halfway between the f32 with these bits and the next one up: where f32 rounding is decided. */
  const midpoint = (bits: number) => {
    const f = new Float32Array(2);
    new Uint32Array(f.buffer).set([bits, bits + 1]);
    return (f[0] + f[1]) / 2;
  };
  /** f32 bit patterns of positive numbers from about 1e-6 to 1e11 (so that most take the fast path). */
  const f32Bits = fc.integer({ min: 0x358637bd, max: 0x51ba43b7 });

  it("decimals at and near the midpoints between f32s, written with 6 to 21 digits", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(f32Bits, fc.integer({ min: 6, max: 21 }), fc.constantFrom("", "-")), { minLength: 1, maxLength: 30 }), (cells) => {
        const text = cells.map(([bits, digits, sign]) => sign + midpoint(bits).toPrecision(digits));
        const t = parse(text.join("\n"), { header: "no" });
        text.forEach((s, i) => expect(t.columns[0].values![i], s).toBe(Math.fround(Number(s))));
      }),
      { numRuns: 300 },
    );
  });

  /** N / 10^k written as a decimal. */
  const decimalText = (N: bigint, k: number) => {
    const d = N.toString().padStart(k + 1, "0");
    return k === 0 ? d : d.slice(0, d.length - k) + "." + d.slice(d.length - k);
  };
  /** A positive double as N / 10^k, exactly. */
  const exactly = (x: number): [bigint, number] => {
    let e = 0;
    while (!Number.isInteger(x)) { x *= 2; e++; }
    return [BigInt(x) * 5n ** BigInt(e), e];
  };

  it("a decimal just off a midpoint rounds away from it, however many digits it takes", () => {
    const cells: string[] = [];
    for (const bits of [0x4b800000, 0x3f800000, 0x42c80000, 0x4e6e6b28, 0x3dcccccd, 0x4b3fffff, 0x358637bd, 0x51ba43b7]) {
      const [N, k] = exactly(midpoint(bits));
      cells.push(decimalText(N, k));
      for (const j of [1, 5, 12, 25]) {
        const scale = 10n ** BigInt(j);
        cells.push(decimalText(N * scale + 1n, k + j), decimalText(N * scale - 1n, k + j));
      }
    }
    cells.push("16777217.000001", "16777217.00000000001", "16777216.99999999999", "16777217", "16777219", "33554434.999999999999999999");
    const t = parse(cells.join("\n"), { header: "no" });
    expect(t.columns[0].kind).toBe("number");
    cells.forEach((s, i) => expect(t.columns[0].values![i], s).toBe(Math.fround(Number(s))));
    // a nudge that survives in f64 decides the f32; one below f64's precision leaves a tie, which goes to even
    // (this is Math.fround(Number(text)), rounded twice, by design: not the f32 nearest the decimal itself)
    const at = (s: string) => t.columns[0].values![cells.indexOf(s)];
    expect([at("16777217.000001"), at("16777217.00000000001"), at("16777217")]).toEqual([16777218, 16777216, 16777216]);
  });

  it("edge cases of the number grammar", () => {
    const cells = ["0", "-0", "007", "1.", ".5", "-.5e1", "1e0", "1E+2", "3.4028234e38", "-3.4028235e38", "1e-46",
      "0.1", "16777217", "9007199254740993", "123456789012345678901234567890", "1e22", "1e23", "4.9e-324", "999",
      "0.000000000000000000000001", "12345678901234567.5e-3"];
    const t = parse(cells.join("\n"));
    cells.forEach((s, i) => expect(t.columns[0].values![i], s).toBe(Math.fround(Number(s))));
    // not numbers: words
    for (const w of ["1.2.3", "0x10", "1e", "e5", "-", ".", "+-1", "1 2", "1_000", "١"]) {
      expect(parse(`a\n1\n${w}\n`).columns[0].kind, w).toBe("category");
    }
  });

  it("a numeric file reads as parseCsv in src/data/csv.ts reads it", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }).chain((f) =>
          fc.array(fc.tuple(fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(String)), { minLength: f, maxLength: f }), fc.integer({ min: 0, max: 9 })), { minLength: 1, maxLength: 30 })),
        fc.constantFrom("\n", "\r\n"),
        (rows, eol) => {
          const text = rows.map(([x, y]) => [...x, y].join(",")).join(eol) + eol;
          const d = parseCsv(text, F);
          const t = parse(text);
          const f = d.features;
          expect(t.rows).toBe(d.n);
          expect(t.columns.length).toBe(f + 1);
          for (let c = 0; c < f; c++) {
            const v = t.columns[c].values!;
            for (let r = 0; r < d.n; r++) expect(v[r]).toBe(d.X[r * f + c]);
          }
          expect(Array.from(t.columns[f].values!)).toEqual(Array.from(d.y));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("words survive quoting", () => {
  it("random words, quoted with doubled quotes, read back trimmed", () => {
    const word = fc
      .string({ unit: fc.constantFrom("a", "b", "Z", "é", "語", " ", ",", '"', "\n", "\r\n", "-", "1", "?", "'"), minLength: 1, maxLength: 12 })
      .filter((s) => {
        const t = s.replace(/^[ \t]+|[ \t]+$/g, "");
        return t !== "" && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && !["NA", "N/A", "n/a", "?"].includes(t);
      });
    fc.assert(
      fc.property(fc.array(fc.array(word, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 10 }), (grid) => {
        const text = grid.map((row) => row.map((w) => `"${w.replaceAll('"', '""')}"`).join(",")).join("\n");
        const t = parse(text, { header: "no" });
        expect(t.rows).toBe(grid.length);
        for (let c = 0; c < 2; c++) expect(texts(t, c)).toEqual(grid.map((row) => row[c].replace(/^[ \t]+|[ \t]+$/g, "")));
      }),
      { numRuns: 200 },
    );
  });

  it("many categories, some written two ways (quoted with doubled quotes, or bare with a quote inside)", () => {
    const words = Array.from({ length: 60 }, (_, i) => (i % 7 === 3 ? `w${i}"q` : `w${i}`));
    const cells: string[] = [];
    const want: string[] = [];
    for (let r = 0; r < 400; r++) {
      const w = words[(r * 37 + (r >> 3)) % words.length];
      const quoted = w.includes('"') ? r % 2 === 0 : r % 3 === 0;
      cells.push(quoted ? `"${w.replaceAll('"', '""')}"` : w);
      want.push(w);
    }
    const t = parse(cells.map((c, r) => `${c},${r}`).join("\n"), { header: "no" });
    expect(texts(t, 0)).toEqual(want);
    expect(t.columns[0].categories).toEqual([...new Set(want)]);
  });
});

describe("malformed input: a DataError naming the file and line", () => {
  it("an empty file, or one of blank lines", () => {
    for (const text of ["", "\n\n", "  \r\n\t\n", "\uFEFF"]) expect(fails(text)).toBe(`${F}: the file is empty`);
  });

  it("a header without data", () => {
    expect(fails("a,b,c\n")).toBe(`${F}: has a header line but no data rows`);
    expect(fails("a,b,c\n\n\n")).toBe(`${F}: has a header line but no data rows`);
    expect(fails("1,2\n", { header: "yes" })).toBe(`${F}: has a header line but no data rows`);
  });

  it("a row with too few or too many fields", () => {
    expect(fails("a,b,c\n1,2,3\n4,5\n")).toBe(`${F}:3: expected 3 fields (as on line 1), found 2`);
    expect(fails("a,b,c\n1,2,3\n4,5,6,7,8\n")).toBe(`${F}:3: expected 3 fields (as on line 1), found 5`);
    expect(fails("1,2,3\n4,5,6,\n")).toBe(`${F}:2: expected 3 fields (as on line 1), found 4`);
    expect(fails("a,b\nx,y\nz,w,\"q,r\"\n")).toBe(`${F}:3: expected 2 fields (as on line 1), found 3`);
    expect(fails("1\n2,3\n")).toBe(`${F}:2: expected 1 field (as on line 1), found 2`);
  });

  it("an unterminated quote, or text after a closing quote", () => {
    expect(fails('a,b\n1,2\n3,"x\n4,5\n')).toBe(`${F}:3: a quoted field (column 2) has no closing quote`);
    expect(fails('"a,b\n1,2\n')).toBe(`${F}:1: a quoted field (column 1) has no closing quote`);
    expect(fails('a,b\n1,"x"y\n')).toBe(`${F}:2: column 2 has text after its closing quote`);
  });

  it("a non-finite number, or one beyond f32, in a numeric column", () => {
    for (const bad of ["inf", "-inf", "Infinity", "-INFINITY", "+Inf", "1e999"]) {
      expect(fails(`a,b\n1,2\n3,${bad}\n`)).toBe(`${F}:3: column "b" (column 2) is not a finite number: ${JSON.stringify(bad)}`);
    }
    expect(fails("a,b\n1,2\n3,1e39\n")).toBe(`${F}:3: column "b" (column 2) is 1e+39, beyond the range of 32-bit floats`);
    expect(fails("a,b\n1,2\n3,-4e38\n")).toBe(`${F}:3: column "b" (column 2) is -4e+38, beyond the range of 32-bit floats`);
    // the earliest problem wins, a gap or a bad number
    expect(fails("a,b\n1,\n3,inf\n")).toBe(`${F}:2: column "b" (column 2) is missing a value`);
    expect(fails("a,b\n1,inf\n3,\n")).toBe(`${F}:2: column "b" (column 2) is not a finite number: "inf"`);
    // drop does not drop it: it is no gap
    expect(fails("a,b\n1,2\ninf,3\n", { missing: "drop" })).toContain(`${F}:3: column "a" (column 1)`);
    expect(fails("inf,1\n2,3\n")).toBe(`${F}:1: column "column 1" (column 1) is not a finite number: "inf"`);
  });

  it("gzip bytes and oversized inputs are refused up front", () => {
    expect(() => parseTable(new Uint8Array([0x1f, 0x8b, 8, 0]), F)).toThrow(`${F}: is gzip-compressed; inflate it first`);
    expect(() => parse("1,2\n3,4\n", { maxBytes: 4 })).toThrow(`${F}: is 8 bytes, more than the 4 bytes limit for data files`);
    expect(() => parse("1,2\n", { header: "maybe" as "yes" })).toThrow(TypeError);
  });

  it("bytes that are a view into a larger buffer", () => {
    const all = enc.encode("xxxxa,b\n1,2\n3,4\nyyyy");
    const t = parseTable(all.subarray(4, all.length - 4), F);
    expect([t.names, values(t, 0), values(t, 1)]).toEqual([["a", "b"], [1, 3], [2, 4]]);
  });
});
