// Property-based tests (fast-check): for arbitrary inputs the CSV loader, the model-file reader and the flag
// parser either succeed with a result that keeps their invariants, or throw the project's own typed error,
// never anything else. And a saved model read back predicts bit-for-bit the same.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { gzipSync } from "node:zlib";
import { decodeText, DIGITS_RULES, NO_LABEL, parseCsv, type CsvRules, type Dataset } from "../../src/data/csv.js";
import { loadCsv } from "../../src/data/datasets.js";
import { crc32, decodeModel, encodeModel, type ModelData } from "../../src/model/modelfile.js";
import { parseTrainFlags, MAX_HIDDEN } from "../../src/cli/train-flags.js";
import { DataError, ModelFileError, UsageError } from "../../src/errors.js";
import { MLP } from "../../src/model/mlp.js";

const SEED = 20240601; // fixed, so a failure reproduces; fast-check prints the counterexample

/** Runs fn; returns its value, or undefined when it threw an instance of `type`; rethrows anything else. */
function succeedsOr<T>(type: abstract new (...a: never[]) => Error, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof type) {
      expect((e as Error).message, "one-line message").not.toMatch(/\n/);
      expect((e as Error).message.length).toBeGreaterThan(0);
      return undefined;
    }
    throw e;
  }
}

function checkDataset(d: Dataset, rules: CsvRules = {}): void {
  expect(d.n).toBeGreaterThanOrEqual(1);
  expect(d.features).toBeGreaterThanOrEqual(1);
  expect(d.X.length).toBe(d.n * d.features);
  expect(d.y.length).toBe(d.n);
  for (const v of d.X) {
    expect(Number.isFinite(v), `X holds ${v}`).toBe(true);
    if (rules.range) expect(v >= rules.range[0] && v <= rules.range[1]).toBe(true);
  }
  // rows without a label (labels: "optional") carry NO_LABEL (255); labelled rows lie below classes
  if (d.labelled === false) for (const label of d.y) expect(label).toBe(NO_LABEL);
  else for (const label of d.y) expect(label).toBeLessThan(d.classes);
  expect(d.classes).toBeLessThanOrEqual(255);
}

// CSV-ish text: rows of cells drawn from numbers, near-numbers and junk, joined with the usual separators
const cell = fc.oneof(
  fc.integer({ min: -5, max: 300 }).map(String),
  fc.double({ noNaN: false }).map(String),
  fc.constantFrom("", " ", "NaN", "inf", "-Infinity", "1e39", "-1e39", "1e-50", "0x1F", "1.", ".5", "+3", "1e", "e5", "a", "label", '"1"', "١", "\u00a0"),
  fc.string({ maxLength: 4 }),
);
const csvText = fc
  .tuple(
    fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { minLength: 0, maxLength: 8 }),
    fc.constantFrom("\n", "\r\n", "\r"),
    fc.boolean(),
  )
  .map(([rows, nl, trailing]) => rows.map((r) => r.join(",")).join(nl) + (trailing ? nl : ""));
// mostly-valid text: n rows of the same width, so the loader's success path is exercised too
const validishCsv = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }))
  .chain(([w, n]) =>
    fc.array(
      fc.tuple(fc.array(fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 16 }).map(String) }, { weight: 1, arbitrary: cell }), { minLength: w, maxLength: w }), fc.integer({ min: 0, max: 12 })),
      { minLength: n, maxLength: n },
    ),
  )
  .map((rows) => rows.map(([c, l]) => [...c, l].join(",")).join("\n") + "\n");

describe("property: the CSV loader succeeds with a sound dataset or throws DataError", () => {
  const rulesArb = fc.constantFrom<CsvRules | undefined>(undefined, DIGITS_RULES, { features: 3, labels: "optional" }, { range: [0, 1] }, { classes: 3 });

  it("arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), rulesArb, (text, rules) => {
        const d = succeedsOr(DataError, () => parseCsv(text, "f.csv", rules));
        if (d) checkDataset(d, rules);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it("CSV-shaped text", () => {
    fc.assert(
      fc.property(fc.oneof(csvText, validishCsv), rulesArb, (text, rules) => {
        const d = succeedsOr(DataError, () => parseCsv(text, "f.csv", rules));
        if (d) checkDataset(d, rules);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it("arbitrary bytes, plain or gzip, named .csv or .csv.gz (loadCsv from bytes, decodeText)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uint8Array({ maxLength: 120 }), validishCsv.map((t) => new TextEncoder().encode(t)), validishCsv.map((t) => new Uint8Array(gzipSync(t)))),
        fc.boolean(),
        fc.nat(),
        async (bytes, gzName, cut) => {
          const b = new Uint8Array(bytes.subarray(0, cut % (bytes.length + 1) || bytes.length));
          const text = await decodeText(b, gzName ? "f.csv.gz" : "f.csv").catch((e) => {
            if (e instanceof DataError) return undefined;
            throw e;
          });
          if (text !== undefined) expect(typeof text).toBe("string");
          const d = await loadCsv(b).catch((e) => {
            if (e instanceof DataError) return undefined;
            throw e;
          });
          if (d) checkDataset(d);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});

// ---- model files ----

const layersArb = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 4 });
const f32 = fc.float({ noNaN: true, noDefaultInfinity: true });
const modelDataArb: fc.Arbitrary<ModelData> = layersArb.chain((layers) => {
  const W = layers.slice(1).map((n, l) => fc.array(f32, { minLength: layers[l] * n, maxLength: layers[l] * n }).map((a) => new Float32Array(a)));
  const b = layers.slice(1).map((n) => fc.array(f32, { minLength: n, maxLength: n }).map((a) => new Float32Array(a)));
  const F = layers[0];
  const vec = fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: F, maxLength: F }).map((a) => new Float64Array(a));
  // divisors are standard deviations (+1e-8) or 1: the reader refuses any that is not positive
  const divisors = fc.array(fc.double({ min: 1e-12, max: 1e12, noNaN: true }), { minLength: F, maxLength: F }).map((a) => new Float64Array(a));
  return fc.record({
    W: fc.tuple(...W),
    b: fc.tuple(...b),
    norm: fc.option(fc.record({ kind: fc.constantFrom("feature" as const, "global" as const), mean: vec, divisor: divisors }), { nil: undefined }),
    range: fc.option(fc.tuple(fc.integer({ min: -100, max: 0 }), fc.integer({ min: 0, max: 100 })), { nil: undefined }),
  }).map(({ W, b, norm, range }) => ({ params: { layers, W, b }, normalization: norm, range }) as ModelData);
});

function withCrc(bytes: Uint8Array): Uint8Array {
  const b = bytes.slice();
  if (b.length >= 4) new DataView(b.buffer).setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
  return b;
}

describe("property: the model-file reader succeeds or throws ModelFileError", () => {
  it("arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        succeedsOr(ModelFileError, () => decodeModel(b, "m.wmlp"));
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it("arbitrary bytes behind a valid magic, version and checksum (reaches the deep checks)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 400 }), fc.integer({ min: 2, max: 5 }), fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 5 }), (body, L, sizes) => {
        const b = body.slice();
        b.set([0x57, 0x4d, 0x4c, 0x50, 1, 0, L, 0], 0);
        const dv = new DataView(b.buffer);
        sizes.forEach((s, i) => 8 + 4 * i + 4 <= b.length && dv.setUint32(8 + 4 * i, s, true));
        const d = succeedsOr(ModelFileError, () => decodeModel(withCrc(b), "m.wmlp"));
        if (d) {
          expect(d.params.W.length).toBe(d.params.layers.length - 1);
          for (const w of [...d.params.W, ...d.params.b]) expect(w.every(Number.isFinite)).toBe(true);
        }
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it("valid models round-trip exactly; any single changed byte, truncation or extension is a ModelFileError", () => {
    fc.assert(
      fc.property(modelDataArb, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat(), (data, at, xor, cut) => {
        const bytes = encodeModel(data);
        const back = decodeModel(bytes);
        expect(encodeModel(back)).toEqual(bytes);
        expect(back.params.layers).toEqual(data.params.layers);
        const flipped = bytes.slice();
        flipped[at % bytes.length] ^= xor;
        expect(() => decodeModel(flipped)).toThrow(ModelFileError);
        expect(() => decodeModel(bytes.subarray(0, cut % bytes.length))).toThrow(ModelFileError);
        const longer = new Uint8Array(bytes.length + 1 + (cut % 8));
        longer.set(bytes);
        expect(() => decodeModel(longer)).toThrow(ModelFileError);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

// ---- flags ----

const FLAG_NAMES = [
  "model", "hidden", "init", "seed", "epochs", "lr", "batch", "optimizer", "momentum", "beta1", "beta2", "eps", "kernels",
  "dataset", "data", "normalize", "test-split", "patience", "every", "json", "save", "plot", "help", "bogus", "epoch",
];
const VALUES = [
  "0", "1", "-1", "3", "0.5", "1.5", "1e4", "1e9", "1e300", "NaN", "Infinity", "-Infinity", "", " ", "abc", "32", "32,16", "0,4", "1048577",
  "mlp", "slp", "sgd", "adam", "momentum", "scalar", "auto", "digits", "mnist", "feature", "global", "he", "x.csv", "--", "-", "0x10", "99999999999999999999",
];
const argArb = fc.oneof(
  fc.constantFrom(...FLAG_NAMES).map((n) => `--${n}`),
  fc.tuple(fc.constantFrom(...FLAG_NAMES), fc.constantFrom(...VALUES)).map(([n, v]) => `--${n}=${v}`),
  fc.constantFrom(...VALUES),
  fc.string({ maxLength: 8 }),
);

describe("property: the flag parser returns a sound config or throws UsageError", () => {
  it("arbitrary argv", () => {
    fc.assert(
      fc.property(fc.array(argArb, { maxLength: 8 }), (argv) => {
        const c = succeedsOr(UsageError, () => parseTrainFlags(argv));
        if (c === undefined || c === "help") return;
        expect(Number.isInteger(c.epochs) && c.epochs >= 1).toBe(true);
        expect(Number.isInteger(c.every) && c.every >= 1).toBe(true);
        expect(Number.isInteger(c.seed) && c.seed >= 0 && c.seed <= 0xffffffff).toBe(true);
        if (c.lr !== undefined) expect(c.lr > 0 && Number.isFinite(c.lr)).toBe(true);
        if (c.batch !== undefined) expect(Number.isInteger(c.batch) && c.batch >= 1).toBe(true);
        if (c.testSplit !== undefined) expect(c.testSplit > 0 && c.testSplit < 1).toBe(true);
        if (c.patience !== undefined) expect(c.testSplit).toBeDefined();
        for (const h of c.hidden) expect(Number.isInteger(h) && h >= 1 && h <= MAX_HIDDEN).toBe(true);
        if (c.model === "slp") expect(c.hidden).toEqual([]);
        for (const f of [c.save, c.plot, c.data]) if (f !== undefined) expect(f.trim()).not.toBe("");
        expect(["scalar", "simd", "relaxed", "auto"]).toContain(c.kernels);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

// ---- a saved model read back predicts the same ----

describe("property: a saved model read back gives identical predictions", () => {
  it("random small networks, data, seeds, normalisations and builds", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 0, maxLength: 2 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 2, max: 30 }),
        fc.nat(),
        fc.constantFrom("feature" as const, "global" as const),
        fc.constantFrom("scalar" as const, "simd" as const, "relaxed" as const),
        async (hidden, F, C, n, seed, normalize, kernels) => {
          let s = seed;
          const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
          const X = new Float32Array(n * F).map(() => Math.round(next() * 160) / 10);
          const y = new Uint8Array(n).map((_, i) => i % C);
          const m = await MLP.create({ layers: [F, ...hidden, C], seed, normalize, kernels });
          m.fit(X, y, { epochs: 3, lr: 0.05 });
          const bytes = m.toBytes();
          const back = await MLP.fromBytes(bytes, { kernels });
          // new inputs within the training data's range (the model refuses others)
          const [lo, hi] = m.range!;
          const Xq = new Float32Array(7 * F).map(() => Math.min(hi, Math.max(lo, Math.round(next() * 160) / 10)));
          const p1 = m.predictProba(Xq), p2 = back.predictProba(Xq);
          expect(Buffer.from(p2.buffer).equals(Buffer.from(p1.buffer))).toBe(true);
          expect(back.predict(Xq)).toEqual(m.predict(Xq));
          expect(back.toBytes()).toEqual(bytes);
        },
      ),
      { seed: SEED, numRuns: 40 },
    );
  });
});
