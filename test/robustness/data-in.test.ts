// Data as people have it, through the CLI (issue 18): Iris with word labels trains, saves, and predicts and
// evaluates with class names; a word feature is one-hot and a category never seen is named at predict; IDX
// files train with their labels found beside them; and twenty wrong CSV and IDX inputs each end in one line
// that says what and where, with a non-zero exit and the user's model file untouched.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, expectUntouched, idxFile, expectUserError, lines, plantFile, predict, removeTempDirs, tempDir, train } from "./helpers.js";

const IRIS_ROWS: [number, number, number, number, string][] = [];
{
  // a deterministic Iris-like set: three species apart in petal size
  let s = 7;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (const [species, petal] of [["setosa", 1.4], ["versicolor", 4.3], ["virginica", 5.6]] as const) {
    for (let i = 0; i < 30; i++) {
      const r = (x: number, d: number) => Math.round((x + (rand() - 0.5) * d) * 10) / 10;
      IRIS_ROWS.push([r(5 + petal / 4, 0.8), r(3.2, 0.6), r(petal, 0.6), r(petal / 3, 0.3), species]);
    }
  }
}
const IRIS = "sepal_length,sepal_width,petal_length,petal_width,species\n" + IRIS_ROWS.map((r) => r.join(",")).join("\n") + "\n";


let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = await tempDir("wmlp-data-in-");
  const pixels = Uint8Array.from({ length: 40 * 16 }, (_, i) => (i * 53) % 256);
  const labels = Uint8Array.from({ length: 40 }, (_, i) => i % 4);
  const files: Record<string, string | Uint8Array> = {
    "iris.csv": IRIS,
    "new.csv": "sepal_length,sepal_width,petal_length,petal_width\n5.3,3.4,1.5,0.3\n6.4,3.0,5.5,1.9\n",
    "penguins.csv": "island,mass,species\nBiscoe,4500,Gentoo\nDream,3500,Chinstrap\nTorgersen,3700,Adelie\nBiscoe,5000,Gentoo\nDream,3600,Chinstrap\nTorgersen,3800,Adelie\n",
    "penguins-new.csv": "island,mass\nBiscoe,4700\nAtlantis,3900\n",
    "train-images-idx3-ubyte.gz": gzipSync(idxFile([40, 4, 4], pixels)),
    "train-labels-idx1-ubyte": idxFile([40], labels),
    // wrong inputs
    "empty.csv": "",
    "header-only.csv": "a,b,label\n",
    "ragged.csv": "a,b,label\n1,2,x\n3,4\n",
    "gap.csv": "a,b,label\n1,,x\n3,4,y\n",
    "mixed.csv": "a,b,label\n1,2,x\n3,four,y\n",
    "unterminated.csv": 'a,b,label\n1,"2,x\n',
    "one-class.csv": "a,b,label\n1,2,x\n3,4,x\n",
    "frac-label.csv": "a,b,label\n1,2,0\n3,4,1.5\n",
    "huge-label.csv": "a,b,label\n1,2,0\n3,4,300\n",
    "inf.csv": "a,b,label\n1,2,x\n3,inf,y\n",
    "overflow.csv": "a,b,label\n1,2,x\n3,1e39,y\n",
    "lonely-images-idx3-ubyte": idxFile([40, 4, 4], pixels),
    "short-images-idx3-ubyte": idxFile([40, 4, 4], pixels).subarray(0, 100),
    "short-labels-idx1-ubyte": idxFile([40], labels),
    "count-images-idx3-ubyte": idxFile([40, 4, 4], pixels),
    "count-labels-idx1-ubyte": idxFile([39], labels.subarray(0, 39)),
    "flat-images-idx3-ubyte": idxFile([40, 16], pixels),
    "flat-labels-idx1-ubyte": idxFile([40], labels),
    "badlabel-images-idx3-ubyte": idxFile([40, 4, 4], pixels),
    "badlabel-labels-idx1-ubyte": idxFile([40], Uint8Array.from(labels, (l, i) => (i === 7 ? 255 : l))),
    "float-images-idx3-ubyte": (() => { const b = idxFile([40, 4, 4], pixels); b[2] = 0x0d; return b; })(),
    "float-labels-idx1-ubyte": idxFile([40], labels),
    "trailing-images-idx3-ubyte": new Uint8Array([...idxFile([40, 4, 4], pixels), 1, 2, 3]),
    "trailing-labels-idx1-ubyte": idxFile([40], labels),
  };
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
}, 240_000);
afterAll(removeTempDirs);

describe("Iris with word labels, through the CLI", () => {
  it("trains, saves, and predicts and evaluates with the class names", async () => {
    const t = await train(["--data", "iris.csv", "--hidden", "8", "--optimizer", "adam", "--lr", "0.02", "--epochs", "150", "--json", "--save", "iris.wmlp"], { cwd: dir });
    expect(t.code, t.stderr).toBe(0);
    const summary = JSON.parse(lines(t.stdout).at(-1)!);
    expect(summary.classes).toEqual(["setosa", "versicolor", "virginica"]);
    expect(summary.layers).toEqual([4, 8, 3]);
    expect(summary.accuracy).toBeGreaterThan(0.9);
    expect(summary.load_ms).toBeGreaterThan(0);
    const p = await predict(["--model", "iris.wmlp", "--data", "new.csv"], { cwd: dir });
    expect(p.code, p.stderr).toBe(0);
    expect(lines(p.stdout).map((l) => l.split(/\s+/)[2])).toEqual(["setosa", "virginica"]);
    const j = await predict(["--model", "iris.wmlp", "--data", "iris.csv", "--json"], { cwd: dir });
    const first = JSON.parse(lines(j.stdout)[0]);
    expect([first.class, first.true_class]).toEqual(["setosa", "setosa"]);
    const e = await predict(["--model", "iris.wmlp", "--data", "iris.csv", "--evaluate"], { cwd: dir });
    expect(e.stdout).toContain("classes: 0 setosa, 1 versicolor, 2 virginica");
  });

  it("one-hot encodes a word feature, and names a category the model never saw, by line and column", async () => {
    const t = await train(["--data", "penguins.csv", "--hidden", "4", "--epochs", "5", "--save", "p.wmlp"], { cwd: dir });
    expect(t.code, t.stderr).toBe(0);
    expect(lines(t.stdout)[0]).toMatch(/^MLP 4-4-3 \| penguins\.csv: 6 training rows/);
    const p = await predict(["--model", "p.wmlp", "--data", "penguins-new.csv"], { cwd: dir });
    expectUserError(p, { tool: "predict", mentions: ["penguins-new.csv:3", '"island"', '"Atlantis"', '"Biscoe", "Dream", "Torgersen"'] });
  });

  it("trains on an IDX images file, finding the labels file beside it", async () => {
    const t = await train(["--data", "train-images-idx3-ubyte.gz", "--hidden", "8", "--epochs", "3", "--json"], { cwd: dir });
    expect(t.code, t.stderr).toBe(0);
    expect(JSON.parse(lines(t.stdout).at(-1)!).layers).toEqual([16, 8, 4]);
  });
});

describe("twenty wrong CSV and IDX inputs: one line each, what and where, the model file untouched", () => {
  const cases: [string, string[], (string | RegExp)[]][] = [
    ["an empty file", ["--data", "empty.csv"], ["empty.csv", "empty"]],
    ["a header and no rows", ["--data", "header-only.csv"], ["header-only.csv", "no data rows"]],
    ["rows of changing width", ["--data", "ragged.csv"], ["ragged.csv:3", "expected 3 fields", "found 2"]],
    ["a gap", ["--data", "gap.csv"], ["gap.csv:2", '"b"', "missing a value"]],
    ["a word among numbers", ["--data", "mixed.csv"], ["mixed.csv:3", '"b"', '"four"']],
    ["an unterminated quote", ["--data", "unterminated.csv"], ["unterminated.csv:2", "closing quote"]],
    ["one class only", ["--data", "one-class.csv"], ["one-class.csv", /two classes/]],
    ["a fractional class number", ["--data", "frac-label.csv"], ["frac-label.csv:3", "label", '"1.5"']],
    ["a class number beyond a byte", ["--data", "huge-label.csv"], ["huge-label.csv:3", "label", '"300"']],
    ["an infinite number", ["--data", "inf.csv"], ["inf.csv:3", '"b"', "finite"]],
    ["a number beyond float32", ["--data", "overflow.csv"], ["overflow.csv:3", '"b"', "32-bit"]],
    ["a label column that does not exist", ["--data", "iris.csv", "--label", "kind"], ["iris.csv", 'no label column "kind"', '"species"']],
    ["a label position beyond the columns", ["--data", "iris.csv", "--label", "9"], ["iris.csv", 'no label column "9"']],
    ["IDX images without a labels file beside them", ["--data", "lonely-images-idx3-ubyte"], ["lonely-images-idx3-ubyte", "no labels file", "--labels"]],
    ["IDX images shorter than their header says", ["--data", "short-images-idx3-ubyte"], ["short-images-idx3-ubyte", "promises 40 images of 4x4"]],
    ["IDX image and label counts that disagree", ["--data", "count-images-idx3-ubyte"], ["count-labels-idx1-ubyte", "39 labels", "40 images"]],
    ["IDX images that are not 3-D", ["--data", "flat-images-idx3-ubyte"], ["flat-images-idx3-ubyte", "3 dimensions"]],
    ["an IDX label beyond the classes", ["--data", "badlabel-images-idx3-ubyte"], ["badlabel-labels-idx1-ubyte", "label 255", "index 7"]],
    ["IDX pixels that are not bytes", ["--data", "float-images-idx3-ubyte"], ["float-images-idx3-ubyte", "float32"]],
    ["an IDX file with bytes past its data", ["--data", "trailing-images-idx3-ubyte"], ["trailing-images-idx3-ubyte", "3 too many"]],
    ["--test-data whose columns differ", ["--data", "iris.csv", "--test-data", "penguins.csv"], ["penguins.csv", /no column named/]],
    ["--test-data with --test-split", ["--data", "iris.csv", "--test-data", "iris.csv", "--test-split", "0.2"], ["--test-data", "--test-split"]],
  ];
  let planted = 0;
  it.each(cases)("%s", async (_name, args, mentions) => {
    const name = `kept-${++planted}.wmlp`;
    const kept = await plantFile(join(dir, name), "WMLP-a-model-the-user-cares-about");
    const r = await train([...args, "--epochs", "2", "--save", name], { cwd: dir });
    expectUserError(r, { tool: "train", mentions });
    await expectUntouched(kept);
  });
});
