// The CSV loader: every malformed input is a DataError that names the file (and, for a bad row, its 1-based
// line); well-formed inputs parse as written; the bundled digits file is the 1797 × 64 data set.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { DIGITS_RULES, parseCsv, type CsvRules } from "../src/data/csv.js";
import { loadCsv, loadDigits } from "../src/data/datasets.js";
import { DataError } from "../src/errors.js";

const F = "my/data.csv";
const DIGITS_CSV = fileURLToPath(new URL("../data/digits.csv.gz", import.meta.url));

/** Runs fn, expects a DataError, and returns its message. */
async function dataError(fn: () => unknown): Promise<string> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  expect(err, "expected a DataError, nothing was thrown").toBeDefined();
  expect(err).toBeInstanceOf(DataError);
  return (err as DataError).message;
}

/** A parse of `text` must fail at 1-based `line` of F. */
async function failsAt(text: string, line: number, rules: CsvRules = {}): Promise<string> {
  const msg = await dataError(() => parseCsv(text, F, rules));
  expect(msg).toContain(`${F}:${line}:`);
  return msg;
}

/** A digits-shaped row: 64 pixels then a label. */
function digitRow(pixels: (number | string)[] = [], label: number | string = 3): string {
  const p: (number | string)[] = Array.from({ length: 64 }, (_, i) => (i * 5) % 17);
  pixels.forEach((v, i) => (p[i] = v));
  return [...p, label].join(",");
}
const good = digitRow();

/** A digits file whose third line carries `bad` in pixel column 10. */
const withBadPixel = (bad: string | number) => [good, good, digitRow(Object.assign(new Array(10).fill(1), { 9: bad })), good].join("\n");

describe("malformed input: DataError naming the file and line", () => {
  it("ragged row (64 values where 65 are due)", async () => {
    const short = good.split(",").slice(0, 64).join(",");
    const msg = await failsAt([good, short, good].join("\n"), 2, DIGITS_RULES);
    expect(msg).toMatch(/65/);
    expect(msg).toMatch(/64/);
    // without rules the width comes from the first row, so a ragged row is just as wrong
    await failsAt(["1,2,3,0", "1,2,0", "1,2,3,1"].join("\n"), 2);
    await failsAt(["1,2,3,0", "1,2,3,4,0"].join("\n"), 2);
  });

  it("non-numeric cell", async () => {
    const msg = await failsAt(withBadPixel("abc"), 3, DIGITS_RULES);
    expect(msg).toContain("column 10");
    await failsAt(withBadPixel("1.2.3"), 3, DIGITS_RULES);
    await failsAt(withBadPixel("0x10"), 3, DIGITS_RULES);
    await failsAt(withBadPixel(""), 3, DIGITS_RULES);
    await failsAt(["1,2,0", "3,x,1"].join("\n"), 2);
  });

  it("NaN or Infinity cell", async () => {
    for (const bad of ["NaN", "nan", "Infinity", "-Infinity", "inf", "-inf"]) {
      await failsAt(["0.5,1,0", `2,${bad},1`, "3,4,1"].join("\n"), 2);
      await failsAt(withBadPixel(bad), 3, DIGITS_RULES);
    }
  });

  it("pixel outside 0..16 with DIGITS_RULES", async () => {
    await failsAt(withBadPixel(17), 3, DIGITS_RULES);
    await failsAt(withBadPixel(-1), 3, DIGITS_RULES);
    await failsAt(withBadPixel(1e9), 3, DIGITS_RULES);
    // the bounds themselves are fine
    expect(parseCsv(withBadPixel(16), F, DIGITS_RULES).n).toBe(4);
    expect(parseCsv(withBadPixel(0), F, DIGITS_RULES).n).toBe(4);
  });

  it("non-integer pixel with DIGITS_RULES", async () => {
    await failsAt(withBadPixel(2.5), 3, DIGITS_RULES);
    await failsAt(withBadPixel("0.1"), 3, DIGITS_RULES);
    // without the rule fractions are fine
    expect(parseCsv(["0.25,1,0", "2,-3.5e-1,1"].join("\n"), F).X[3]).toBeCloseTo(-0.35, 6);
  });

  it("label 10, -1, 2.5 (and non-numeric) with DIGITS_RULES", async () => {
    for (const bad of [10, -1, 2.5, "x", "", "NaN", "inf"]) {
      const msg = await failsAt([good, good, digitRow([], bad)].join("\n"), 3, DIGITS_RULES);
      expect(msg).toMatch(/label/);
    }
    // 0 and 9 are fine
    expect(parseCsv([digitRow([], 0), digitRow([], 9)].join("\n"), F, DIGITS_RULES).y).toEqual(new Uint8Array([0, 9]));
  });

  it("label that is negative, fractional or too large without rules", async () => {
    await failsAt(["1,2,0", "1,2,-1"].join("\n"), 2);
    await failsAt(["1,2,0", "1,2,0.5"].join("\n"), 2);
    await failsAt(["1,2,0", "1,2,256"].join("\n"), 2);
  });

  it("a first row with one bad cell is an error on line 1, not a header", () => {
    const row = Array.from({ length: 64 }, (_, i) => (i === 5 ? "abc" : "3")).join(",") + ",7";
    expect(() => parseCsv(row + "\n" + row.replace("abc", "4") + "\n", "first.csv", DIGITS_RULES)).toThrow(
      /^first\.csv:1: column 6 is not a number: "abc"$/,
    );
    expect(() => parseCsv("1,2,3,label\n1,2,3,4\n", "mixed.csv")).toThrow(/^mixed\.csv:1: the label/);
  });

  it("label 255 is refused: it marks a row without a label", () => {
    expect(() => parseCsv("1,255\n2,0\n", "l.csv")).toThrow(DataError);
  });

  it("line numbers count a header line", async () => {
    await failsAt(["a,b,label", "1,2,0", "1,zz,1"].join("\n"), 3);
  });

  it("empty file", async () => {
    for (const text of ["", "\n", "\n\n  \n", "\r\n"]) {
      expect(await dataError(() => parseCsv(text, F))).toContain(F);
    }
  });

  it("header only", async () => {
    for (const text of ["a,b,label", "a,b,label\n", "a,b,label\r\n\r\n"]) {
      expect(await dataError(() => parseCsv(text, F))).toContain(F);
    }
  });

  describe("files", () => {
    let dir = "";
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "wasm-mlp-csv-"));
    });
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("a file named .gz that is not gzip", async () => {
      const path = join(dir, "plain.csv.gz");
      await writeFile(path, "1,2,0\n3,4,1\n");
      expect(await dataError(() => loadCsv(path))).toContain(path);
    });

    it("truncated gzip", async () => {
      const gz = gzipSync(Buffer.from([good, good, good].join("\n") + "\n"));
      // cut inside the deflate stream, and cut only the 8-byte trailer (CRC and length)
      for (const cut of [Math.floor(gz.length / 2), gz.length - 4, 12]) {
        const path = join(dir, `cut${cut}.csv.gz`);
        await writeFile(path, gz.subarray(0, cut));
        expect(await dataError(() => loadCsv(path, DIGITS_RULES))).toContain(path);
      }
    });

    it("corrupt gzip that is not named .gz", async () => {
      const gz = gzipSync(Buffer.from("1,2,0\n"));
      const path = join(dir, "noext.csv");
      await writeFile(path, gz.subarray(0, gz.length - 3));
      expect(await dataError(() => loadCsv(path))).toContain(path);
    });

    it("missing file", async () => {
      const path = join(dir, "no-such-file.csv");
      expect(await dataError(() => loadCsv(path))).toContain(path);
    });

    it("a directory", async () => {
      expect(await dataError(() => loadCsv(dir))).toContain(dir);
    });

    it("a row error in a gzip file still names the file and line", async () => {
      const path = join(dir, "bad.csv.gz");
      await writeFile(path, gzipSync(Buffer.from(withBadPixel(17))));
      const msg = await dataError(() => loadCsv(path, DIGITS_RULES));
      expect(msg).toContain(`${path}:3:`);
    });

    it("a valid gzip and a plain file with the same rows load the same", async () => {
      const text = "f1,f2,f3,y\n1,2,3,0\n4,5,6,2\r\n";
      await writeFile(join(dir, "ok.csv"), text);
      await writeFile(join(dir, "ok.csv.gz"), gzipSync(Buffer.from(text)));
      const a = await loadCsv(join(dir, "ok.csv"));
      const b = await loadCsv(join(dir, "ok.csv.gz"));
      expect(b).toEqual(a);
      expect(a.n).toBe(2);
    });
  });
});

describe("well-formed input", () => {
  it("a header line is detected and skipped", () => {
    const d = parseCsv("x1,x2,label\n1,2,0\n3,4,1\n", F);
    expect(d.n).toBe(2);
    expect(d.features).toBe(2);
    expect(Array.from(d.X)).toEqual([1, 2, 3, 4]);
    expect(Array.from(d.y)).toEqual([0, 1]);
  });

  it("no header: the first line is data", () => {
    const d = parseCsv("1,2,0\n3,4,1", F);
    expect(d.n).toBe(2);
    expect(Array.from(d.X)).toEqual([1, 2, 3, 4]);
  });

  it("CRLF line endings and a trailing newline", () => {
    const lf = parseCsv("1,2,0\n3,4,2\n5,6,1\n", F);
    const crlf = parseCsv("1,2,0\r\n3,4,2\r\n5,6,1\r\n", F);
    const bare = parseCsv("1,2,0\n3,4,2\n5,6,1", F);
    expect(crlf).toEqual(lf);
    expect(bare).toEqual(lf);
    expect(lf.n).toBe(3);
    expect(lf.classes).toBe(3);
    expect(Array.from(lf.y)).toEqual([0, 2, 1]);
  });

  it("spaces around cells, signs and exponents", () => {
    const d = parseCsv(" 1 , -2.5e0 ,0\n+3,.5, 1 \n", F);
    expect(Array.from(d.X)).toEqual([1, -2.5, 3, 0.5]);
    expect(Array.from(d.y)).toEqual([0, 1]);
  });

  it("classes: from the rules, else the largest label + 1", () => {
    expect(parseCsv("1,0\n2,4\n", F).classes).toBe(5);
    expect(parseCsv(good + "\n", F, DIGITS_RULES).classes).toBe(10);
  });
});

describe("the built-in digits (from data/digits.csv.gz)", () => {
  it("load as 1797 × 64 with 10 classes, matching an independent parse of the CSV", async () => {
    const d = await loadDigits();
    expect(d.n).toBe(1797);
    expect(d.features).toBe(64);
    expect(d.classes).toBe(10);
    expect(d.X.length).toBe(1797 * 64);
    expect(d.y.length).toBe(1797);

    const counts = new Array(10).fill(0);
    for (const c of d.y) counts[c]++;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1797);
    for (const c of counts) expect(c >= 170 && c <= 190, `class counts ${counts}`).toBe(true);

    // first row: scikit-learn's digits[0], a zero
    expect(Array.from(d.X.subarray(0, 64))).toEqual([
      0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0,
      0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0,
    ]);
    expect(d.y[0]).toBe(0);

    // every value, against node:zlib and a plain split
    const rows = gunzipSync(readFileSync(DIGITS_CSV)).toString("utf8").trim().split("\n").map((l) => l.split(",").map(Number));
    expect(rows.length).toBe(1797);
    expect(Array.from(d.X)).toEqual(rows.flatMap((r) => r.slice(0, 64)));
    expect(Array.from(d.y)).toEqual(rows.map((r) => r[64]));
  });

  it("are the same as the CSV through loadDigits(path), and each call gets arrays of its own", async () => {
    const built = await loadDigits(), parsed = await loadDigits(DIGITS_CSV);
    expect(parsed).toEqual(built);
    built.X[0] = 99;
    expect((await loadDigits()).X[0]).toBe(0);
  });
});
