// The .wmlp model file: a small versioned binary, little-endian.
//
//   offset  size          field
//   0       4             magic "WMLP"
//   4       2             format version: 1, or 2 when a JSON block follows the range
//   6       2             number of layer sizes L (input, hidden..., output)
//   8       4·L           layer sizes, u32
//   ...     1             normalisation: 0 none, 1 feature, 2 global
//   ...     1             1 when the training data's value range follows, else 0
//   ...     2             zero
//   ...     8·F + 8·F     mean and divisor per input feature, f64 (only when normalisation is not 0)
//   ...     8 + 8         lowest and highest input value seen in training, f64 (only when the range flag is 1)
//   ...     4 + S         version 2 only: S, u32, then S bytes of UTF-8 JSON, an object with the fields below
//   ...     4·(...)       parameters, f32: W1 (fan_in × fan_out, row-major), b1, W2, b2, ...
//   end-4   4             CRC-32 (IEEE) of every byte before it
//
// The JSON block (version 2) holds what version 1 cannot say, each field only when it is not the default:
//   "activation"  the hidden layers' activation (engine/activations.ts; default "relu")
//   "schema"      how a table's columns become the inputs, and the class names (data/schema.ts)
//   "targets"     a regression model's targets: { names, mean, std }, each target's name, mean and population
//                 standard deviation in training (model/targets.ts); its outputs are linear, predictions
//                 output·std + mean. Its presence makes the model a regression model (1 or more outputs).
//   "seed"        the seed it was created with (default 42): its initial weights, shuffles and dropout masks
// A model with none is written as version 1, as before they existed; both versions are read.
// Readers reject a wrong magic, a newer version, a size that does not match the header, a bad checksum, and a
// schema that is not valid JSON or does not fit the layers.

import { ModelFileError } from "../errors.js";
import type { Params } from "./init.js";
import type { Normalization, NormalizeKind } from "./normalize.js";
import { featureCount, type Schema } from "../data/schema.js";
import { ACTIVATIONS, type ActivationKind } from "../engine/activations.js";
import { readTargets, targetsJson, type TargetScaling } from "./targets.js";

export const MAGIC = "WMLP";
export const FORMAT_VERSION = 2;
/**
 * The largest model file read (1 GiB): more parameters than any network a wasm32 memory can train. A device
 * or a pipe given as a model stops being read here.
 */
export const MAX_MODEL_BYTES = 2 ** 30;
/** The most layer sizes (input, hidden..., output) and units per layer a model file may hold. */
export const MAX_LAYERS = 64;
export const MAX_UNITS = 1 << 20;

export interface ModelData {
  params: Params;
  normalization: Normalization | undefined;
  /** Lowest and highest input value of the training data, so new inputs can be checked against it. */
  range?: readonly [number, number];
  /** How a table's columns become the inputs, and the class names (a model trained from a table has one). */
  schema?: Schema;
  /** The hidden layers' activation (relu when absent). */
  activation?: ActivationKind;
  /** A regression model's target scaling (absent for a classifier). */
  targets?: TargetScaling;
  /** The seed the model was created with (42 when absent). */
  seed?: number;
}

const KINDS: (NormalizeKind | undefined)[] = [undefined, "feature", "global"];

export function encodeModel({ params, normalization, range, schema, activation, targets, seed }: ModelData): Uint8Array {
  const layers = params.layers;
  const F = layers[0];
  const paramCount = params.W.reduce((s, w) => s + w.length, 0) + params.b.reduce((s, b) => s + b.length, 0);
  const extras = { ...(activation && activation !== "relu" && { activation }), ...(schema && { schema }), ...(targets && { targets: targetsJson(targets) }), ...(seed !== undefined && seed !== 42 && { seed }) };
  const json = Object.keys(extras).length ? new TextEncoder().encode(JSON.stringify(extras)) : undefined;
  const size = 8 + 4 * layers.length + 4 + (normalization ? 16 * F : 0) + (range ? 16 : 0) + (json ? 4 + json.length : 0) + 4 * paramCount + 4;
  const buf = new ArrayBuffer(size);
  const dv = new DataView(buf);
  const bytes = new Uint8Array(buf);
  let o = 0;
  for (let i = 0; i < 4; i++) bytes[o++] = MAGIC.charCodeAt(i);
  dv.setUint16(o, json ? 2 : 1, true); o += 2;
  dv.setUint16(o, layers.length, true); o += 2;
  for (const n of layers) { dv.setUint32(o, n, true); o += 4; }
  dv.setUint8(o, normalization ? KINDS.indexOf(normalization.kind) : 0);
  dv.setUint8(o + 1, range ? 1 : 0); o += 4;
  if (normalization) {
    for (const arr of [normalization.mean, normalization.divisor]) {
      for (let i = 0; i < F; i++) { dv.setFloat64(o, arr[i], true); o += 8; }
    }
  }
  if (range) { dv.setFloat64(o, range[0], true); dv.setFloat64(o + 8, range[1], true); o += 16; }
  if (json) { dv.setUint32(o, json.length, true); bytes.set(json, o + 4); o += 4 + json.length; }
  for (let l = 0; l < params.W.length; l++) {
    for (const arr of [params.W[l], params.b[l]]) {
      for (let i = 0; i < arr.length; i++) { dv.setFloat32(o, arr[i], true); o += 4; }
    }
  }
  dv.setUint32(o, crc32(bytes.subarray(0, o)), true);
  return bytes;
}

/** The fixed header: magic, version and layer sizes, each checked before anything is sized from it. */
function readHeader(bytes: Uint8Array, dv: DataView, fail: (why: string) => Error): { version: number; layers: number[] } {
  if (bytes.length < 12) throw fail(`too short to be a model file (${bytes.length} bytes)`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== MAGIC) throw fail(`not a wasm-mlp model file (magic ${JSON.stringify(magic)}, expected "${MAGIC}")`);
  const version = dv.getUint16(4, true);
  if (version > FORMAT_VERSION) throw fail(`format version ${version} is newer than this program reads (${FORMAT_VERSION}); upgrade wasm-mlp`);
  if (version < 1) throw fail(`format version ${version} is not valid`);
  const L = dv.getUint16(6, true);
  if (L < 2 || L > MAX_LAYERS) throw fail(`layer count ${L} is not valid`);
  if (bytes.length < 8 + 4 * L + 4 + 4) throw fail(`truncated (${bytes.length} bytes)`);
  const layers: number[] = [];
  for (let i = 0; i < L; i++) {
    const n = dv.getUint32(8 + 4 * i, true);
    if (n < 1 || n > MAX_UNITS) throw fail(`layer ${i} has ${n} units`);
    layers.push(n);
  }
  return { version, layers };
}

export function decodeModel(bytes: Uint8Array, name = "model"): ModelData {
  const fail = (why: string) => new ModelFileError(`${name}: ${why}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { version, layers } = readHeader(bytes, dv, fail), L = layers.length;
  let o = 8 + 4 * L;
  const kindCode = dv.getUint8(o), rangeFlag = dv.getUint8(o + 1); o += 4;
  if (kindCode >= KINDS.length) throw fail(`normalisation code ${kindCode} is not valid`);
  if (rangeFlag > 1) throw fail(`range flag ${rangeFlag} is not valid`);
  const kind = KINDS[kindCode];
  const F = layers[0];
  let paramCount = 0;
  for (let l = 1; l < L; l++) paramCount += layers[l - 1] * layers[l] + layers[l];
  const schemaAt = o + (kind ? 16 * F : 0) + (rangeFlag ? 16 : 0);
  if (version >= 2 && bytes.length < schemaAt + 4) throw fail(`truncated (${bytes.length} bytes)`);
  const schemaBytes = version >= 2 ? dv.getUint32(schemaAt, true) : 0;
  const expected = schemaAt + (version >= 2 ? 4 + schemaBytes : 0) + 4 * paramCount + 4;
  if (bytes.length !== expected) {
    throw fail(`${bytes.length < expected ? "truncated" : "has trailing bytes"}: ${bytes.length} bytes, the header says ${expected}`);
  }
  const stored = dv.getUint32(bytes.length - 4, true);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== stored) throw fail("checksum mismatch: the file is damaged");
  let normalization: Normalization | undefined;
  if (kind) {
    const mean = new Float64Array(F), divisor = new Float64Array(F);
    for (const arr of [mean, divisor]) for (let i = 0; i < F; i++) { arr[i] = dv.getFloat64(o, true); o += 8; }
    normalization = { kind, mean, divisor };
  }
  let range: [number, number] | undefined;
  if (rangeFlag) {
    range = [dv.getFloat64(o, true), dv.getFloat64(o + 8, true)];
    o += 16;
    if (!(range[0] <= range[1])) throw fail("holds an invalid input range");
  }
  let extras: Extras = {};
  if (version >= 2) {
    extras = readExtras(bytes.subarray(o + 4, o + 4 + schemaBytes), layers, fail);
    o += 4 + schemaBytes;
  }
  const W: Float32Array[] = [], b: Float32Array[] = [];
  for (let l = 1; l < L; l++) {
    for (const [list, len] of [[W, layers[l - 1] * layers[l]], [b, layers[l]]] as const) {
      const arr = new Float32Array(len);
      for (let i = 0; i < len; i++) { arr[i] = dv.getFloat32(o, true); o += 4; }
      list.push(arr);
    }
  }
  for (const arr of [...W, ...b, ...(normalization ? [normalization.mean, normalization.divisor] : [])]) {
    if (!arr.every(Number.isFinite)) throw fail("holds a parameter that is not a finite number");
  }
  if (normalization && !normalization.divisor.every((d) => d > 0)) throw fail("holds a normalisation divisor that is not positive");
  return { params: { layers, W, b }, normalization, range, ...extras };
}

/** The JSON block: an object whose fields are known and fit the layers, or a ModelFileError. */
type Extras = Pick<ModelData, "schema" | "activation" | "targets" | "seed">;

function readExtras(json: Uint8Array, layers: readonly number[], fail: (why: string) => Error): Extras {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json));
  } catch (e) {
    throw fail(`its JSON block is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw fail("its JSON block is not an object");
  const { schema, activation, targets, seed, ...unknown } = v as Record<string, unknown>;
  if (Object.keys(unknown).length) throw fail(`its JSON block has fields this program does not know (${Object.keys(unknown).join(", ")}); upgrade wasm-mlp`);
  if (activation !== undefined && !(ACTIVATIONS as readonly unknown[]).includes(activation)) throw fail(`its activation ${JSON.stringify(activation)} is not one of ${ACTIVATIONS.join(", ")}`);
  const scaling = targets === undefined ? undefined : readTargets(targets, layers[layers.length - 1]);
  if (typeof scaling === "string") throw fail(scaling);
  if (seed !== undefined && !(Number.isInteger(seed) && (seed as number) >= 0 && (seed as number) <= 0xffffffff)) throw fail(`its seed ${JSON.stringify(seed)} is not an integer in 0..4294967295`);
  return { ...(seed !== undefined && { seed: seed as number }), ...(schema !== undefined && { schema: readSchema(schema, layers, fail) }), ...(activation !== undefined && { activation: activation as ActivationKind }), ...(scaling && { targets: scaling }) };
}

/** The schema: its shape and sizes agree with the layers, or a ModelFileError. */
function readSchema(v: unknown, layers: readonly number[], fail: (why: string) => Error): Schema {
  const words = (a: unknown): a is string[] => Array.isArray(a) && a.length > 0 && a.every((w) => typeof w === "string") && new Set(a).size === a.length;
  const o = v as Record<string, unknown>;
  const columns = o?.columns;
  const ok = typeof o === "object" && o !== null && typeof o.label === "string" && Array.isArray(columns) &&
    columns.every((c) => typeof c === "object" && c !== null && typeof c.name === "string" && (c.categories === undefined || words(c.categories))) &&
    (o.classes === undefined || words(o.classes));
  if (!ok) throw fail("its schema does not have the fields a schema has (columns, label, classes)");
  const schema = v as Schema, classes = layers[layers.length - 1];
  if (featureCount(schema) !== layers[0]) throw fail(`its schema makes ${featureCount(schema)} inputs, the layers take ${layers[0]}`);
  if (schema.classes && schema.classes.length !== classes) throw fail(`its schema names ${schema.classes.length} classes, the layers have ${classes}`);
  if (schema.targets !== undefined && !(words(schema.targets) && schema.targets.length === classes)) throw fail(`its schema's targets must name the ${classes} outputs`);
  return schema;
}

let table: Uint32Array | undefined;
export function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
