// ONNX export of a trained MLP: encodeOnnx writes an ONNX ModelProto (IR version 8, opset 13) that any ONNX
// runtime runs, from the layer sizes, weights and standardisation a .wmlp file holds.
//
// The graph (quoted names are the ONNX value names):
//   "input" float32 [N, F], N a symbolic dimension
//   -> Cast(double) -> Sub("mean") -> Div("divisor") -> Cast(float)   only with a normalization
//   -> Gemm("W1", "b1") -> Relu -> ... -> Gemm("WL", "bL")   B is W as we store it, [fan_in, fan_out]: no transB
//   -> Softmax(axis=1) -> "probabilities" float32 [N, classes]
//   -> ArgMax(axis=1, keepdims=0) -> "label" int64 [N]
// or, for a regression model (`targets`), its outputs in the targets' units as MLP.predict gives them:
//   -> Cast(double) -> Mul("target_std") -> Add("target_mean") -> Cast(float) -> "prediction" float32 [N, targets]
// metadata_props: "layers" ("64-32-10"), "class_names" (a JSON array) when given, for regression "task"
// ("regress") and "target_names" (a JSON array), then the caller's entries.
//
// Standardisation as the host does it, bit for bit: the f32 input widened to f64 (exact), (x - mean) / divisor
// with the f64 mean and divisor the model keeps, rounded once to f32. Sub and Div in f32 on rounded constants
// would round four times and move about half the standardised values by a few ulps.
//
// The protobuf encoding is written here, not taken from a protobuf library: the export needs only varints,
// length-delimited fields and packed floats (ProtoWriter, under 100 lines, unit-tested), against a runtime
// dependency plus a compiled onnx.proto schema for every user of the package. Field numbers are in FIELD.

import { UsageError } from "../errors.js";
import { ACTIVATIONS, type ActivationKind } from "../engine/activations.js";

export type HiddenActivation = ActivationKind;
export const HIDDEN_ACTIVATIONS: readonly HiddenActivation[] = ACTIVATIONS;

/** GELU's constants (PyTorch's tanh approximation, as x·sigmoid(2u), u = √(2/π)·(x + 0.044715·x³)). */
const GELU_CUBIC = 0.044715, GELU_SCALE = 2 * Math.sqrt(2 / Math.PI);

export interface OnnxModelInput {
  /** Layer sizes from input to output, e.g. [64, 32, 10]. */
  layers: readonly number[];
  /** W[l] is fan_in × fan_out, row-major, as a .wmlp file stores it. */
  W: readonly Float32Array[];
  /** b[l] has fan_out entries. */
  b: readonly Float32Array[];
  /** Per feature x' = (x - mean) / divisor, computed in f64 and rounded to f32, as the host does. */
  normalization?: { mean: Float64Array; divisor: Float64Array };
  /** The hidden layers' activation; "relu" when absent. */
  activation?: HiddenActivation;
  /** One name per output class, stored as JSON in the metadata entry "class_names". */
  classNames?: readonly string[];
  /** A regression model's targets: each output is out · std + mean, in f64 rounded once, as MLP.predict. */
  targets?: { names: readonly string[]; mean: Float64Array; std: Float64Array };
  /** Further metadata_props entries (seed, producer version, ...); "layers", "class_names", "task" and "target_names" are taken. */
  metadata?: Record<string, string>;
}

const IR_VERSION = 8;
const OPSET = 13;
const PRODUCER = "wasm-mlp";
const RESERVED_METADATA = ["layers", "class_names", "task", "target_names"];

/** Protobuf field numbers of the onnx.proto messages written here (onnx/onnx, onnx/onnx.proto). */
const FIELD = {
  ModelProto: { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8, metadataProps: 14 },
  OperatorSetIdProto: { domain: 1, version: 2 },
  StringStringEntryProto: { key: 1, value: 2 },
  GraphProto: { node: 1, name: 2, initializer: 5, input: 11, output: 12 },
  NodeProto: { input: 1, output: 2, name: 3, opType: 4, attribute: 5 },
  AttributeProto: { name: 1, f: 2, i: 3, type: 20 },
  TensorProto: { dims: 1, dataType: 2, floatData: 4, name: 8, doubleData: 10 },
  ValueInfoProto: { name: 1, type: 2 },
  TypeProto: { tensorType: 1 },
  TypeProtoTensor: { elemType: 1, shape: 2 },
  TensorShapeProto: { dim: 1 },
  TensorShapeProtoDimension: { dimValue: 1, dimParam: 2 },
} as const;

/** onnx.proto enums: TensorProto.DataType and AttributeProto.AttributeType. */
const DATA_TYPE = { FLOAT: 1, INT64: 7, DOUBLE: 11 } as const;
const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2 } as const;

/** Protobuf wire types. */
const WIRE = { VARINT: 0, LEN: 2, I32: 5 } as const;

const UTF8 = new TextEncoder();

/**
 * Appends protobuf fields to a growing buffer. Exported for its unit test; encodeOnnx is the API.
 * Repeated scalars that onnx.proto does not declare packed (dims, ints) are written one field each, as
 * onnx's own serializer does; float_data is declared packed and is written packed.
 */
export class ProtoWriter {
  private buf = new Uint8Array(64);
  private len = 0;

  /**
   * A base-128 varint: 7 bits a byte, lowest first, the high bit set on every byte but the last. A negative
   * number is an int64's two's complement read as unsigned 64-bit, so it always takes 10 bytes.
   */
  varint(v: number | bigint): this {
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) throw new RangeError(`varint: ${v} is not a safe integer`);
      if (v < 0) return this.varint(BigInt(v));
      this.reserve(8); // 2^53 - 1 needs 8 bytes
      while (v >= 0x80) {
        this.buf[this.len++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.buf[this.len++] = v;
      return this;
    }
    if (v < -(1n << 63n) || v >= 1n << 64n) throw new RangeError(`varint: ${v} does not fit in 64 bits`);
    let u = BigInt.asUintN(64, v);
    this.reserve(10);
    while (u >= 0x80n) {
      this.buf[this.len++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.len++] = Number(u);
    return this;
  }

  /** An integer field (int32, int64, enum): wire type 0. */
  int(field: number, v: number | bigint): this {
    return this.tag(field, WIRE.VARINT).varint(v);
  }

  /** A length-delimited field of raw bytes. */
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, WIRE.LEN).varint(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, UTF8.encode(s));
  }

  /** An embedded message, written by `write` into its own writer, then length-prefixed here. */
  message(field: number, write: (w: ProtoWriter) => void): this {
    const sub = new ProtoWriter();
    write(sub);
    return this.bytes(field, sub.buf.subarray(0, sub.len));
  }

  /** A packed repeated float: one length prefix, then each value as 4 bytes little-endian (IEEE 754 binary32). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const n = 4 * values.length;
    this.tag(field, WIRE.LEN).varint(n);
    this.reserve(n);
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.len, n);
    for (let i = 0; i < values.length; i++) dv.setFloat32(4 * i, values[i], true);
    this.len += n;
    return this;
  }

  /** A packed repeated double: one length prefix, then each value as 8 bytes little-endian (IEEE 754 binary64). */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    const n = 8 * values.length;
    this.tag(field, WIRE.LEN).varint(n);
    this.reserve(n);
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.len, n);
    for (let i = 0; i < values.length; i++) dv.setFloat64(8 * i, values[i], true);
    this.len += n;
    return this;
  }

  /** A float field: wire type 5, 4 bytes little-endian. */
  float32(field: number, v: number): this {
    this.tag(field, WIRE.I32);
    this.reserve(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
    return this;
  }

  /** The bytes written so far, as a copy that owns its buffer. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }
}

/** A graph node; its attributes are INT attributes (the only kind this graph uses). */
interface GraphNode {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, number>;
  /** FLOAT attributes (LeakyRelu's alpha). */
  floats?: Record<string, number>;
}

interface Initializer {
  name: string;
  dims: number[];
  /** float32 data, or float64 (the standardisation's constants). */
  data: Float32Array | Float64Array;
}

/**
 * The nodes that apply a hidden activation to x, giving y. Another activation is another case: LeakyRelu
 * (with an alpha attribute), Tanh, Sigmoid; GELU has no opset-13 operator and would be built from Erf, Mul and Add.
 */
function activationNodes(kind: HiddenActivation, x: string, y: string, layer: number): GraphNode[] {
  switch (kind) {
    case "relu":
      return [{ op: "Relu", name: `relu${layer}`, inputs: [x], outputs: [y] }];
    case "leaky_relu":
      return [{ op: "LeakyRelu", name: `leaky${layer}`, inputs: [x], outputs: [y], floats: { alpha: 0.01 } }];
    case "tanh":
      return [{ op: "Tanh", name: `tanh${layer}`, inputs: [x], outputs: [y] }];
    case "sigmoid":
      return [{ op: "Sigmoid", name: `sigmoid${layer}`, inputs: [x], outputs: [y] }];
    case "gelu": {
      const n = (op: string, step: string, inputs: string[], out = `${x}_${step}`) => ({ op, name: `gelu${layer}_${step}`, inputs, outputs: [out] });
      return [
        n("Mul", "sq", [x, x]), n("Mul", "cube", [`${x}_sq`, x]), n("Mul", "cubic", [`${x}_cube`, "gelu_cubic"]),
        n("Add", "inner", [x, `${x}_cubic`]), n("Mul", "scaled", [`${x}_inner`, "gelu_scale"]), n("Sigmoid", "gate", [`${x}_scaled`]),
        n("Mul", "out", [x, `${x}_gate`], y),
      ];
    }
    default: {
      const unhandled: never = kind; // check() has refused anything not in HIDDEN_ACTIVATIONS
      throw new Error(`activation ${JSON.stringify(unhandled)} has no ONNX nodes`);
    }
  }
}

function check(m: OnnxModelInput): void {
  const fail = (why: string) => new UsageError(`encodeOnnx: ${why}`);
  const { layers, W, b } = m;
  if (layers.length < 2) throw fail(`layers must hold at least the input and output sizes, got [${layers.join(", ")}]`);
  for (const n of layers) if (!Number.isSafeInteger(n) || n < 1) throw fail(`layer sizes must be positive integers, got [${layers.join(", ")}]`);
  if (W.length !== layers.length - 1 || b.length !== layers.length - 1) {
    throw fail(`${layers.length} layer sizes need ${layers.length - 1} weight matrices and bias vectors, got ${W.length} and ${b.length}`);
  }
  for (let l = 0; l < W.length; l++) {
    const [fanIn, fanOut] = [layers[l], layers[l + 1]];
    if (W[l].length !== fanIn * fanOut) throw fail(`W[${l}] must hold ${fanIn}×${fanOut} = ${fanIn * fanOut} values, got ${W[l].length}`);
    if (b[l].length !== fanOut) throw fail(`b[${l}] must hold ${fanOut} values, got ${b[l].length}`);
  }
  if (m.normalization) {
    const { mean, divisor } = m.normalization;
    if (mean.length !== layers[0] || divisor.length !== layers[0]) {
      throw fail(`normalization must have ${layers[0]} means and divisors, got ${mean.length} and ${divisor.length}`);
    }
  }
  if (m.activation !== undefined && !HIDDEN_ACTIVATIONS.includes(m.activation)) {
    throw fail(`activation must be one of ${HIDDEN_ACTIVATIONS.join(", ")}, got ${JSON.stringify(m.activation)}`);
  }
  const classes = layers[layers.length - 1];
  if (m.classNames && m.classNames.length !== classes) throw fail(`classNames must have ${classes} names, got ${m.classNames.length}`);
  const t = m.targets;
  if (t && (t.names.length !== classes || t.mean.length !== classes || t.std.length !== classes)) throw fail(`targets must have ${classes} names, means and stds (one per output)`);
  if (t && m.classNames) throw fail("a model has class names or targets, not both");
  for (const key of Object.keys(m.metadata ?? {})) {
    if (RESERVED_METADATA.includes(key)) throw fail(`metadata key ${JSON.stringify(key)} is written by encodeOnnx itself`);
  }
}

/** The ONNX model (a serialized ModelProto) computing the MLP's class probabilities and predicted labels. */
export function encodeOnnx(m: OnnxModelInput): Uint8Array {
  check(m);
  const { layers } = m;
  const F = layers[0];
  const classes = layers[layers.length - 1];
  const nodes: GraphNode[] = [];
  const initializers: Initializer[] = [];

  let x = "input";
  if (m.normalization) {
    initializers.push({ name: "mean", dims: [F], data: Float64Array.from(m.normalization.mean) });
    initializers.push({ name: "divisor", dims: [F], data: Float64Array.from(m.normalization.divisor) });
    nodes.push({ op: "Cast", name: "to_double", inputs: [x], outputs: ["input_f64"], attributes: { to: DATA_TYPE.DOUBLE } });
    nodes.push({ op: "Sub", name: "sub_mean", inputs: ["input_f64", "mean"], outputs: ["centered"] });
    nodes.push({ op: "Div", name: "div_divisor", inputs: ["centered", "divisor"], outputs: ["standardized_f64"] });
    nodes.push({ op: "Cast", name: "to_float", inputs: ["standardized_f64"], outputs: ["standardized"], attributes: { to: DATA_TYPE.FLOAT } });
    x = "standardized";
  }
  for (let l = 0; l < m.W.length; l++) {
    const k = l + 1;
    initializers.push({ name: `W${k}`, dims: [layers[l], layers[k]], data: m.W[l] });
    initializers.push({ name: `b${k}`, dims: [layers[k]], data: m.b[l] });
    const last = k === m.W.length;
    const z = last ? "logits" : `z${k}`;
    nodes.push({ op: "Gemm", name: `gemm${k}`, inputs: [x, `W${k}`, `b${k}`], outputs: [z] });
    if (last) x = z;
    else {
      nodes.push(...activationNodes(m.activation ?? "relu", z, `h${k}`, k));
      if (m.activation === "gelu" && k === 1) {
        initializers.push({ name: "gelu_cubic", dims: [], data: Float32Array.of(GELU_CUBIC) }, { name: "gelu_scale", dims: [], data: Float32Array.of(GELU_SCALE) });
      }
      x = `h${k}`;
    }
  }
  if (m.targets) outputNodes(nodes, initializers, x, m.targets);
  else {
    nodes.push({ op: "Softmax", name: "softmax", inputs: [x], outputs: ["probabilities"], attributes: { axis: 1 } });
    nodes.push({ op: "ArgMax", name: "argmax", inputs: ["probabilities"], outputs: ["label"], attributes: { axis: 1, keepdims: 0 } });
  }

  const metadata: [string, string][] = [["layers", layers.join("-")]];
  if (m.classNames) metadata.push(["class_names", JSON.stringify(m.classNames)]);
  if (m.targets) metadata.push(["task", "regress"], ["target_names", JSON.stringify(m.targets.names)]);
  metadata.push(...Object.entries(m.metadata ?? {}));

  const M = FIELD.ModelProto;
  const w = new ProtoWriter();
  w.int(M.irVersion, IR_VERSION);
  w.string(M.producerName, PRODUCER);
  w.message(M.graph, (g) => writeGraph(g, nodes, initializers, F, classes, m.targets !== undefined));
  w.message(M.opsetImport, (o) => o.string(FIELD.OperatorSetIdProto.domain, "").int(FIELD.OperatorSetIdProto.version, OPSET));
  for (const [key, value] of metadata) {
    w.message(M.metadataProps, (e) => e.string(FIELD.StringStringEntryProto.key, key).string(FIELD.StringStringEntryProto.value, value));
  }
  return w.finish();
}

/** A regression model's outputs in the targets' units: x · std + mean in f64, rounded once to f32 ("prediction"). */
function outputNodes(nodes: GraphNode[], initializers: Initializer[], x: string, t: NonNullable<OnnxModelInput["targets"]>): void {
  initializers.push({ name: "target_std", dims: [t.std.length], data: Float64Array.from(t.std) }, { name: "target_mean", dims: [t.mean.length], data: Float64Array.from(t.mean) });
  nodes.push(
    { op: "Cast", name: "outputs_to_double", inputs: [x], outputs: ["outputs_f64"], attributes: { to: DATA_TYPE.DOUBLE } },
    { op: "Mul", name: "mul_std", inputs: ["outputs_f64", "target_std"], outputs: ["scaled_f64"] },
    { op: "Add", name: "add_mean", inputs: ["scaled_f64", "target_mean"], outputs: ["prediction_f64"] },
    { op: "Cast", name: "prediction_to_float", inputs: ["prediction_f64"], outputs: ["prediction"], attributes: { to: DATA_TYPE.FLOAT } },
  );
}

function writeGraph(g: ProtoWriter, nodes: GraphNode[], initializers: Initializer[], F: number, classes: number, regress: boolean): void {
  const G = FIELD.GraphProto;
  for (const node of nodes) g.message(G.node, (w) => writeNode(w, node));
  g.string(G.name, PRODUCER);
  for (const t of initializers) g.message(G.initializer, (w) => writeTensor(w, t));
  g.message(G.input, (w) => writeValueInfo(w, "input", DATA_TYPE.FLOAT, ["N", F]));
  if (regress) g.message(G.output, (w) => writeValueInfo(w, "prediction", DATA_TYPE.FLOAT, ["N", classes]));
  else {
    g.message(G.output, (w) => writeValueInfo(w, "probabilities", DATA_TYPE.FLOAT, ["N", classes]));
    g.message(G.output, (w) => writeValueInfo(w, "label", DATA_TYPE.INT64, ["N"]));
  }
}

function writeNode(w: ProtoWriter, node: GraphNode): void {
  const N = FIELD.NodeProto;
  for (const name of node.inputs) w.string(N.input, name);
  for (const name of node.outputs) w.string(N.output, name);
  w.string(N.name, node.name);
  w.string(N.opType, node.op);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    const A = FIELD.AttributeProto;
    w.message(N.attribute, (a) => a.string(A.name, name).int(A.type, ATTRIBUTE_TYPE.INT).int(A.i, value));
  }
  for (const [name, value] of Object.entries(node.floats ?? {})) {
    const A = FIELD.AttributeProto;
    w.message(N.attribute, (a) => a.string(A.name, name).int(A.type, ATTRIBUTE_TYPE.FLOAT).float32(A.f, value));
  }
}

function writeTensor(w: ProtoWriter, t: Initializer): void {
  const T = FIELD.TensorProto;
  for (const d of t.dims) w.int(T.dims, d);
  if (t.data instanceof Float64Array) w.int(T.dataType, DATA_TYPE.DOUBLE).packedDoubles(T.doubleData, t.data);
  else w.int(T.dataType, DATA_TYPE.FLOAT).packedFloats(T.floatData, t.data);
  w.string(T.name, t.name);
}

/** A tensor's name, element type and shape; a string dimension is symbolic (dim_param). */
function writeValueInfo(w: ProtoWriter, name: string, elemType: number, shape: (number | string)[]): void {
  const D = FIELD.TensorShapeProtoDimension;
  w.string(FIELD.ValueInfoProto.name, name);
  w.message(FIELD.ValueInfoProto.type, (type) =>
    type.message(FIELD.TypeProto.tensorType, (tensor) => {
      tensor.int(FIELD.TypeProtoTensor.elemType, elemType);
      tensor.message(FIELD.TypeProtoTensor.shape, (s) => {
        for (const d of shape) {
          s.message(FIELD.TensorShapeProto.dim, (dim) => (typeof d === "string" ? dim.string(D.dimParam, d) : dim.int(D.dimValue, d)));
        }
      });
    }),
  );
}
