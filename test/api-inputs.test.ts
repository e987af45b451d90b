// Bad input to the library API, as a JavaScript caller (no types to stop them) could pass it: each gets one
// typed error whose message names the function, the option or argument, the value and what is allowed.
// Set API_ERRORS_TABLE=file.md to also write the list as a Markdown table.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import {
  compileKernels, DataError, loadCsv, loadDigits, MLP, ModelFileError, UsageError, WasmMlpError, type Dataset,
} from "../src/index.js";

type Call = () => unknown;
const rows: string[] = [];

let digits: Dataset;
let trained: MLP;
let fresh: MLP;
let saved: Uint8Array;
const X1 = () => digits.X.slice(0, 64);

beforeAll(async () => {
  digits = await loadDigits();
  trained = await MLP.create({ layers: [64, 8, 10], seed: 1, kernels: "simd" });
  trained.fit(digits.X, digits.y, { epochs: 5 });
  saved = trained.toBytes();
  fresh = await MLP.create({ layers: [64, 8, 10], seed: 1, kernels: "simd" });
});

afterAll(() => {
  if (process.env.API_ERRORS_TABLE) {
    writeFileSync(process.env.API_ERRORS_TABLE, ["| # | call | error |", "|---|---|---|", ...rows.map((r, i) => `| ${i + 1} | ${r}`)].join("\n") + "\n");
  }
});

/** [the call as written, what it does, the error class, what the message must say] */
const m = () => ({ trained, fresh, X: digits.X, y: digits.y });
const bytes = new TextEncoder().encode("1,2,0\n3,4,1\n");
const a = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const CASES: [string, Call, typeof WasmMlpError, RegExp][] = [
  ["MLP.create()", () => MLP.create(undefined as never), UsageError, /^MLP\.create: options with the layer sizes are required, e\.g\. \{ layers: \[64, 32, 10\] \}$/],
  ["MLP.create({})", () => MLP.create({} as never), UsageError, /^MLP\.create: layers is required: an array of layer sizes/],
  ["MLP.create([64, 32, 10])", () => MLP.create([64, 32, 10] as never), UsageError, /^MLP\.create: the options must be an object, got \[64, 32, 10\]$/],
  ['MLP.create({ layers: "64,32,10" })', () => MLP.create({ layers: "64,32,10" as never }), UsageError, /layers must be an array of layer sizes from input to output, e\.g\. \[64, 32, 10\], got "64,32,10"$/],
  ["MLP.create({ layers: [64] })", () => MLP.create({ layers: [64] }), UsageError, /layers must list 2 to 64 sizes .*got \[64\]$/],
  ["MLP.create({ layers: [64, 0, 10] })", () => MLP.create({ layers: [64, 0, 10] }), UsageError, /layer sizes must be integers from 1 to 1048576, got \[64, 0, 10\]$/],
  ["MLP.create({ layers: [64, 32.5, 10] })", () => MLP.create({ layers: [64, 32.5, 10] }), UsageError, /integers from 1 to 1048576, got \[64, 32\.5, 10\]$/],
  ["MLP.create({ layers: [64, 2 ** 21, 10] })", () => MLP.create({ layers: [64, 2 ** 21, 10] }), UsageError, /integers from 1 to 1048576, got \[64, 2097152, 10\]$/],
  ["MLP.create({ layers: Array(65).fill(4) })", () => MLP.create({ layers: Array(65).fill(4) }), UsageError, /2 to 64 sizes .*got 65 sizes$/],
  ["MLP.create({ layers: [64, 32, 1] })", () => MLP.create({ layers: [64, 32, 1] }), UsageError, /the output layer needs 2 to 255 classes \(labels are bytes\), got 1$/],
  ["MLP.create({ layers: [64, 32, 300] })", () => MLP.create({ layers: [64, 32, 300] }), UsageError, /2 to 255 classes .*got 300$/],
  ["MLP.create({ layers, seed: -1 })", () => MLP.create({ layers: [64, 10], seed: -1 }), UsageError, /^MLP\.create: seed must be an integer from 0 to 4294967295, got -1$/],
  ['MLP.create({ layers, seed: "42" })', () => MLP.create({ layers: [64, 10], seed: "42" as never }), UsageError, /seed must be an integer from 0 to 4294967295, got "42"$/],
  ['MLP.create({ layers, init: "glorot" })', () => MLP.create({ layers: [64, 10], init: "glorot" as never }), UsageError, /^MLP\.create: init must be "numpy", "he" or "xavier", got "glorot"$/],
  ['MLP.create({ layers, normalize: "none" })', () => MLP.create({ layers: [64, 10], normalize: "none" as never }), UsageError, /^MLP\.create: normalize must be "feature" or "global", got "none"$/],
  ['MLP.create({ layers, kernels: "gpu" })', () => MLP.create({ layers: [64, 10], kernels: "gpu" as never }), UsageError, /^MLP\.create: kernels must be "auto", "scalar", "simd" or "relaxed", what compileKernels\(\) returns, or \{ build, source \} .*, got "gpu"$/],
  ['MLP.create({ layers, kernels: { build: "simd" } })', () => MLP.create({ layers: [64, 10], kernels: { build: "simd" } as never }), UsageError, /kernels must be .*, got \{ build \}$/],
  ["MLP.create({ layers, threads: 0 })", () => MLP.create({ layers: [64, 10], threads: 0 } as never), UsageError, /^MLP\.create: threads must be "auto" or an integer from 1, got 0$/],
  ["MLP.create({ layers, epochs: 5 })", () => MLP.create({ layers: [64, 10], epochs: 5 } as never), UsageError, /^MLP\.create: unknown option "epochs" \(the options are layers, seed, init, normalize, kernels, threads, activation, schema, task\)$/],
  ["fit(X, y, { epoch: 5 })", () => m().fresh.fit(m().X, m().y, { epoch: 5 } as never), UsageError, /^fit: unknown option "epoch"; did you mean "epochs"\? \(the options are epochs, lr, every, /],
  ['fit(X, y, { optimizer: "rmsprop" })', () => m().fresh.fit(m().X, m().y, { optimizer: "rmsprop" as never }), UsageError, /^fit: optimizer must be "sgd", "momentum" or "adam", got "rmsprop"$/],
  ["fit(X, y, { epochs: 0 })", () => m().fresh.fit(m().X, m().y, { epochs: 0 }), UsageError, /^fit: epochs must be an integer from 1, got 0$/],
  ["fit(X, y, { epochs: 2.5 })", () => m().fresh.fit(m().X, m().y, { epochs: 2.5 }), UsageError, /epochs must be an integer from 1, got 2\.5$/],
  ['fit(X, y, { epochs: "10" })', () => m().fresh.fit(m().X, m().y, { epochs: "10" as never }), UsageError, /epochs must be an integer from 1, got "10"$/],
  ["fit(X, y, { lr: -0.1 })", () => m().fresh.fit(m().X, m().y, { lr: -0.1 }), UsageError, /^fit: lr must be a finite number above 0, got -0\.1$/],
  ["fit(X, y, { lr: NaN })", () => m().fresh.fit(m().X, m().y, { lr: NaN }), UsageError, /lr must be a finite number above 0, got NaN$/],
  ["fit(X, y, { every: 0 })", () => m().fresh.fit(m().X, m().y, { every: 0 }), UsageError, /^fit: every must be an integer from 1, got 0$/],
  ["fit(X, y, { batch: 5000 })", () => m().fresh.fit(m().X, m().y, { batch: 5000 }), UsageError, /^fit: batch 5000 is larger than the 1797 training rows$/],
  ["fit(X, y, { momentum: 0.5 })", () => m().fresh.fit(m().X, m().y, { momentum: 0.5 }), UsageError, /^fit: momentum applies to optimizer "momentum" only, and the optimizer is "sgd"$/],
  ['fit(X, y, { optimizer: "momentum", momentum: 1 })', () => m().fresh.fit(m().X, m().y, { optimizer: "momentum", momentum: 1 }), UsageError, /^fit: momentum must be a number from 0 up to \(not including\) 1, got 1$/],
  ['fit(X, y, { optimizer: "adam", beta2: 1 })', () => m().fresh.fit(m().X, m().y, { optimizer: "adam", beta2: 1 }), UsageError, /beta2 must be a number from 0 up to \(not including\) 1, got 1$/],
  ['fit(X, y, { optimizer: "adam", eps: 0 })', () => m().fresh.fit(m().X, m().y, { optimizer: "adam", eps: 0 }), UsageError, /^fit: eps must be a finite number above 0, got 0$/],
  ["fit(X, y, { validation: { X: [1, 2], y } })", () => m().fresh.fit(m().X, m().y, { validation: { X: [1, 2], y: m().y } as never }), UsageError, /^fit: validation must be \{ X: Float32Array, y: Uint8Array \(labels\) or Float32Array \(regression targets\) \} \(held-out rows\), got \{ X, y \}$/],
  ["fit(X, y, { patience: 3 })", () => m().fresh.fit(m().X, m().y, { patience: 3 }), UsageError, /^fit: patience \(early stopping\) needs held-out data: pass validation: \{ X, y \}$/],
  ['fit(X, y, { onReport: "log" })', () => m().fresh.fit(m().X, m().y, { onReport: "log" as never }), UsageError, /^fit: onReport must be a function, got "log"$/],
  ['fit(X, y, { lrSchedule: "linear" })', () => m().fresh.fit(m().X, m().y, { lrSchedule: "linear" } as never), UsageError, /^fit: lrSchedule must be "constant", "step" or "cosine", got "linear"$/],
  ["fit(X, y, { signal: {} })", () => m().fresh.fit(m().X, m().y, { signal: {} } as never), UsageError, /^fit: signal must be an AbortSignal, got \{\}$/],
  ["fit(X, y, 5)", () => m().fresh.fit(m().X, m().y, 5 as never), UsageError, /^fit: the options must be an object, got 5$/],
  ["fit([0, 1, ...], y)", () => m().fresh.fit(Array.from(m().X) as never, m().y), UsageError, /^fit: X must be a Float32Array of rows of 64 values, got an array of 115008$/],
  ["fit(X, [0, 1, ...])", () => m().fresh.fit(m().X, Array.from(m().y) as never), UsageError, /^fit: y must be a Uint8Array of 1797 labels, got an array of 1797$/],
  ["fit(X with a NaN, y)", () => m().fresh.fit(Object.assign(X1(), { 3: NaN }), m().y.slice(0, 1)), DataError, /^training data: X\[0\]\[3\] is NaN$/],
  ["fit(X, labels 0..10) on a 10-class model", () => m().fresh.fit(X1(), new Uint8Array([10])), DataError, /^training data: label 10 at row 0 is not below the model's 10 classes$/],
  ["predict(X) before any fit", () => m().fresh.predict(m().X), UsageError, /^predict: this model is untrained; call fit\(\) first, or load a trained one with MLP\.fromBytes\(\)$/],
  ["toBytes() before any fit", () => m().fresh.toBytes(), UsageError, /^toBytes: this model is untrained/],
  ["predict(a pixel of 17)", () => m().trained.predict(Object.assign(X1(), { 5: 17 })), DataError, /^input: X\[0\]\[5\] is 17, outside 0\.\.16, the range of the data the model was trained on$/],
  ["predict(a pixel of -1)", () => m().trained.predictProba(Object.assign(X1(), { 0: -1 })), DataError, /X\[0\]\[0\] is -1, outside 0\.\.16/],
  ["evaluate(a pixel of 20, y)", () => m().trained.evaluate(Object.assign(X1(), { 63: 20 }), new Uint8Array([0])), DataError, /^evaluation data: X\[0\]\[63\] is 20, outside 0\.\.16/],
  ["predict(new Float64Array(64))", () => m().trained.predict(new Float64Array(64) as never), UsageError, /^predict: X must be a Float32Array of rows of 64 values, got Float64Array\(64\)$/],
  ["predict(63 values)", () => m().trained.predict(new Float32Array(63)), DataError, /^input: X has 63 values, not a whole number of rows of 64 features$/],
  ["MLP.fromBytes(42)", () => MLP.fromBytes(42 as never), UsageError, /^MLP\.fromBytes: the source must be a path or URL \(string or URL\), a Response, an ArrayBuffer or bytes, got 42$/],
  ['MLP.fromBytes("nope.wmlp")', () => MLP.fromBytes("nope.wmlp"), ModelFileError, /^nope\.wmlp: no such file$/],
  ["MLP.fromBytes(new ArrayBuffer(3))", () => MLP.fromBytes(new ArrayBuffer(3)), ModelFileError, /^model: too short to be a model file \(3 bytes\)$/],
  ['MLP.fromBytes(bytes, { kernel: "simd" })', () => MLP.fromBytes(saved, { kernel: "simd" } as never), UsageError, /^MLP\.fromBytes: unknown option "kernel"; did you mean "kernels"\?/],
  ["MLP.fromBytes(bytes, { name: 5 })", () => MLP.fromBytes(saved, { name: 5 as never }), UsageError, /^MLP\.fromBytes: name must be a string, got 5$/],
  ["loadCsv()", () => loadCsv(undefined as never), UsageError, /^loadCsv: the source must be a path or URL .*, got undefined$/],
  ["loadCsv(bytes, { feature: 2 })", () => loadCsv(bytes, { feature: 2 } as never), UsageError, /^loadCsv: unknown option "feature"; did you mean "features"\?/],
  ["loadCsv(bytes, { range: [16, 0] })", () => loadCsv(bytes, { range: [16, 0] }), UsageError, /^loadCsv: range must be \[lowest, highest\], two finite numbers in order, got \[16, 0\]$/],
  ['loadCsv(bytes, { labels: "maybe" })', () => loadCsv(bytes, { labels: "maybe" as never }), UsageError, /^loadCsv: labels must be "required" or "optional", got "maybe"$/],
  ['loadCsv(bytes, { labels: "optional" })', () => loadCsv(bytes, { labels: "optional" }), UsageError, /^loadCsv: labels "optional" needs features/],
  ["loadCsv(bytes, { classes: 1 })", () => loadCsv(bytes, { classes: 1 }), UsageError, /^loadCsv: classes must be an integer from 2 to 255, got 1$/],
  ["loadDigits(123)", () => loadDigits(123 as never), UsageError, /^loadDigits: the source must be .*, got 123$/],
  ['loadDigits("missing.csv")', () => loadDigits("missing.csv"), DataError, /^missing\.csv: no such file$/],
  ["loadCsv(a 404 Response)", () => loadCsv(new Response("<html>", { status: 404 })), DataError, /^\(response\): HTTP 404$/],
  ['compileKernels("gpu")', () => compileKernels("gpu" as never), UsageError, /^compileKernels: build must be "auto", "scalar", "simd" or "relaxed", got "gpu"$/],
];

describe("bad input to the library API: one typed error that says what is wrong", () => {
  it(`has at least 30 cases (${CASES.length})`, () => expect(CASES.length).toBeGreaterThanOrEqual(30));

  it.each(CASES.map((c, i) => [i + 1, ...c] as const))("%i: %s", async (_, call, fn, type, message) => {
    let err: unknown;
    try {
      await fn();
    } catch (e) {
      err = e;
    }
    expect(err, `${call} did not throw`).toBeInstanceOf(type);
    expect((err as Error).name).toBe(type.prototype.name);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain("\n");
    rows.push(`\`${call}\` | ${(err as Error).name}: ${(err as Error).message.replace(/\|/g, "\\|")} |`);
  });
});

describe("fromBytes reads what loadCsv reads", () => {
  it("bytes, an ArrayBuffer, a path, a file URL and a Response give the same model", async () => {
    const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { pathToFileURL } = await import("node:url");
    const dir = await mkdtemp(join(tmpdir(), "wasm-mlp-frombytes-"));
    try {
      const path = join(dir, "m.wmlp");
      await writeFile(path, saved);
      const copy = saved.slice();
      const sources = [saved, copy.buffer, path, pathToFileURL(path), new Response(saved)];
      const expected = trained.predictProba(digits.X);
      for (const source of sources) {
        const back = await MLP.fromBytes(source, { kernels: "simd" });
        expect(back.toBytes()).toEqual(saved);
        expect(back.predictProba(digits.X)).toEqual(expected);
      }
      await expect(MLP.fromBytes(join(dir, "missing.wmlp"))).rejects.toThrow(new RegExp(`^${a(join(dir, "missing.wmlp"))}: no such file$`));
      await writeFile(path, "WMLP but not really");
      await expect(MLP.fromBytes(path)).rejects.toThrow(new RegExp(`^${a(path)}: `));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("every option value a user can pass gives a file the library reads back", () => {
  it.each(["numpy", "he", "xavier"] as const)("init %s, each normalisation and optimizer, full and mini-batch", async (init) => {
    for (const normalize of ["feature", "global"] as const) {
      for (const optimizer of ["sgd", "momentum", "adam"] as const) {
        const model = await MLP.create({ layers: [64, 5, 10], seed: 3, init, normalize, kernels: "scalar" });
        model.fit(digits.X.subarray(0, 64 * 50), digits.y.subarray(0, 50), { epochs: 2, optimizer, batch: optimizer === "sgd" ? undefined : 16 });
        const back = await MLP.fromBytes(model.toBytes());
        expect(back.normalization!.kind).toBe(normalize);
        expect(back.predict(digits.X.subarray(0, 640))).toEqual(model.predict(digits.X.subarray(0, 640)));
      }
    }
  });

  it("threads, a signal never aborted and the constant schedule change no bit of the result", async () => {
    const plain = await MLP.create({ layers: [64, 5, 10], seed: 4, kernels: "scalar" });
    const later = await MLP.create({ layers: [64, 5, 10], seed: 4, kernels: "scalar", threads: 2 });
    plain.fit(digits.X, digits.y, { epochs: 3 });
    later.fit(digits.X, digits.y, { epochs: 3, threads: 2, signal: new AbortController().signal, lrSchedule: "constant" });
    expect(later.toBytes()).toEqual(plain.toBytes());
    later.dispose();
  });
});

describe("a model before fit", () => {
  it("has its initial weights to look at, and refuses predict, predictProba, evaluate and toBytes", async () => {
    const model = await MLP.create({ layers: [64, 4, 10], seed: 5, kernels: "scalar" });
    expect(model.getParams().W[0].length).toBe(256);
    expect(model.normalization).toBeUndefined();
    for (const call of [() => model.predict(X1()), () => model.predictProba(X1()), () => model.evaluate(X1(), new Uint8Array(1)), () => model.toBytes()]) {
      expect(call).toThrow(UsageError);
      expect(call).toThrow(/untrained/);
    }
    model.fit(X1(), new Uint8Array([3]), { epochs: 1 });
    expect(model.predict(X1()).length).toBe(1);
  });
});

