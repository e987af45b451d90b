// Wrong data files. The long list runs against the loader (parseCsv/decodeText/loadCsv); a representative
// set runs through the CLIs as a user would, checking the one-line contract and that a model file already
// at the --save path survives untouched.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeText, DIGITS_RULES, parseCsv, type CsvRules } from "../../src/data/csv.js";
import { loadCsv } from "../../src/data/datasets.js";
import { DataError } from "../../src/errors.js";
import {
  DIGITS, ensureBuilt, expectUntouched, expectUserError, listDir, plantFile, predict, smallCsv, tempDir, train,
  type FileSnapshot, removeTempDirs,
  expectTypedError,
} from "./helpers.js";

afterAll(removeTempDirs);

const expectDataError = (fn: () => unknown, ...patterns: (string | RegExp)[]) => expectTypedError(DataError, fn, ...patterns);

const row = (cells: (string | number)[]) => cells.join(",");
const digitsRow = (pixels: (string | number)[], label: string | number = 0) => row([...pixels, label]);
const pixels = (v: string | number = 0) => Array<string | number>(64).fill(v);

describe("CSV loader (library): every problem is a DataError naming file and line", () => {
  const cases: [string, string, CsvRules | undefined, (string | RegExp)[]][] = [
    ["empty file", "", undefined, ["f.csv", "empty"]],
    ["only blank lines", "\n\n  \n", undefined, ["f.csv", "empty"]],
    ["header only", "a,b,label\n", undefined, ["f.csv", /header/]],
    ["ragged row: too few", "1,2,0\n3,4,1\n5,1\n", undefined, ["f.csv:3", "expected 3", "found 2"]],
    ["ragged row: too many", "1,2,0\n3,4,5,1\n", undefined, ["f.csv:2", "expected 3", "found 4"]],
    ["ragged row after a header", "x,y,label\n1,2,0\n3\n", undefined, ["f.csv:3", "found 1"]],
    ["non-numeric cell", "1,2,0\n3,abc,1\n", undefined, ["f.csv:2", "column 2", "not a number", '"abc"']],
    ["empty cell", "1,,0\n", undefined, ["f.csv:1", "column 2", "(empty)"]],
    ["hex is not a number", "1,0x10,0\n", undefined, ["f.csv:1", "column 2"]],
    ["NaN", "1,2,0\nNaN,2,1\n", undefined, ["f.csv:2", "column 1", /finite/]],
    ["nan (lower case)", "1,nan,0\n", undefined, ["f.csv:1", "column 2", /finite/]],
    ["Infinity", "1,Infinity,0\n", undefined, ["f.csv:1", "column 2", /finite/]],
    ["-inf", "-inf,1,0\n", undefined, ["f.csv:1", "column 1", /finite/]],
    ["label not an integer", "1,2,0\n3,4,1.5\n", undefined, ["f.csv:2", "label", '"1.5"']],
    ["label negative", "1,2,-1\n", undefined, ["f.csv:1", "label", '"-1"']],
    ["label too large for a byte", "1,2,256\n", undefined, ["f.csv:1", "label", '"256"']],
    ["label is text", "1,2,cat\n", undefined, ["f.csv:1", "label", '"cat"']],
    ["label missing (trailing comma)", "1,2,\n", undefined, ["f.csv:1", "label", "(empty)"]],
    ["digits: pixel above 16", digitsRow(pixels(16).map((v, i) => (i === 5 ? 17 : v))), DIGITS_RULES, ["f.csv:1", "column 6", "0..16"]],
    ["digits: pixel below 0", digitsRow(pixels(0).map((v, i) => (i === 63 ? -1 : v))), DIGITS_RULES, ["f.csv:1", "column 64", "0..16"]],
    ["digits: fractional pixel", digitsRow(pixels(2).map((v, i) => (i === 0 ? 2.5 : v))), DIGITS_RULES, ["f.csv:1", "column 1", "integer"]],
    ["digits: label 10", digitsRow(pixels(1), 10), DIGITS_RULES, ["f.csv:1", "label", "0..9"]],
    ["digits: wrong width", "1,2,3\n", DIGITS_RULES, ["f.csv:1", "expected 65"]],
  ];
  it.each(cases)("%s", (_name, text, rules, patterns) => {
    expectDataError(() => parseCsv(text, "f.csv", rules), ...patterns);
  });

  it("a value beyond float32's range (1e39) is refused, not stored as Infinity", () => {
    // parseCsv checks Number.isFinite on the f64 value, then stores it in a Float32Array, where 1e39 is Infinity
    expectDataError(() => parseCsv("1,2,0\n3,1e39,1\n", "f.csv"), "f.csv:2", "column 2");
  });

  it("a very wide row (20,000 features) loads, and a bad cell in it is named by column, in a short message", () => {
    const r = Array.from({ length: 20000 }, (_, i) => String(i % 17));
    const good = parseCsv(`${row([...r, 0])}\n${row([...r, 1])}\n`, "wide.csv");
    expect(good.features).toBe(20000);
    expect(good.n).toBe(2);
    const bad = [...r];
    bad[15000] = "oops";
    const msg = expectDataError(() => parseCsv(`${row([...r, 0])}\n${row([...bad, 1])}\n`, "wide.csv"), "wide.csv:2", "column 15001", '"oops"');
    expect(msg.length).toBeLessThan(200);
    // a 10 kB garbage cell is quoted, not dumped
    const huge = [...r];
    huge[3] = "x".repeat(10000);
    expect(expectDataError(() => parseCsv(row([...huge, 0]), "wide.csv"), "column 4").length).toBeLessThan(200);
  });

  it("a file named .gz that is not gzip, and a truncated gzip", async () => {
    await expect(decodeText(new TextEncoder().encode("1,2,0\n") as Uint8Array<ArrayBuffer>, "d.csv.gz")).rejects.toThrow(DataError);
    await expect(decodeText(new TextEncoder().encode("1,2,0\n") as Uint8Array<ArrayBuffer>, "d.csv.gz")).rejects.toThrow(/d\.csv\.gz.*gzip/);
    const gz = gzipSync(smallCsv(200));
    for (const cut of [3, 10, Math.floor(gz.length / 2), gz.length - 4]) {
      const truncated = new Uint8Array(gz.subarray(0, cut));
      await expect(decodeText(truncated, "d.csv.gz"), `cut at ${cut}`).rejects.toThrow(DataError);
    }
    // a gzip with a flipped byte in its body fails its CRC
    const flipped = new Uint8Array(gz);
    flipped[Math.floor(gz.length / 2)] ^= 0xff;
    await expect(decodeText(flipped, "d.csv.gz")).rejects.toThrow(DataError);
  });

  it("a missing path and a directory are DataErrors naming the path", async () => {
    const dir = await tempDir();
    await expect(loadCsv(join(dir, "nope.csv"))).rejects.toThrow(DataError);
    await expect(loadCsv(join(dir, "nope.csv"))).rejects.toThrow(/nope\.csv: no such file/);
    await expect(loadCsv(dir)).rejects.toThrow(/is a directory/);
  });
});

describe.concurrent("CLI: wrong data files", () => {
  let dir: string;
  let planted = 0;
  const digitsModel = () => join(dir, "digits.wmlp");

  beforeAll(async () => {
    await ensureBuilt();
    dir = await tempDir();
    const files: Record<string, string | Uint8Array> = {
      "empty.csv": "",
      "fake.csv.gz": smallCsv(),
      "truncated.csv.gz": gzipSync(smallCsv(200)).subarray(0, 300),
      "header.csv": "p1,p2,p3,label\n",
      "ragged.csv": "1,2,3,0\n4,5,6,1\n7,8,2\n",
      "text.csv": "1,2,3,0\n4,5,six,1\n",
      "nan.csv": "1,2,3,0\n4,NaN,6,1\n",
      "inf.csv": "1,2,3,0\n4,5,Infinity,1\n",
      "overflow.csv": "1,2,3,0\n4,5,1e39,1\n",
      "label-frac.csv": "1,2,3,0\n4,5,6,0.5\n",
      "label-range.csv": "1,2,3,0\n4,5,6,300\n",
      "one-class.csv": "1,2,3,0\n4,5,6,0\n7,8,9,0\n",
      "one-class-7.csv": "1,2,3,7\n4,5,6,7\n7,8,9,7\n",
      "five.csv": smallCsv(5, 4, 2),
      "one-row.csv": "1,2,3,0\n",
      "two-rows.csv": "1,2,3,0\n4,5,6,1\n",
      "digits17.csv": digitsRow(pixels(3).map((v, i) => (i === 9 ? 17 : v)), 4) + "\n",
    };
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    // very wide: 20,000 features, 6 rows
    const wide = Array.from({ length: 6 }, (_, i) => row([...Array.from({ length: 20000 }, (_, j) => (i * 7 + j) % 17), i % 2])).join("\n");
    await writeFile(join(dir, "wide.csv"), wide + "\n");
    const r = await train(["--epochs", "1", "--save", digitsModel()], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  /**
   * Runs train on a data file with --save pointing at a model file the user already has (its own per test,
   * so one test's failure cannot spill into another), and checks the contract and that the file survived.
   */
  async function trainFails(data: string, mentions: (string | RegExp)[], extra: string[] = [], code?: number) {
    const name = `existing-${++planted}.wmlp`;
    const existing = await plantFile(join(dir, name), "WMLP-a-model-the-user-cares-about");
    const r = await train(["--data", data, "--epochs", "2", "--save", name, ...extra], { cwd: dir });
    const line = expectUserError(r, { tool: "train", mentions, code });
    await expectUntouched(existing);
    return line;
  }

  it("missing file", () => trainFails("nope.csv", ["nope.csv", "no such file"]));
  it("a directory instead of a file", () => trainFails(".", [/: is a directory/]));
  it("empty file", () => trainFails("empty.csv", ["empty.csv", "empty"]));
  it("named .gz but not gzip", () => trainFails("fake.csv.gz", ["fake.csv.gz", "gzip"]));
  it("truncated gzip", () => trainFails("truncated.csv.gz", ["truncated.csv.gz", "gzip"]));
  it("a header only", () => trainFails("header.csv", ["header.csv", "header"]));
  it("ragged rows", () => trainFails("ragged.csv", ["ragged.csv:3", "expected 4", "found 3"]));
  it("non-numeric cell", () => trainFails("text.csv", ["text.csv:2", "column 3", '"six"']));
  it("NaN cell (a gap)", () => trainFails("nan.csv", ["nan.csv:2", "column 2", "missing a value"]));
  it("Infinity cell", () => trainFails("inf.csv", ["inf.csv:2", "column 3", /finite/]));
  it("a cell beyond float32 range (1e39)", () => trainFails("overflow.csv", ["overflow.csv:2", "column 3"]));
  it("label not an integer", () => trainFails("label-frac.csv", ["label-frac.csv:2", "label", '"0.5"']));
  it("label out of range", () => trainFails("label-range.csv", ["label-range.csv:2", "label", '"300"']));
  it("a single class (all labels 0)", () => trainFails("one-class.csv", ["one-class.csv", /class/]));
  it("a single class (all labels 7)", () => trainFails("one-class-7.csv", ["one-class-7.csv", /class/]));
  it("fewer rows than the batch", () => trainFails("five.csv", ["--batch 6", "5 training rows"], ["--batch", "6"], 2));
  it("fewer rows than the split needs", () => trainFails("two-rows.csv", [/split/, "0.2", /2 rows/], ["--test-split", "0.2"]));

  it("a single row (so a single class)", () => trainFails("one-row.csv", ["one-row.csv", /two classes/]));

  it("very wide rows (20,000 features) train and save", async () => {
    const r = await train(["--data", "wide.csv", "--epochs", "1", "--hidden", "4", "--save", "wide.wmlp"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("MLP 20000-4-2");
  });

  it("predict: pixels out of the range the model was trained on (17 for digits) name file, line and column", async () => {
    const r = await predict(["--model", digitsModel(), "--data", "digits17.csv"], { cwd: dir });
    expectUserError(r, { tool: "predict", mentions: ["digits17.csv:1", "column 10", "17", "0..16"], stdoutEmpty: true });
  });

  it("evaluate: a label the model does not know names the file and row", async () => {
    await writeFile(join(dir, "lab12.csv"), digitsRow(pixels(3), 12) + "\n");
    const r = await predict(["--evaluate", "--model", digitsModel(), "--data", "lab12.csv"], { cwd: dir });
    expectUserError(r, { tool: "evaluate", mentions: ["lab12.csv", /row 1|:1/, "12"], stdoutEmpty: true });
  });
});

describe.concurrent("CLI: huge data files are refused with a size message, never a crash or a silent OOM", () => {
  // The CLI reads a file whole and decodes it to one string: V8 cannot hold a string over 512 MiB (0x1fffffe8
  // chars), and a CSV costs ~4 bytes of Float32 per value plus the wasm arena's copy. So a file (or a gzip's
  // inflated contents) above a fixed limit, at most 512 MiB and sensibly 256 MiB, must be refused up front
  // with a message giving its size and the limit. The test files are 600 MiB and 576 MiB: above any limit that
  // could work.
  let dir: string;
  let existing: FileSnapshot;
  beforeAll(async () => {
    await ensureBuilt();
    dir = await tempDir();
    existing = await plantFile(join(dir, "existing.wmlp"), "WMLP-keep-me");
    // a sparse file: 600 MiB long, no disk used
    const fh = await open(join(dir, "huge.csv"), "w");
    await fh.truncate(600 * 1024 * 1024);
    await fh.close();
    // a gzip bomb: ~0.9 MB on disk, 576 MiB of "1,2,0\n" rows inflated (nine gzip members)
    const member = gzipSync(Buffer.alloc(64 << 20, "1,2,0\n"), { level: 9 });
    await writeFile(join(dir, "bomb.csv.gz"), Buffer.concat(Array(9).fill(member)));
  }, 60_000);

  const SIZE = /\d+(\.\d+)? ?(B|bytes|KiB|kB|KB|MiB|MB|GiB|GB)\b/;
  const LIMIT = /limit|at most|larger than|too (large|big)|exceeds/i;

  it("a 600 MiB file", async () => {
    const r = await train(["--data", "huge.csv", "--epochs", "1", "--save", "existing.wmlp"], { cwd: dir, timeoutMs: 30_000 });
    expectUserError(r, { tool: "train", mentions: ["huge.csv", SIZE, LIMIT], stdoutEmpty: true });
    await expectUntouched(existing);
  });

  it("a small .gz that inflates to 576 MiB", async () => {
    const r = await train(["--data", "bomb.csv.gz", "--epochs", "1", "--save", "existing.wmlp"], { cwd: dir, timeoutMs: 30_000 });
    expectUserError(r, { tool: "train", mentions: ["bomb.csv.gz", SIZE, LIMIT], stdoutEmpty: true });
    await expectUntouched(existing);
    expect(await listDir(dir)).toEqual(["bomb.csv.gz", "existing.wmlp", "huge.csv"]);
  });

  it("the bundled digits (a normal file) still loads", async () => {
    const r = await train(["--data", DIGITS, "--epochs", "1", "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
  });
});
