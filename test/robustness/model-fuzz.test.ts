// 10,000 mutations of real model files (version 1, and version 2 with an activation and a schema): flipped
// bits and bytes, truncations, insertions, and length fields that lie, with or without a fixed-up checksum.
// Each must end in a ModelFileError or read back as a valid model; no other exception, and no allocation
// larger than the file is ever attempted (the sizes are checked against the file before anything is made).

import { describe, expect, it } from "vitest";
import { crc32, decodeModel, encodeModel, type ModelData } from "../../src/model/modelfile.js";
import { ModelFileError } from "../../src/errors.js";
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

/** The checksum recomputed, so a mutation reaches the checks behind it. */
function fixCrc(b: Uint8Array): Uint8Array {
  if (b.length >= 4) new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
  return b;
}

/** One mutation of a file, by kind. */
const MUTATIONS: Record<string, (b: Uint8Array) => Uint8Array> = {
  "flip a bit": (b) => { const c = b.slice(); c[int(c.length)] ^= 1 << int(8); return c; },
  "flip a bit, checksum fixed": (b) => { const c = b.slice(); c[int(c.length - 4)] ^= 1 << int(8); return fixCrc(c); },
  "random byte, checksum fixed": (b) => { const c = b.slice(); c[int(c.length - 4)] = int(256); return fixCrc(c); },
  "truncate": (b) => b.slice(0, int(b.length)),
  "truncate, checksum fixed": (b) => fixCrc(b.slice(0, 4 + int(b.length - 4))),
  "insert a byte, checksum fixed": (b) => { const at = int(b.length - 4); return fixCrc(new Uint8Array([...b.subarray(0, at), int(256), ...b.subarray(at)])); },
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
    const outcomes: Record<string, number> = {};
    const kinds = Object.keys(MUTATIONS);
    for (let i = 0; i < 10_000; i++) {
      const kind = kinds[i % kinds.length];
      const bytes = MUTATIONS[kind](SEEDS[int(SEEDS.length)]);
      let outcome: string;
      try {
        const m = decodeModel(bytes, "fuzz.wmlp");
        // what reads back is a model: sizes that agree, finite numbers, a positive divisor
        const L = m.params.layers;
        m.params.W.forEach((w, l) => expect(w.length).toBe(L[l] * L[l + 1]));
        for (const w of [...m.params.W, ...m.params.b]) expect(w.every(Number.isFinite)).toBe(true);
        outcome = "read back";
      } catch (e) {
        if (!(e instanceof ModelFileError)) throw new Error(`${kind}: ${String(e)} (not a ModelFileError)`);
        expect(e.message.startsWith("fuzz.wmlp: "), e.message).toBe(true);
        expect(e.message).not.toContain("\n");
        outcome = "ModelFileError";
      }
      outcomes[`${kind}: ${outcome}`] = (outcomes[`${kind}: ${outcome}`] ?? 0) + 1;
    }
    // every kind was tried, and the checksum-fixed mutations reached the checks behind the checksum
    expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(10_000);
    for (const kind of kinds) expect(Object.keys(outcomes).some((k) => k.startsWith(kind))).toBe(true);
    process.stdout.write(`model-fuzz outcomes: ${JSON.stringify(outcomes)}\n`);
  }, 60_000);
});
