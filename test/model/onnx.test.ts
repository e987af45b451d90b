// ONNX export: the protobuf writer against the encoding protobuf specifies; exported models run in ONNX
// Runtime (onnxruntime-web, its wasm backend in Node) and match a plain TypeScript forward pass within 1e-5
// on every probability; their structure and metadata read back with a small protobuf reader written here;
// and, where Debian's python3-onnx is installed, onnx.checker accepts them. Without it that check is skipped
// with one line saying why; under CI=true that is a failure instead.

import { afterAll, describe, expect, it } from "vitest";
import * as ort from "onnxruntime-web";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeOnnx, ProtoWriter, type OnnxModelInput } from "../../src/model/onnx.js";
import { UsageError } from "../../src/errors.js";
import { inCi } from "../e2e/chromium.js";

ort.env.wasm.numThreads = 1;

const TOLERANCE = 1e-5;

// --- a minimal protobuf reader -------------------------------------------------------------------------
// Written from the protobuf encoding and onnx.proto independently of src/model/onnx.ts, so that a wrong
// field number there shows here. Field numbers used below, from onnx.proto:
const PB = {
  ModelProto: { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8, metadataProps: 14 },
  OperatorSetIdProto: { domain: 1, version: 2 },
  StringStringEntryProto: { key: 1, value: 2 },
  GraphProto: { node: 1, initializer: 5, input: 11, output: 12 },
  NodeProto: { input: 1, output: 2, opType: 4, attribute: 5 },
  AttributeProto: { name: 1, i: 3 },
  TensorProto: { dims: 1, dataType: 2, floatData: 4, name: 8, doubleData: 10 },
  ValueInfoProto: { name: 1, type: 2 },
  TypeProto: { tensorType: 1 },
  TypeProtoTensor: { elemType: 1, shape: 2 },
  TensorShapeProto: { dim: 1 },
  Dimension: { dimValue: 1, dimParam: 2 },
} as const;

type Value = bigint | Uint8Array;
interface Field { field: number; value: Value }

function readVarint(b: Uint8Array, at: { o: number }): bigint {
  let v = 0n;
  for (let shift = 0n; ; shift += 7n) {
    const byte = b[at.o++];
    if (byte === undefined) throw new Error("truncated varint");
    v |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return v;
  }
}

/** A message's fields in order: varints as bigint, length-delimited fields as bytes (other wire types: error). */
function readFields(b: Uint8Array): Field[] {
  const fields: Field[] = [];
  const at = { o: 0 };
  while (at.o < b.length) {
    const tag = Number(readVarint(b, at));
    const field = tag >> 3;
    const wire = tag & 7;
    if (wire === 0) fields.push({ field, value: readVarint(b, at) });
    else if (wire === 2) {
      const n = Number(readVarint(b, at));
      if (at.o + n > b.length) throw new Error("truncated field");
      fields.push({ field, value: b.subarray(at.o, at.o + n) });
      at.o += n;
    } else throw new Error(`wire type ${wire} not expected here`);
  }
  return fields;
}

const all = (b: Uint8Array, field: number): Value[] => readFields(b).filter((f) => f.field === field).map((f) => f.value);
const bytesOf = (v: Value): Uint8Array => { if (typeof v === "bigint") throw new Error("expected bytes"); return v; };
const one = (b: Uint8Array, field: number): Value => {
  const vs = all(b, field);
  if (vs.length !== 1) throw new Error(`field ${field}: ${vs.length} values, expected 1`);
  return vs[0];
};
const str = (b: Uint8Array, field: number): string => new TextDecoder().decode(bytesOf(one(b, field)));
const strs = (b: Uint8Array, field: number): string[] => all(b, field).map((v) => new TextDecoder().decode(bytesOf(v)));
const int = (b: Uint8Array, field: number): number => Number(one(b, field));
const msg = (b: Uint8Array, field: number): Uint8Array => bytesOf(one(b, field));
const msgs = (b: Uint8Array, field: number): Uint8Array[] => all(b, field).map(bytesOf);

function metadataOf(model: Uint8Array): Record<string, string> {
  const E = PB.StringStringEntryProto;
  return Object.fromEntries(msgs(model, PB.ModelProto.metadataProps).map((e) => [str(e, E.key), str(e, E.value)]));
}

/** A graph input's or output's name, element type and shape (symbolic dimensions as strings). */
function valueInfo(v: Uint8Array): { name: string; elemType: number; shape: (number | string)[] } {
  const tensor = msg(msg(v, PB.ValueInfoProto.type), PB.TypeProto.tensorType);
  const shape = msgs(msg(tensor, PB.TypeProtoTensor.shape), PB.TensorShapeProto.dim).map((d) =>
    all(d, PB.Dimension.dimParam).length ? str(d, PB.Dimension.dimParam) : int(d, PB.Dimension.dimValue));
  return { name: str(v, PB.ValueInfoProto.name), elemType: int(tensor, PB.TypeProtoTensor.elemType), shape };
}

// --- random models and a reference forward pass --------------------------------------------------------

/** A seeded LCG (Numerical Recipes' constants) giving uniform numbers in [lo, hi). */
function lcg(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0;
  return (lo, hi) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (hi - lo) * (s / 2 ** 32);
  };
}

function randomModel(layers: number[], normalized: boolean, seed: number): OnnxModelInput {
  const rand = lcg(seed);
  const W: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (let l = 0; l + 1 < layers.length; l++) {
    // twice Glorot's scale, so the softmax sees logits of a few units, neither flat nor saturated
    const scale = 2 * Math.sqrt(6 / (layers[l] + layers[l + 1]));
    W.push(Float32Array.from({ length: layers[l] * layers[l + 1] }, () => rand(-scale, scale)));
    b.push(Float32Array.from({ length: layers[l + 1] }, () => rand(-0.5, 0.5)));
  }
  const F = layers[0];
  // pixel-like inputs in [0, 16) standardised by arbitrary f64 means and divisors, as fitNormalization gives
  const normalization = normalized
    ? { mean: Float64Array.from({ length: F }, () => rand(0, 16)), divisor: Float64Array.from({ length: F }, () => rand(0.3, 6)) }
    : undefined;
  return { layers, W, b, normalization };
}

/** The forward pass in f32, one rounding per operation; standardisation as src/normalize.ts does it (f64, then f32). */
function forward(m: OnnxModelInput, X: Float32Array, n: number): Float32Array {
  const { layers } = m;
  const classes = layers[layers.length - 1];
  const out = new Float32Array(n * classes);
  for (let r = 0; r < n; r++) {
    let a = X.subarray(r * layers[0], (r + 1) * layers[0]);
    if (m.normalization) {
      const { mean, divisor } = m.normalization;
      a = a.map((x, j) => (x - mean[j]) / divisor[j]);
    }
    for (let l = 0; l < m.W.length; l++) {
      const [fanIn, fanOut] = [layers[l], layers[l + 1]];
      const z = new Float32Array(fanOut);
      for (let j = 0; j < fanOut; j++) {
        let s = 0;
        for (let i = 0; i < fanIn; i++) s = Math.fround(s + Math.fround(a[i] * m.W[l][i * fanOut + j]));
        z[j] = Math.fround(s + m.b[l][j]);
      }
      a = l + 1 < m.W.length ? z.map((v) => Math.max(v, 0)) : z;
    }
    const max = Math.max(...a);
    const e = Array.from(a, (v) => Math.exp(v - max));
    const sum = e.reduce((s, v) => s + v, 0);
    for (let j = 0; j < classes; j++) out[r * classes + j] = e[j] / sum;
  }
  return out;
}

function argmax(p: ArrayLike<number>, from: number, count: number): number {
  let best = 0;
  for (let j = 1; j < count; j++) if (p[from + j] > p[from + best]) best = j;
  return best;
}

async function runOrt(bytes: Uint8Array, X: Float32Array, n: number, F: number): Promise<{ proba: Float32Array; label: BigInt64Array }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ input: new ort.Tensor("float32", X, [n, F]) });
    expect(out.probabilities.dims).toEqual([n, out.probabilities.dims[1]]);
    expect(out.label.dims).toEqual([n]);
    return { proba: out.probabilities.data as Float32Array, label: out.label.data as BigInt64Array };
  } finally {
    await session.release();
  }
}

// --- tests ---------------------------------------------------------------------------------------------

describe("ProtoWriter", () => {
  const varint = (v: number | bigint) => Array.from(new ProtoWriter().varint(v).finish());

  it("writes varints as protobuf specifies: 7 bits a byte, low first, continuation bit on all but the last", () => {
    expect(varint(0)).toEqual([0x00]);
    expect(varint(1)).toEqual([0x01]);
    expect(varint(127)).toEqual([0x7f]);
    expect(varint(128)).toEqual([0x80, 0x01]);
    expect(varint(300)).toEqual([0xac, 0x02]); // the protobuf encoding guide's example
    expect(varint(2 ** 31)).toEqual([0x80, 0x80, 0x80, 0x80, 0x08]);
    expect(varint(2 ** 53 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(varint(2n ** 64n - 1n)).toEqual([...Array(9).fill(0xff), 0x01]);
  });

  it("writes a negative int64 as its two's complement: ten bytes", () => {
    expect(varint(-1)).toEqual([...Array(9).fill(0xff), 0x01]);
    expect(varint(-1n)).toEqual(varint(-1));
    expect(varint(-2)).toEqual([0xfe, ...Array(8).fill(0xff), 0x01]);
    expect(varint(-(2n ** 63n))).toEqual([...Array(9).fill(0x80), 0x01]);
  });

  it("refuses what is not a 64-bit integer", () => {
    expect(() => varint(2 ** 53)).toThrow(RangeError);
    expect(() => varint(0.5)).toThrow(RangeError);
    expect(() => varint(2n ** 64n)).toThrow(RangeError);
    expect(() => varint(-(2n ** 63n) - 1n)).toThrow(RangeError);
  });

  it("writes tags, strings, embedded messages and packed floats", () => {
    // field 1 varint 150 and field 2 string "testing": the encoding guide's examples
    expect(Array.from(new ProtoWriter().int(1, 150).finish())).toEqual([0x08, 0x96, 0x01]);
    expect(Array.from(new ProtoWriter().string(2, "testing").finish())).toEqual([0x12, 0x07, ...new TextEncoder().encode("testing")]);
    expect(Array.from(new ProtoWriter().message(3, (w) => w.int(1, 150)).finish())).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01]);
    expect(Array.from(new ProtoWriter().packedFloats(4, [1, -2]).finish())).toEqual([0x22, 0x08, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
    // a field number past 15 takes a two-byte tag; an empty string is a zero length
    expect(Array.from(new ProtoWriter().string(20, "").finish())).toEqual([0xa2, 0x01, 0x00]);
  });

  it("grows its buffer across many writes", () => {
    const values = Float32Array.from({ length: 10_000 }, (_, i) => i / 7);
    const bytes = new ProtoWriter().int(1, 5).packedFloats(2, values).finish();
    const fields = readFields(bytes);
    expect(fields.map((f) => f.field)).toEqual([1, 2]);
    const data = bytesOf(fields[1].value);
    expect(new Float32Array(data.slice().buffer)).toEqual(values);
  });
});

const CONFIGS: { layers: number[]; normalized: boolean }[] = [
  { layers: [13, 7, 5], normalized: false },
  { layers: [13, 7, 5], normalized: true },
  { layers: [21, 17, 9, 6], normalized: false },
  { layers: [21, 17, 9, 6], normalized: true },
  { layers: [37, 23, 19, 11, 7], normalized: false },
  { layers: [37, 23, 19, 11, 7], normalized: true },
];
const ROWS = 53;

describe("encodeOnnx in ONNX Runtime", () => {
  it.each(CONFIGS.map((c, i) => ({ ...c, seed: 1000 + i, name: `${c.layers.join("-")}${c.normalized ? ", standardised" : ""}` })))(
    "$name: probabilities within 1e-5 of the TypeScript forward pass, label their argmax",
    async ({ layers, normalized, seed }) => {
      const m = randomModel(layers, normalized, seed);
      const F = layers[0];
      const classes = layers[layers.length - 1];
      const rand = lcg(seed + 1);
      const X = Float32Array.from({ length: ROWS * F }, () => (normalized ? rand(0, 16) : rand(-2, 2)));
      const bytes = encodeOnnx(m);
      const want = forward(m, X, ROWS);
      const { proba, label } = await runOrt(bytes, X, ROWS, F);
      expect(proba.length).toBe(ROWS * classes);
      let worst = 0;
      let decided = 0;
      for (let r = 0; r < ROWS; r++) {
        for (let j = 0; j < classes; j++) worst = Math.max(worst, Math.abs(proba[r * classes + j] - want[r * classes + j]));
        expect(Number(label[r])).toBe(argmax(proba, r * classes, classes));
        // the reference agrees wherever its top two are further apart than the tolerance
        const sorted = Array.from(want.subarray(r * classes, (r + 1) * classes)).sort((p, q) => q - p);
        if (sorted[0] - sorted[1] > 2 * TOLERANCE) {
          expect(Number(label[r])).toBe(argmax(want, r * classes, classes));
          decided++;
        }
      }
      expect(worst).toBeLessThan(TOLERANCE);
      expect(decided).toBeGreaterThan(ROWS / 2);
      // N is symbolic: one row runs in the same model
      const single = await runOrt(bytes, X.subarray(0, F), 1, F);
      for (let j = 0; j < classes; j++) expect(Math.abs(single.proba[j] - want[j])).toBeLessThan(TOLERANCE);
    },
  );
});

describe("encodeOnnx structure", () => {
  const m: OnnxModelInput = {
    ...randomModel([13, 11, 6, 3], true, 7),
    classNames: ["cat", "dog", "caf\u00e9 \"au lait\""],
    metadata: { seed: "7", producer_version: "0.1.0" },
  };
  const bytes = encodeOnnx(m);

  it("is an IR version 8, opset 13 model by wasm-mlp", () => {
    const M = PB.ModelProto;
    expect(int(bytes, M.irVersion)).toBe(8);
    expect(str(bytes, M.producerName)).toBe("wasm-mlp");
    const opset = msg(bytes, M.opsetImport);
    expect(str(opset, PB.OperatorSetIdProto.domain)).toBe("");
    expect(int(opset, PB.OperatorSetIdProto.version)).toBe(13);
  });

  it("has the documented graph: standardisation, Gemm and Relu per layer, Softmax, ArgMax", () => {
    const graph = msg(bytes, PB.ModelProto.graph);
    const N = PB.NodeProto;
    const nodes = msgs(graph, PB.GraphProto.node);
    expect(nodes.map((n) => str(n, N.opType))).toEqual(["Cast", "Sub", "Div", "Cast", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax", "ArgMax"]);
    expect(strs(nodes[4], N.input)).toEqual(["standardized", "W1", "b1"]);
    const attributes = (node: Uint8Array) =>
      Object.fromEntries(msgs(node, N.attribute).map((a) => [str(a, PB.AttributeProto.name), int(a, PB.AttributeProto.i)]));
    // standardisation in f64, as the host: Cast to double (11), Sub, Div, Cast back to float (1)
    expect([attributes(nodes[0]), attributes(nodes[3])]).toEqual([{ to: 11 }, { to: 1 }]);
    expect(attributes(nodes[9])).toEqual({ axis: 1 });
    expect(attributes(nodes[10])).toEqual({ axis: 1, keepdims: 0 });

    const T = PB.TensorProto;
    const tensors = msgs(graph, PB.GraphProto.initializer).map((t) => ({
      name: str(t, T.name),
      dims: all(t, T.dims).map(Number),
      dataType: int(t, T.dataType),
      data: int(t, T.dataType) === 11 ? new Float64Array(msg(t, T.doubleData).slice().buffer) : new Float32Array(msg(t, T.floatData).slice().buffer),
    }));
    expect(tensors.map((t) => [t.name, t.dims])).toEqual([
      ["mean", [13]], ["divisor", [13]], ["W1", [13, 11]], ["b1", [11]], ["W2", [11, 6]], ["b2", [6]], ["W3", [6, 3]], ["b3", [3]],
    ]);
    expect(tensors.map((t) => t.dataType)).toEqual([11, 11, 1, 1, 1, 1, 1, 1]);
    expect(tensors[0].data).toEqual(m.normalization!.mean);
    expect(tensors[1].data).toEqual(m.normalization!.divisor);
    expect(tensors[3].data).toEqual(m.b[0]);
    expect(tensors[6].data).toEqual(m.W[2]);

    expect(msgs(graph, PB.GraphProto.input).map(valueInfo)).toEqual([{ name: "input", elemType: 1, shape: ["N", 13] }]);
    expect(msgs(graph, PB.GraphProto.output).map(valueInfo)).toEqual([
      { name: "probabilities", elemType: 1, shape: ["N", 3] },
      { name: "label", elemType: 7, shape: ["N"] },
    ]);
  });

  it("carries layers, class names and the caller's metadata in metadata_props", () => {
    const meta = metadataOf(bytes);
    expect(meta).toEqual({ layers: "13-11-6-3", class_names: JSON.stringify(m.classNames), seed: "7", producer_version: "0.1.0" });
    expect(JSON.parse(meta.class_names)).toEqual(m.classNames);
    expect(metadataOf(encodeOnnx(randomModel([4, 2], false, 1)))).toEqual({ layers: "4-2" });
  });

  it("model.toOnnx() carries the seed the model was created with, and so does its .wmlp file", async () => {
    const { MLP, loadDigits } = await import("../../src/index.js");
    const d = await loadDigits();
    const model = await MLP.create({ layers: [64, 8, 10], seed: 9, threads: 1 });
    model.fit(d.X, d.y, { epochs: 2 });
    expect(metadataOf(model.toOnnx())).toEqual({ layers: "64-8-10", seed: "9" });
    const again = await MLP.fromBytes(model.toBytes(), { threads: 1 });
    expect(again.seed).toBe(9);
    expect(metadataOf(again.toOnnx()).seed).toBe("9");
    model.dispose();
    again.dispose();
  });

  it("without normalization starts at Gemm, and a model without hidden layers has no Relu", () => {
    const graph = msg(encodeOnnx(randomModel([5, 3], false, 2)), PB.ModelProto.graph);
    expect(msgs(graph, PB.GraphProto.node).map((n) => str(n, PB.NodeProto.opType))).toEqual(["Gemm", "Softmax", "ArgMax"]);
  });

  it("refuses inconsistent input with a UsageError that says what is wrong", () => {
    const base = randomModel([5, 4, 3], true, 3);
    const bad: [Partial<OnnxModelInput>, RegExp][] = [
      [{ layers: [5] }, /at least the input and output sizes/],
      [{ layers: [5, 4.5, 3] }, /positive integers/],
      [{ W: base.W.slice(0, 1) }, /need 2 weight matrices/],
      [{ W: [new Float32Array(19), base.W[1]] }, /W\[0\] must hold 5×4 = 20 values, got 19/],
      [{ b: [base.b[0], new Float32Array(4)] }, /b\[1\] must hold 3 values/],
      [{ normalization: { mean: new Float64Array(5), divisor: new Float64Array(4) } }, /5 means and divisors/],
      [{ activation: "swish" as "relu" }, /activation must be one of relu, leaky_relu, tanh, sigmoid, gelu, got "swish"/],
      [{ classNames: ["a", "b"] }, /3 names, got 2/],
      [{ metadata: { layers: "x" } }, /"layers" is written by encodeOnnx/],
    ];
    for (const [change, message] of bad) {
      expect(() => encodeOnnx({ ...base, ...change })).toThrow(UsageError);
      expect(() => encodeOnnx({ ...base, ...change })).toThrow(message);
    }
  });
});

// --- onnx.checker (Debian's python3-onnx) --------------------------------------------------------------

const PYTHON = "/usr/bin/python3";
const CHECKER = fileURLToPath(new URL("./onnx_check.py", import.meta.url));

function checkerProblem(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} does not exist`;
  const r = spawnSync(PYTHON, ["-c", "import onnx"], { encoding: "utf8" });
  if (r.status !== 0) return `${PYTHON} cannot import onnx (${(r.stderr || r.error?.message || "").trim().split("\n").pop()})`;
  return undefined;
}
const problem = checkerProblem();
const skipChecker = problem !== undefined && !inCi();
if (skipChecker) {
  process.stderr.write(`onnx.checker test skipped: ${problem}; install Debian's python3-onnx (apt-get install python3-onnx) to run it. (With CI=true this fails.)\n`);
}

describe.skipIf(skipChecker)("onnx.checker", () => {
  const dir = mkdtempSync(join(tmpdir(), "wasm-mlp-onnx-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts every configuration (full_check) and reads back what was written", () => {
    if (problem) throw new Error(`onnx.checker cannot run: ${problem}; install Debian's python3-onnx (apt-get install python3-onnx)`);
    const models = CONFIGS.map((c, i) => ({
      ...randomModel(c.layers, c.normalized, 1000 + i),
      classNames: Array.from({ length: c.layers[c.layers.length - 1] }, (_, j) => `class ${j}`),
      metadata: { seed: String(1000 + i) },
    }));
    const files = models.map((m, i) => {
      const file = join(dir, `model${i}.onnx`);
      writeFileSync(file, encodeOnnx(m));
      return file;
    });
    const r = spawnSync(PYTHON, [CHECKER, ...files], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const read = r.stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(read).toHaveLength(models.length);
    read.forEach((got, i) => {
      const m = models[i];
      expect(got.ir_version).toBe(8);
      expect(got.opset).toEqual([["", 13]]);
      expect(got.producer_name).toBe("wasm-mlp");
      expect(got.ops.filter((op: string) => op === "Gemm")).toHaveLength(m.W.length);
      expect(got.metadata).toEqual({ layers: m.layers.join("-"), class_names: JSON.stringify(m.classNames), seed: m.metadata!.seed });
    });
  });
});
