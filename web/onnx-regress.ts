// A regression model as an ONNX file, for the "Your data" view's Download .onnx. The library's toOnnx and
// encodeOnnx write a classifier's graph only (softmax and argmax; toOnnx refuses a regression model), so
// the page writes this one itself, from what the model's .wmlp file holds (decodeModel), with the
// library's protobuf writer:
//
//   "input" float32 [N, F]
//   -> Cast(double) -> Sub("mean") -> Div("divisor") -> Cast(float)    the standardisation, as the host does it
//   -> Gemm("W1", "b1") -> activation -> ... -> Gemm("WL", "bL")         B is W as stored, [fan_in, fan_out]
//   -> Cast(double) -> Mul("target_std") -> Add("target_mean") -> Cast(float)
//   -> "prediction" float32 [N, targets], in the targets' own units (as MLP.predict: out · std + mean in f64)
// metadata_props: "layers", "task" ("regress") and "target_names" (a JSON array).
//
// When the library's toOnnx writes regression models, this file goes and data-worker.ts calls toOnnx.

import { decodeModel } from "../src/index.ts";
import { ProtoWriter } from "../src/model/onnx.ts";

/** onnx.proto's field numbers, as src/model/onnx.ts writes them. */
const F = {
  model: { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8, metadataProps: 14 },
  graph: { node: 1, name: 2, initializer: 5, input: 11, output: 12 },
  node: { input: 1, output: 2, name: 3, opType: 4, attribute: 5 },
  attribute: { name: 1, f: 2, i: 3, type: 20 },
  tensor: { dims: 1, dataType: 2, floatData: 4, name: 8, doubleData: 10 },
} as const;
const FLOAT = 1, DOUBLE = 11, ATTR_FLOAT = 1, ATTR_INT = 2;

interface Node { op: string; inputs: string[]; output: string; ints?: Record<string, number>; floats?: Record<string, number> }
interface Tensor { name: string; dims: number[]; data: Float32Array | Float64Array }

/** The nodes of one hidden activation, x to y. */
function activation(kind: string, x: string, y: string): { nodes: Node[]; constants: Tensor[] } {
  const one = (op: string, floats?: Record<string, number>) => ({ nodes: [{ op, inputs: [x], output: y, floats }], constants: [] });
  switch (kind) {
    case "relu": return one("Relu");
    case "leaky_relu": return one("LeakyRelu", { alpha: 0.01 });
    case "tanh": return one("Tanh");
    case "sigmoid": return one("Sigmoid");
    case "gelu": {
      // x · sigmoid(2u), u = √(2/π)·(x + 0.044715·x³): PyTorch's tanh approximation, as the kernels
      const c = `${x}_c`, s = `${x}_s`;
      const n = (op: string, step: string, inputs: string[], output = `${x}_${step}`): Node => ({ op, inputs, output });
      return {
        nodes: [n("Mul", "sq", [x, x]), n("Mul", "cube", [`${x}_sq`, x]), n("Mul", "cubic", [`${x}_cube`, c]), n("Add", "inner", [x, `${x}_cubic`]),
          n("Mul", "scaled", [`${x}_inner`, s]), n("Sigmoid", "gate", [`${x}_scaled`]), n("Mul", "out", [x, `${x}_gate`], y)],
        constants: [{ name: c, dims: [], data: Float32Array.of(0.044715) }, { name: s, dims: [], data: Float32Array.of(2 * Math.sqrt(2 / Math.PI)) }],
      };
    }
    default: throw new Error(`no ONNX nodes for the activation ${JSON.stringify(kind)}`);
  }
}

/** The ONNX bytes of the regression model whose .wmlp bytes these are. */
export function regressionOnnx(wmlp: Uint8Array): Uint8Array {
  const m = decodeModel(wmlp);
  if (!m.targets) throw new Error("regressionOnnx: not a regression model");
  const { layers, W, b } = m.params, L = W.length, outputs = layers[L];
  const nodes: Node[] = [], tensors: Tensor[] = [];
  let x = "input";
  if (m.normalization) {
    tensors.push({ name: "mean", dims: [layers[0]], data: m.normalization.mean }, { name: "divisor", dims: [layers[0]], data: m.normalization.divisor });
    nodes.push({ op: "Cast", inputs: [x], output: "input_f64", ints: { to: DOUBLE } }, { op: "Sub", inputs: ["input_f64", "mean"], output: "centered" },
      { op: "Div", inputs: ["centered", "divisor"], output: "standardized_f64" }, { op: "Cast", inputs: ["standardized_f64"], output: "standardized", ints: { to: FLOAT } });
    x = "standardized";
  }
  for (let l = 0; l < L; l++) {
    const k = l + 1, z = k === L ? "output_std" : `z${k}`;
    tensors.push({ name: `W${k}`, dims: [layers[l], layers[k]], data: W[l] }, { name: `b${k}`, dims: [layers[k]], data: b[l] });
    nodes.push({ op: "Gemm", inputs: [x, `W${k}`, `b${k}`], output: z });
    x = z;
    if (k < L) {
      const a = activation(m.activation ?? "relu", z, `h${k}`);
      nodes.push(...a.nodes);
      tensors.push(...a.constants);
      x = `h${k}`;
    }
  }
  tensors.push({ name: "target_std", dims: [outputs], data: m.targets.std }, { name: "target_mean", dims: [outputs], data: m.targets.mean });
  nodes.push({ op: "Cast", inputs: [x], output: "output_f64", ints: { to: DOUBLE } }, { op: "Mul", inputs: ["output_f64", "target_std"], output: "scaled" },
    { op: "Add", inputs: ["scaled", "target_mean"], output: "prediction_f64" }, { op: "Cast", inputs: ["prediction_f64"], output: "prediction", ints: { to: FLOAT } });
  return encode(nodes, dedupe(tensors), layers[0], outputs, [["layers", layers.join("-")], ["task", "regress"], ["target_names", JSON.stringify(m.targets.names)]]);
}

/** GELU's two constants are added once per hidden layer: keep the first of each name. */
const dedupe = (ts: Tensor[]) => ts.filter((t, i) => ts.findIndex((u) => u.name === t.name) === i);

function encode(nodes: Node[], tensors: Tensor[], inputs: number, outputs: number, metadata: [string, string][]): Uint8Array {
  const w = new ProtoWriter();
  w.int(F.model.irVersion, 8).string(F.model.producerName, "wasm-mlp");
  w.message(F.model.graph, (g) => {
    nodes.forEach((n, i) => g.message(F.graph.node, (nw) => {
      for (const s of n.inputs) nw.string(F.node.input, s);
      nw.string(F.node.output, n.output).string(F.node.name, `${n.op.toLowerCase()}${i}`).string(F.node.opType, n.op);
      for (const [k, v] of Object.entries(n.ints ?? {})) nw.message(F.node.attribute, (a) => a.string(F.attribute.name, k).int(F.attribute.type, ATTR_INT).int(F.attribute.i, v));
      for (const [k, v] of Object.entries(n.floats ?? {})) nw.message(F.node.attribute, (a) => a.string(F.attribute.name, k).int(F.attribute.type, ATTR_FLOAT).float32(F.attribute.f, v));
    }));
    g.string(F.graph.name, "wasm-mlp");
    for (const t of tensors) g.message(F.graph.initializer, (tw) => {
      for (const d of t.dims) tw.int(F.tensor.dims, d);
      if (t.data instanceof Float64Array) tw.int(F.tensor.dataType, DOUBLE).packedDoubles(F.tensor.doubleData, t.data);
      else tw.int(F.tensor.dataType, FLOAT).packedFloats(F.tensor.floatData, t.data);
      tw.string(F.tensor.name, t.name);
    });
    g.message(F.graph.input, (v) => valueInfo(v, "input", inputs));
    g.message(F.graph.output, (v) => valueInfo(v, "prediction", outputs));
  });
  w.message(F.model.opsetImport, (o) => o.string(1, "").int(2, 13));
  for (const [k, v] of metadata) w.message(F.model.metadataProps, (e) => e.string(1, k).string(2, v));
  return w.finish();
}

/** ValueInfoProto: a float32 tensor [N, size], N symbolic. */
function valueInfo(w: ProtoWriter, name: string, size: number): void {
  w.string(1, name).message(2, (type) => type.message(1, (tensor) => {
    tensor.int(1, FLOAT).message(2, (shape) => {
      shape.message(1, (d) => d.string(2, "N"));
      shape.message(1, (d) => d.int(1, size));
    });
  }));
}
