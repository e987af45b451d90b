// Data as people have it, through the loaders: a CSV table with a header, word labels and word-valued
// features (data/schema.ts encodes them), an IDX pair found by name, and the model file that keeps the
// schema (format version 2; version 1 files still read).

import { gzipSync } from "node:zlib";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { idxFromBytes, loadFile, loadIdx, loadTable, tableFromBytes } from "../../src/data/datasets.js";
import { gunzip } from "../../src/data/csv.js";
import { stratifiedSplit } from "../../src/data/split.js";
import { featureCount } from "../../src/data/schema.js";
import { decodeModel, encodeModel } from "../../src/model/modelfile.js";
import { DataError, ModelFileError } from "../../src/errors.js";
import { idxFile } from "../robustness/helpers.js";

const enc = (s: string) => new TextEncoder().encode(s);

const IRIS = `sepal_length,sepal_width,petal_length,petal_width,species
5.1,3.5,1.4,0.2,setosa
7.0,3.2,4.7,1.4,versicolor
6.3,3.3,6.0,2.5,virginica
4.9,3.0,1.4,0.2,setosa
6.4,3.2,4.5,1.5,versicolor
`;

const PENGUINS = `species,island,bill_length_mm,body_mass_g,sex
Adelie,Torgersen,39.1,3750,male
Adelie,Torgersen,NA,NA,NA
Gentoo,Biscoe,46.1,4500,female
Chinstrap,Dream,46.5,3500,female
Gentoo,Biscoe,50.0,5700,male
`;

describe("tables", () => {
  it("reads Iris as everyone has it: a header, four measurements, the species as a word (a class name)", () => {
    const d = tableFromBytes(enc(IRIS), "iris.csv");
    expect([d.n, d.features, d.classes]).toEqual([5, 4, 3]);
    expect(d.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect(Array.from(d.y)).toEqual([0, 1, 2, 0, 1]);
    expect(Array.from(d.X.subarray(0, 4))).toEqual([5.1, 3.5, 1.4, 0.2].map(Math.fround));
    expect(d.schema.label).toBe("species");
  });

  it("one-hot encodes a word-valued feature (its categories sorted), takes the label by name, drops rows with gaps when asked", () => {
    const d = tableFromBytes(enc(PENGUINS), "penguins.csv", { label: "species", missing: "drop" });
    expect(d.dropped).toBe(1);
    expect(d.schema.columns.map((c) => [c.name, c.categories])).toEqual([
      ["island", ["Biscoe", "Dream", "Torgersen"]], ["bill_length_mm", undefined], ["body_mass_g", undefined], ["sex", ["female", "male"]],
    ]);
    expect(d.features).toBe(featureCount(d.schema));
    expect(d.features).toBe(3 + 1 + 1 + 2);
    // Torgersen, 39.1, 3750, male
    expect(Array.from(d.X.subarray(0, 7))).toEqual([0, 0, 1, Math.fround(39.1), 3750, 0, 1]);
    expect(d.classNames).toEqual(["Adelie", "Chinstrap", "Gentoo"]);
  });

  it("names the row and column of a gap, and a label column that is not there", () => {
    expect(() => tableFromBytes(enc(PENGUINS), "penguins.csv", { label: "species" })).toThrow(/penguins\.csv:3: column "bill_length_mm" \(column 3\) is missing a value/);
    expect(() => tableFromBytes(enc(IRIS), "iris.csv", { label: "kind" })).toThrow(/iris\.csv: no label column "kind": its columns are "sepal_length", .*"species"/);
    expect(() => tableFromBytes(enc(IRIS), "iris.csv", { label: "2" }).classes).toThrow(DataError);
    expect(tableFromBytes(enc(IRIS), "iris.csv", { label: "5" }).classNames).toEqual(["setosa", "versicolor", "virginica"]);
  });

  it("encodes a second file by the first's schema: columns by name, a category it never saw named by row and column", () => {
    const train = tableFromBytes(enc(PENGUINS), "train.csv", { label: "species", missing: "drop" });
    const reordered = "sex,body_mass_g,island,bill_length_mm,species\nfemale,3500,Dream,46.5,Chinstrap\n";
    const again = tableFromBytes(enc(reordered), "more.csv", { schema: train.schema });
    expect(Array.from(again.X)).toEqual(Array.from(train.X.subarray(2 * 7, 3 * 7)));
    expect(Array.from(again.y)).toEqual([1]);
    const unseen = "species,island,bill_length_mm,body_mass_g,sex\nAdelie,Biscoe,39,3700,unknown\n";
    expect(() => tableFromBytes(enc(unseen), "new.csv", { schema: train.schema })).toThrow(
      'new.csv:2: column "sex": "unknown" is not among the categories the model was trained on ("female", "male")',
    );
    const noLabel = "island,bill_length_mm,body_mass_g,sex\nDream,46.5,3500,female\n";
    const rows = tableFromBytes(enc(noLabel), "rows.csv", { schema: train.schema, labels: "optional" });
    expect([rows.labelled, rows.y[0]]).toEqual([false, 255]);
    expect(() => tableFromBytes(enc(noLabel), "rows.csv", { schema: train.schema })).toThrow('rows.csv: no label column "species"');
  });

  it("loads a gzip file from disk, and refuses a .gz that is not gzip", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasm-mlp-table-"));
    writeFileSync(join(dir, "iris.csv.gz"), gzipSync(IRIS));
    writeFileSync(join(dir, "fake.csv.gz"), IRIS);
    expect((await loadTable(join(dir, "iris.csv.gz"))).classNames).toEqual(["setosa", "versicolor", "virginica"]);
    await expect(loadTable(join(dir, "fake.csv.gz"))).rejects.toThrow(/fake\.csv\.gz: named \.gz but is not gzip-compressed/);
  });
});


describe("IDX files", () => {
  const n = 7, rows = 3, cols = 5;
  const pixels = Uint8Array.from({ length: n * rows * cols }, (_, i) => (i * 37) % 256);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);

  it("reads an images file and finds its labels beside it (gzip or not), by loadIdx and by loadFile's sniffing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasm-mlp-idx-"));
    writeFileSync(join(dir, "train-images-idx3-ubyte.gz"), gzipSync(idxFile([n, rows, cols], pixels)));
    writeFileSync(join(dir, "train-labels-idx1-ubyte"), idxFile([n], labels));
    for (const d of [await loadIdx(join(dir, "train-images-idx3-ubyte.gz")), await loadFile(join(dir, "train-images-idx3-ubyte.gz"))]) {
      expect([d.n, d.features, d.classes]).toEqual([n, rows * cols, 3]);
      expect(Array.from(d.X)).toEqual(Array.from(pixels));
      expect(Array.from(d.y)).toEqual(Array.from(labels));
    }
  });

  it('with pixels "bytes": X is the file\'s bytes (a view of the inflated images, no copy), everything else as with floats', async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasm-mlp-idx-"));
    writeFileSync(join(dir, "train-images-idx3-ubyte.gz"), gzipSync(idxFile([n, rows, cols], pixels)));
    writeFileSync(join(dir, "train-labels-idx1-ubyte.gz"), gzipSync(idxFile([n], labels)));
    const floats = await loadIdx(join(dir, "train-images-idx3-ubyte.gz"));
    const bytes = await loadIdx(join(dir, "train-images-idx3-ubyte.gz"), undefined, { pixels: "bytes" });
    const sniffed = await loadFile(join(dir, "train-images-idx3-ubyte.gz"), { pixels: "bytes" });
    for (const d of [bytes, sniffed]) {
      expect(d.X).toBeInstanceOf(Uint8Array);
      expect({ ...d, X: Array.from(d.X) }).toEqual({ ...floats, X: Array.from(floats.X) });
    }
    expect(floats.X).toBeInstanceOf(Float32Array);
    const file = idxFile([n, rows, cols], pixels);
    expect(idxFromBytes(file, "i", idxFile([n], labels), "l", { pixels: "bytes" }).X.buffer).toBe(file.buffer);
    // a split keeps bytes bytes
    const { train, test } = stratifiedSplit(bytes, 0.3, 1), f = stratifiedSplit(floats, 0.3, 1);
    expect([train.X, test.X].map((x) => x.constructor)).toEqual([Uint8Array, Uint8Array]);
    expect([Array.from(train.X), Array.from(test.X)]).toEqual([Array.from(f.train.X), Array.from(f.test.X)]);
  });

  it("says where it looked when the labels file is not beside the images", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasm-mlp-idx-"));
    writeFileSync(join(dir, "t10k-images-idx3-ubyte"), idxFile([n, rows, cols], pixels));
    await expect(loadFile(join(dir, "t10k-images-idx3-ubyte"))).rejects.toThrow(/no labels file beside it \(looked for .*t10k-labels-idx1-ubyte.*\); give it with --labels FILE/);
  });
});

describe("model files with a schema", () => {
  const params = { layers: [7, 3], W: [new Float32Array(21).fill(0.5)], b: [new Float32Array(3)] };
  const schema = tableFromBytes(enc(PENGUINS), "p.csv", { label: "species", missing: "drop" }).schema;

  it("writes version 2 with the schema and reads it back; without one, version 1 as before", () => {
    const v2 = encodeModel({ params, normalization: undefined, schema });
    expect(new DataView(v2.buffer).getUint16(4, true)).toBe(2);
    expect(decodeModel(v2).schema).toEqual(schema);
    const v1 = encodeModel({ params, normalization: undefined });
    expect(new DataView(v1.buffer).getUint16(4, true)).toBe(1);
    expect(decodeModel(v1).schema).toBeUndefined();
  });

  it("refuses a schema that does not fit the layers", () => {
    const wrong = encodeModel({ params: { layers: [6, 3], W: [new Float32Array(18)], b: [new Float32Array(3)] }, normalization: undefined, schema });
    expect(() => decodeModel(wrong, "m.wmlp")).toThrow(new ModelFileError("m.wmlp: its schema makes 7 inputs, the layers take 6"));
  });
});

describe("gunzip (zlib's, in Node)", () => {
  const text = enc("1,2,3\n".repeat(20000));

  it("inflates into one buffer sized from the trailer; several members are joined", async () => {
    const one = await gunzip(new Uint8Array(gzipSync(text)), "t.gz");
    expect(one).toEqual(text);
    expect(one.buffer.byteLength).toBe(text.length + 1);
    const small = await gunzip(new Uint8Array(gzipSync(enc("1,2\n"))), "s.gz");
    expect([small.byteOffset, small.buffer.byteLength]).toEqual([0, 4]);
    const two = new Uint8Array([...gzipSync(text), ...gzipSync(enc("4,5,6\n"))]);
    expect(new TextDecoder().decode(await gunzip(two, "t.gz"))).toBe("1,2,3\n".repeat(20000) + "4,5,6\n");
  });

  it("holds the limit, whatever the trailer says, and names a bad file", async () => {
    const gz = new Uint8Array(gzipSync(text));
    await expect(gunzip(gz, "t.gz", 1000)).rejects.toThrow(new DataError("t.gz: inflates to more than the 0.00095367431640625 MiB limit for data files"));
    const lying = gz.slice();
    lying.set([1, 0, 0, 0], lying.length - 4);
    await expect(gunzip(lying, "t.gz")).rejects.toThrow(new DataError("t.gz: not a valid gzip file (incorrect length check)"));
    await expect(gunzip(gz.subarray(0, gz.length - 4), "t.gz")).rejects.toThrow(new DataError("t.gz: not a valid gzip file (unexpected end of file)"));
  });
});
