// 10,000 mutations of real model files (version 1, and version 2 with an activation and a schema): flipped
// bits and bytes, truncations, insertions, and length fields that lie, with or without a fixed-up checksum.
// Each must end in a ModelFileError or read back as a valid model; no other exception, and no allocation
// larger than the file is ever attempted (the sizes are checked against the file before anything is made).

import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel, type ModelData } from "../../src/model/modelfile.js";
import { byteMutations, fixCrc, fuzz, type Mutation } from "./fuzz.js";
import { mulberry32 } from "../reference/random.js";

const rand = mulberry32(20261202);
const int = (n: number) => Math.floor(rand() * n);

function model(layers: number[], extras: Partial<ModelData>): Uint8Array {
  const W = layers.slice(1).map((n, i) => Float32Array.from({ length: layers[i] * n }, () => rand() - 0.5));
  const b = layers.slice(1).map((n) => Float32Array.from({ length: n }, () => rand() - 0.5));
  const F = layers[0];
  const normalization = { kind: "feature" as const, mean: Float64Array.from({ length: F }, () => rand()), divisor: Float64Array.from({ length: F }, () => 1 + rand()) };
  return encodeModel({ params: { layers, W, b }, normalization, range: [0, 16], ...extras });
}

const SEEDS = [
  model([5, 4, 3], {}),
  model([4, 6, 5, 3], { activation: "tanh" }),
  model([4, 3], { schema: { columns: [{ name: "a" }, { name: "b", categories: ["x", "y", "z"] }], label: "c", classes: ["p", "q", "r"] } }),
];

/** One mutation of a file, by kind. */
const MUTATIONS: Record<string, Mutation> = {
  ...byteMutations(int),
  "a length that lies, checksum fixed": (b) => {
    const c = b.slice(), dv = new DataView(c.buffer);
    // the layer count, a layer size, or (version 2) the JSON block's length
    const field = int(3);
    if (field === 0) dv.setUint16(6, int(70), true);
    else if (field === 1) dv.setUint32(8 + 4 * int(dv.getUint16(6, true) || 1), [0, 1, 2 ** 20, 2 ** 20 + 1, 2 ** 32 - 1][int(5)], true);
    else dv.setUint32(Math.max(0, c.length - 40 - int(20)), [0, 1, 2 ** 31, 2 ** 32 - 1][int(4)], true);
    return fixCrc(c);
  },
  "JSON that is not a schema, checksum fixed": (b) => {
    const text = new TextDecoder().decode(b);
    const at = text.indexOf('{"');
    if (at < 0) return MUTATIONS["flip a bit"](b);
    const c = b.slice();
    c[at + 1 + int(20)] = "{}[]\":,x0"[int(9)].charCodeAt(0);
    return fixCrc(c);
  },
};

describe("model files, fuzzed", () => {
  it("10,000 mutations each end in a ModelFileError or a valid model, and nothing else", () => {
    const outcomes = fuzz(10_000, SEEDS, MUTATIONS, int, "fuzz.wmlp: ", (bytes) => {
      const m = decodeModel(bytes, "fuzz.wmlp");
      // what reads back is a model: sizes that agree, finite numbers, a positive divisor
      const L = m.params.layers;
      m.params.W.forEach((w, l) => expect(w.length).toBe(L[l] * L[l + 1]));
      for (const w of [...m.params.W, ...m.params.b]) expect(w.every(Number.isFinite)).toBe(true);
    });
    process.stdout.write(`model-fuzz outcomes: ${JSON.stringify(outcomes)}\n`);
  }, 60_000);
});
