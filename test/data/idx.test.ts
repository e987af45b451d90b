// The IDX reader: well-formed files of every type code parse to their values; every malformed file is a
// one-line DataError that names the file and what is wrong; and, when Debian's dataset-fashion-mnist package
// is installed, the real Fashion-MNIST files parse to their known shapes and class counts.

import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { isIdx, labelsFileFor, parseIdx, readIdxPair } from "../../src/data/idx.js";
import { DataError } from "../../src/errors.js";

const IMAGES = "my/train-images-idx3-ubyte";
const LABELS = "my/train-labels-idx1-ubyte";
const F = "my/values.idx";

/** Bytes per value and a big-endian writer for each type code: written here independently of the reader. */
const WRITERS: Record<number, [number, (v: DataView, o: number, x: number) => void]> = {
  0x08: [1, (v, o, x) => v.setUint8(o, x)],
  0x09: [1, (v, o, x) => v.setInt8(o, x)],
  0x0b: [2, (v, o, x) => v.setInt16(o, x)],
  0x0c: [4, (v, o, x) => v.setInt32(o, x)],
  0x0d: [4, (v, o, x) => v.setFloat32(o, x)],
  0x0e: [8, (v, o, x) => v.setFloat64(o, x)],
};

/**
 * An IDX file: the header for `code` and `dims`, then `values` big-endian, then `extra` zero bytes. With `at`,
 * the file starts `at` bytes into a larger buffer, as a Node Buffer from the shared pool can.
 */
function idx(code: number, dims: number[], values: ArrayLike<number> = [], { extra = 0, at = 0 } = {}): Uint8Array {
  const [size, write] = WRITERS[code] ?? [1, () => {}];
  const header = 4 + 4 * dims.length;
  const length = header + values.length * size + extra;
  const buf = new Uint8Array(at + length + 3).fill(0xa5);
  const bytes = buf.subarray(at, at + length);
  bytes.fill(0);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  v.setUint8(2, code);
  v.setUint8(3, dims.length);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  for (let i = 0; i < values.length; i++) write(v, header + i * size, values[i]);
  return bytes;
}

/** n images of rows × cols with pixel i = i % 251, and their labels. */
function pair(n: number, rows: number, cols: number, labels: number[] = Array.from({ length: n }, (_, i) => i % 3)) {
  const pixels = Array.from({ length: n * rows * cols }, (_, i) => i % 251);
  return { images: idx(0x08, [n, rows, cols], pixels), labels: idx(0x08, [labels.length], labels), pixels };
}

/** Runs fn, expects a one-line DataError that starts with `file: `, and returns its message. */
function dataError(fn: () => unknown, file: string): string {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, "expected a DataError, nothing was thrown").toBeDefined();
  expect(err).toBeInstanceOf(DataError);
  const msg = (err as DataError).message;
  expect(msg.startsWith(`${file}: `), `"${msg}" should start with the file name`).toBe(true);
  expect(msg).not.toContain("\n");
  return msg;
}

/** Each element the same, -0 and NaN included. */
function sameValues(actual: ArrayLike<number>, expected: ArrayLike<number>) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Object.is(actual[i], expected[i]), `index ${i}: ${actual[i]} vs ${expected[i]}`).toBe(true);
  }
}

describe("well-formed files", () => {
  it("uint8 parses to a view of the input, not a copy", () => {
    const values = Array.from({ length: 3 * 5 * 7 }, (_, i) => (i * 37) % 256);
    const bytes = idx(0x08, [3, 5, 7], values, { at: 5 });
    const a = parseIdx(bytes, F);
    expect(a.type).toBe(0x08);
    expect(a.dims).toEqual([3, 5, 7]);
    expect(a.data).toBeInstanceOf(Uint8Array);
    sameValues(a.data, values);
    expect(a.data.buffer).toBe(bytes.buffer);
    expect(a.data.byteOffset).toBe(bytes.byteOffset + 16);
  });

  it("a Node Buffer comes back as a plain Uint8Array view", () => {
    const buf = Buffer.from(idx(0x08, [3], [7, 8, 9]));
    const a = parseIdx(buf, F);
    expect(a.data.constructor).toBe(Uint8Array);
    expect(a.data.buffer).toBe(buf.buffer);
    sameValues(a.data, [7, 8, 9]);
  });

  const roundTrips: [number, Function, number[]][] = [
    [0x09, Int8Array, [-128, -1, 0, 1, 127]],
    [0x0b, Int16Array, [-32768, -257, -1, 0, 1, 258, 32767]],
    [0x0c, Int32Array, [-2147483648, -65536, -1, 0, 1, 16909060, 2147483647]],
    [0x0d, Float32Array, [-0, 0, 1.5, -2.25, Math.fround(Math.PI), Math.fround(1e-40), 3.4028234663852886e38, Infinity, -Infinity, NaN]],
    [0x0e, Float64Array, [-0, 0, Math.PI, -1e-300, 5e-324, Number.MAX_VALUE, Infinity, -Infinity, NaN]],
  ];
  for (const [code, Array_, values] of roundTrips) {
    it(`type code 0x${code.toString(16).padStart(2, "0")} (${Array_.name}) round-trips, from an odd offset`, () => {
      const bytes = idx(code, [values.length], values, { at: 3 });
      const a = parseIdx(bytes, F);
      expect(a.type).toBe(code);
      expect(a.dims).toEqual([values.length]);
      expect(a.data).toBeInstanceOf(Array_);
      sameValues(a.data, values);
    });
  }

  it("two, three and four dimensions keep their row-major order", () => {
    const v = Array.from({ length: 2 * 3 * 1 * 5 }, (_, i) => i - 10);
    for (const dims of [[30], [6, 5], [2, 3, 5], [2, 3, 1, 5]]) {
      const a = parseIdx(idx(0x0b, dims, v), F);
      expect(a.dims).toEqual(dims);
      sameValues(a.data, v);
    }
  });

  it("isIdx recognises the header and nothing else", () => {
    expect(isIdx(idx(0x08, [3, 2, 2], new Array(12).fill(1)))).toBe(true);
    expect(isIdx(idx(0x0e, [1, 1, 1, 1], [2.5]))).toBe(true);
    expect(isIdx(idx(0x08, [5]).subarray(0, 8))).toBe(true); // header only: recognised, though truncated
    expect(isIdx(new Uint8Array(0))).toBe(false);
    expect(isIdx(Uint8Array.of(0, 0, 8))).toBe(false);
    expect(isIdx(gzipSync(idx(0x08, [1], [1])))).toBe(false);
    expect(isIdx(new TextEncoder().encode("1,2,3,4\n5,6,7,8\n"))).toBe(false);
    expect(isIdx(idx(0x07, [1], [1]))).toBe(false);
    expect(isIdx(idx(0x08, []))).toBe(false);
    expect(isIdx(idx(0x08, [1, 1, 1, 1, 1], [1]))).toBe(false);
    expect(isIdx(idx(0x08, [2, 2, 2]).subarray(0, 15))).toBe(false);
  });
});

describe("readIdxPair on well-formed pairs", () => {
  it("7 images of 5x3: shape, pixel view, labels, classes from the largest label", () => {
    const p = pair(7, 5, 3, [0, 1, 2, 0, 1, 2, 2]);
    const r = readIdxPair(p.images, IMAGES, p.labels, LABELS);
    expect(r.images).toMatchObject({ n: 7, rows: 5, cols: 3, features: 15 });
    sameValues(r.images.pixels, p.pixels);
    expect(r.images.pixels.buffer).toBe(p.images.buffer);
    sameValues(r.labels, [0, 1, 2, 0, 1, 2, 2]);
    expect(r.labels.buffer).toBe(p.labels.buffer);
    expect(r.classes).toBe(3);
  });

  it("classes is at least 2, and a given classes is kept", () => {
    const p = pair(3, 2, 2, [0, 0, 0]);
    expect(readIdxPair(p.images, IMAGES, p.labels, LABELS).classes).toBe(2);
    expect(readIdxPair(p.images, IMAGES, p.labels, LABELS, 10).classes).toBe(10);
  });

  it("an impossible classes argument is a RangeError (a caller's bug, not a bad file)", () => {
    const p = pair(3, 2, 2);
    for (const c of [0, 1, 2.5, 256, NaN]) {
      expect(() => readIdxPair(p.images, IMAGES, p.labels, LABELS, c)).toThrow(RangeError);
    }
  });
});

describe("malformed headers: DataError naming the file", () => {
  it("too short for a header", () => {
    expect(dataError(() => parseIdx(new Uint8Array(0), F), F)).toBe(
      `${F}: too short for an IDX header (0 bytes; the magic number alone takes 4)`,
    );
    expect(dataError(() => parseIdx(Uint8Array.of(0, 0, 8), F), F)).toContain("too short for an IDX header (3 bytes");
    const cut = idx(0x08, [4, 2, 2], new Array(16).fill(0)).subarray(0, 13);
    expect(dataError(() => parseIdx(cut, F), F)).toBe(
      `${F}: too short for an IDX header (13 bytes; 3 dimensions need 16)`,
    );
  });

  it("wrong magic, and a hint when the bytes are still gzip", () => {
    const bad = idx(0x08, [1], [1]);
    bad[1] = 3;
    expect(dataError(() => parseIdx(bad, F), F)).toBe(
      `${F}: not an IDX file: it starts with 0x00 0x03 0x08 0x01, not two zero bytes`,
    );
    const gz = gzipSync(idx(0x08, [1], [1]));
    const msg = dataError(() => parseIdx(gz, F), F);
    expect(msg).toContain("not an IDX file: it starts with 0x1F 0x8B");
    expect(msg).toContain("gzip's magic: inflate the file first");
  });

  it("unknown type codes, listing the known ones", () => {
    for (const code of [0x00, 0x07, 0x0a, 0x0f, 0xff]) {
      const hex = "0x" + code.toString(16).toUpperCase().padStart(2, "0");
      expect(dataError(() => parseIdx(idx(code, [1], [1]), F), F)).toBe(
        `${F}: unknown IDX type code ${hex} (known: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)`,
      );
    }
  });

  it("0 or more than 4 dimensions", () => {
    expect(dataError(() => parseIdx(idx(0x08, []), F), F)).toBe(`${F}: the header gives 0 dimensions; an IDX file has 1 to 4`);
    expect(dataError(() => parseIdx(idx(0x08, [1, 1, 1, 1, 1], [9]), F), F)).toContain("the header gives 5 dimensions");
  });
});

describe("data that does not match the header", () => {
  it("the spec's example: 60000 images of 28x28 promised, 1000 bytes held", () => {
    const images = idx(0x08, [60000, 28, 28], new Array(1000).fill(0));
    const file = "train-images-idx3-ubyte";
    expect(dataError(() => readIdxPair(images, file, idx(0x08, [60000]), "l"), file)).toBe(
      `${file}: the header promises 60000 images of 28x28 (47040000 bytes) but the file holds 1000 bytes after the header`,
    );
  });

  it("one byte short, in a file of odd sizes", () => {
    const p = pair(7, 5, 3);
    const short = p.images.subarray(0, p.images.length - 1);
    expect(dataError(() => readIdxPair(short, IMAGES, p.labels, LABELS), IMAGES)).toBe(
      `${IMAGES}: the header promises 7 images of 5x3 (105 bytes) but the file holds 104 bytes after the header`,
    );
    const labels = p.labels.subarray(0, p.labels.length - 2);
    expect(dataError(() => readIdxPair(p.images, IMAGES, labels, LABELS), LABELS)).toBe(
      `${LABELS}: the header promises 7 labels (7 bytes) but the file holds 5 bytes after the header`,
    );
    expect(dataError(() => parseIdx(idx(0x0d, [3, 3], new Array(8).fill(1)), F), F)).toBe(
      `${F}: the header promises 3x3 float32 values (36 bytes) but the file holds 32 bytes after the header`,
    );
  });

  it("dimensions whose product overflows 32 bits or doubles are counted exactly, not wrapped", () => {
    // 65536 × 65536 is 2^32: 0 in 32-bit arithmetic, so a wrapping reader would accept the empty body
    expect(dataError(() => parseIdx(idx(0x08, [65536, 65536]), F), F)).toBe(
      `${F}: the header promises 65536x65536 uint8 values (4294967296 bytes) but the file holds 0 bytes after the header`,
    );
    const max = 0xffffffff;
    const bytes = (BigInt(max) ** 4n * 8n).toString();
    expect(dataError(() => parseIdx(idx(0x0e, [max, max, max, max], [1]), F), F)).toBe(
      `${F}: the header promises ${max}x${max}x${max}x${max} float64 values (${bytes} bytes) but the file holds 8 bytes after the header`,
    );
    const images = idx(0x08, [max, max, max], [1, 2, 3]);
    expect(dataError(() => readIdxPair(images, IMAGES, idx(0x08, [1], [0]), LABELS), IMAGES)).toContain(
      `promises ${max} images of ${max}x${max} (${(BigInt(max) ** 3n).toString()} bytes)`,
    );
  });

  it("trailing bytes beyond what the header promises", () => {
    const p = pair(7, 5, 3);
    const long = idx(0x08, [7, 5, 3], p.pixels, { extra: 3 });
    expect(dataError(() => readIdxPair(long, IMAGES, p.labels, LABELS), IMAGES)).toBe(
      `${IMAGES}: the header promises 7 images of 5x3 (105 bytes) but the file holds 108 bytes after the header, 3 too many`,
    );
    expect(dataError(() => parseIdx(idx(0x0c, [2], [1, 2], { extra: 1 }), F), F)).toBe(
      `${F}: the header promises 2 int32 values (8 bytes) but the file holds 9 bytes after the header, 1 too many`,
    );
  });
});

describe("pairs that are not images and labels", () => {
  const p = pair(4, 3, 3);

  it("images not 3-D", () => {
    const flat = idx(0x08, [4, 9], p.pixels);
    expect(dataError(() => readIdxPair(flat, IMAGES, p.labels, LABELS), IMAGES)).toBe(
      `${IMAGES}: an images file must have 3 dimensions [n, rows, cols], but its header gives 2 (4x9)`,
    );
    const four = idx(0x08, [4, 1, 3, 3], p.pixels);
    expect(dataError(() => readIdxPair(four, IMAGES, p.labels, LABELS), IMAGES)).toContain("but its header gives 4 (4x1x3x3)");
  });

  it("the two files swapped", () => {
    expect(dataError(() => readIdxPair(p.labels, LABELS, p.images, IMAGES), LABELS)).toContain(
      "an images file must have 3 dimensions [n, rows, cols], but its header gives 1 (4)",
    );
  });

  it("labels not 1-D", () => {
    const column = idx(0x08, [4, 1], [0, 1, 2, 0]);
    expect(dataError(() => readIdxPair(p.images, IMAGES, column, LABELS), LABELS)).toBe(
      `${LABELS}: a labels file must have 1 dimension [n], but its header gives 2 (4x1)`,
    );
  });

  it("images that are not unsigned bytes, naming their type", () => {
    const floats = idx(0x0d, [4, 3, 3], p.pixels.map((x) => x / 255));
    expect(dataError(() => readIdxPair(floats, IMAGES, p.labels, LABELS), IMAGES)).toBe(
      `${IMAGES}: the pixels are float32 (type code 0x0D); an images file must hold unsigned bytes (type code 0x08)`,
    );
    const signed = idx(0x09, [4, 3, 3], p.pixels.map((x) => x % 128));
    expect(dataError(() => readIdxPair(signed, IMAGES, p.labels, LABELS), IMAGES)).toContain("the pixels are int8 (type code 0x09)");
  });

  it("labels that are not unsigned bytes, naming their type", () => {
    const wide = idx(0x0c, [4], [0, 1, 2, 0]);
    expect(dataError(() => readIdxPair(p.images, IMAGES, wide, LABELS), LABELS)).toBe(
      `${LABELS}: the labels are int32 (type code 0x0C); a labels file must hold unsigned bytes (type code 0x08)`,
    );
  });

  it("image and label counts that disagree, naming both files", () => {
    const three = idx(0x08, [3], [0, 1, 2]);
    expect(dataError(() => readIdxPair(p.images, IMAGES, three, LABELS), LABELS)).toBe(
      `${LABELS}: holds 3 labels but ${IMAGES} holds 4 images`,
    );
  });

  it("no images, or images without pixels", () => {
    expect(dataError(() => readIdxPair(idx(0x08, [0, 28, 28]), IMAGES, idx(0x08, [0]), LABELS), IMAGES)).toBe(
      `${IMAGES}: the header gives 0 images`,
    );
    expect(dataError(() => readIdxPair(idx(0x08, [2, 28, 0]), IMAGES, idx(0x08, [2], [0, 1]), LABELS), IMAGES)).toBe(
      `${IMAGES}: the images are 28x0: no pixels`,
    );
  });

  it("a label at or beyond classes, naming its index", () => {
    const labels = idx(0x08, [4], [0, 2, 1, 3]);
    expect(dataError(() => readIdxPair(p.images, IMAGES, labels, LABELS, 3), LABELS)).toBe(
      `${LABELS}: label 3 at index 3 is out of range (labels must be 0..2 for 3 classes)`,
    );
    const far = idx(0x08, [4], [0, 200, 1, 2]);
    expect(dataError(() => readIdxPair(p.images, IMAGES, far, LABELS, 10), LABELS)).toContain("label 200 at index 1 is out of range");
  });

  it("label 255 without classes: it marks a missing label, so it is no class", () => {
    const labels = idx(0x08, [4], [0, 1, 255, 254]);
    expect(dataError(() => readIdxPair(p.images, IMAGES, labels, LABELS), LABELS)).toBe(
      `${LABELS}: label 255 at index 2 is out of range (255 marks a missing label, so labels must be 0..254)`,
    );
    const ok = readIdxPair(p.images, IMAGES, idx(0x08, [4], [0, 1, 254, 3]), LABELS);
    expect(ok.classes).toBe(255);
  });

  it("a bad header in the labels file names the labels file", () => {
    const bad = idx(0x08, [4], [0, 1, 2, 0]);
    bad[0] = 1;
    expect(dataError(() => readIdxPair(p.images, IMAGES, bad, LABELS), LABELS)).toContain("not an IDX file");
  });
});

describe("labelsFileFor", () => {
  it("swaps images/idx3 for labels/idx1 beside the images, the same compression first", () => {
    expect(labelsFileFor("train-images-idx3-ubyte.gz")).toEqual(["train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte"]);
    expect(labelsFileFor("train-images-idx3-ubyte")).toEqual(["train-labels-idx1-ubyte", "train-labels-idx1-ubyte.gz"]);
    expect(labelsFileFor("t10k-images.idx3-ubyte")).toEqual(["t10k-labels.idx1-ubyte", "t10k-labels.idx1-ubyte.gz"]);
    expect(labelsFileFor("t10k-images.idx3-ubyte.gz")).toEqual(["t10k-labels.idx1-ubyte.gz", "t10k-labels.idx1-ubyte"]);
  });

  it("keeps the directory, and only the file name is rewritten", () => {
    expect(labelsFileFor("/data/images/emnist-letters-train-images-idx3-ubyte.gz")).toEqual([
      "/data/images/emnist-letters-train-labels-idx1-ubyte.gz",
      "/data/images/emnist-letters-train-labels-idx1-ubyte",
    ]);
    expect(labelsFileFor("C:\\mnist\\images\\train-images-idx3-ubyte")[0]).toBe("C:\\mnist\\images\\train-labels-idx1-ubyte");
  });

  it("names that do not follow the pattern give no candidates", () => {
    for (const name of ["digits.csv.gz", "train-labels-idx1-ubyte.gz", "images/train.bin", "train-images-idx3-ubyte.zip", ""]) {
      expect(labelsFileFor(name), name).toEqual([]);
    }
  });
});

// The real files: Debian's dataset-fashion-mnist package. CI installs it, so there its absence is a failure.
const FASHION = "/usr/share/datasets/fashion-mnist";
const FASHION_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];
const missing = FASHION_FILES.filter((f) => !existsSync(join(FASHION, f)));

describe("Fashion-MNIST (Debian's dataset-fashion-mnist)", () => {
  if (missing.length > 0) {
    it("is skipped when not installed, except in CI", () => {
      const why = `${join(FASHION, missing[0])} is absent (apt-get install dataset-fashion-mnist)`;
      if (process.env.CI === "true") throw new Error(`CI must run the Fashion-MNIST checks, but ${why}`);
      console.log(`idx.test: Fashion-MNIST checks skipped: ${why}`);
    });
    return;
  }

  /** Reads and inflates an images file and the labels file labelsFileFor finds beside it. */
  function load(name: string) {
    const imagesPath = join(FASHION, name);
    const labelsPath = labelsFileFor(imagesPath).find((f) => existsSync(f));
    expect(labelsPath, `labels beside ${imagesPath}`).toBe(join(FASHION, name.replace("images-idx3", "labels-idx1")));
    const images = gunzipSync(readFileSync(imagesPath));
    const labels = gunzipSync(readFileSync(labelsPath!));
    expect(isIdx(images) && isIdx(labels)).toBe(true);
    return readIdxPair(images, imagesPath, labels, labelsPath!);
  }

  function histogram(labels: Uint8Array, classes: number): number[] {
    const h = new Array(classes).fill(0);
    for (const y of labels) h[y]++;
    return h;
  }

  it("the training pair: 60000 images of 28x28, 10 classes of 6000", () => {
    const r = load("train-images-idx3-ubyte.gz");
    expect(r.images).toMatchObject({ n: 60000, rows: 28, cols: 28, features: 784 });
    expect(r.images.pixels.length).toBe(60000 * 784);
    expect(r.classes).toBe(10);
    expect(histogram(r.labels, r.classes)).toEqual(new Array(10).fill(6000));
  });

  it("the test pair: 10000 images of 28x28, 10 classes of 1000", () => {
    const r = load("t10k-images-idx3-ubyte.gz");
    expect(r.images).toMatchObject({ n: 10000, rows: 28, cols: 28, features: 784 });
    expect(r.classes).toBe(10);
    expect(histogram(r.labels, r.classes)).toEqual(new Array(10).fill(1000));
  });
});
