// TF.js Layers export: a model.json (a Keras Sequential topology and a weights manifest) and one weights
// file, as tf.loadLayersModel reads them (from files, a URL, or tf.io.fromMemory).
//
// The layers: Dense per layer (kernel [fan_in, fan_out] as W is stored, and the bias), the hidden
// activation as the Dense layer's own ("relu", "tanh", "sigmoid") or, for leaky_relu, a LeakyReLU layer
// (alpha 0.01) after a linear Dense; softmax on the last. GELU is refused: TF.js 4.22's tanh-approximated
// "gelu_new" does not load back (its name is looked up as "geluNew"), and its "gelu" is the erf form, which
// differs from ours by up to about 1e-3; ONNX carries it exactly. The model takes raw inputs: the standardisation is folded into the first layer, in f64 then rounded
// to f32: W1'[j,:] = W1[j,:] / divisor[j], b1' = b1 - Σ_j mean[j] / divisor[j] · W1[j,:]. That rounds
// differently from standardising first (about 1e-7 relative on each product), well within 1e-5 on the
// probabilities (tested), and needs no layer TF.js might not have, nor a step the caller could forget.
// A regression model (`targets`) ends in a linear Dense layer with its targets' unscaling folded in the same
// way, W_L'[:,k] = W_L[:,k] · std[k], b_L'[k] = b_L[k] · std[k] + mean[k], so it predicts in the targets' units.

import { UsageError } from "../errors.js";
import type { ActivationKind } from "../engine/activations.js";

export interface TfjsModelInput {
  layers: readonly number[];
  W: readonly Float32Array[];
  b: readonly Float32Array[];
  normalization?: { mean: Float64Array; divisor: Float64Array };
  activation?: ActivationKind;
  /** A regression model's targets: each output is out · std + mean (see the header). */
  targets?: { mean: Float64Array; std: Float64Array };
}

export interface TfjsFiles {
  /** model.json's text: its weightsManifest names `weightsPath`. */
  modelJson: string;
  /** The weights file: every kernel then bias, layer by layer, f32 little-endian. */
  weights: Uint8Array;
}

/** The Dense layer's own activation in TF.js for each of ours (leaky_relu: a LeakyReLU layer instead). */
const TFJS_ACTIVATION: Record<Exclude<ActivationKind, "gelu">, string> = { relu: "relu", leaky_relu: "linear", tanh: "tanh", sigmoid: "sigmoid" };

/** The model as TF.js Layers files; `weightsPath` is the weights file's name beside model.json. */
export function encodeTfjs(m: TfjsModelInput, weightsPath = "weights.bin"): TfjsFiles {
  const { layers } = m;
  if (m.W.length !== layers.length - 1 || m.b.length !== layers.length - 1) throw new UsageError(`encodeTfjs: ${layers.length} layer sizes need ${layers.length - 1} weight matrices and bias vectors`);
  const act = m.activation ?? "relu";
  if (act === "gelu") throw new UsageError("encodeTfjs: TF.js Layers has no GELU that matches this model's (the tanh approximation); export it to ONNX instead");
  const [W1, b1] = m.normalization ? fold(m.W[0], m.b[0], layers[0], layers[1], m.normalization) : [m.W[0], m.b[0]];
  const Ws = [W1, ...m.W.slice(1)], bs = [b1, ...m.b.slice(1)], L = Ws.length - 1;
  if (m.targets) [Ws[L], bs[L]] = unscaled(Ws[L], bs[L], layers[L + 1], m.targets);
  const topology: object[] = [], specs: { name: string; shape: number[]; dtype: "float32" }[] = [];
  for (let l = 0; l < Ws.length; l++) {
    const last = l === Ws.length - 1, name = `dense_${l + 1}`;
    topology.push({
      class_name: "Dense",
      config: {
        name, units: layers[l + 1], activation: last ? (m.targets ? "linear" : "softmax") : TFJS_ACTIVATION[act], use_bias: true, trainable: true, dtype: "float32",
        kernel_initializer: { class_name: "Zeros", config: {} }, bias_initializer: { class_name: "Zeros", config: {} },
        kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
        ...(l === 0 && { batch_input_shape: [null, layers[0]] }),
      },
    });
    if (!last && act === "leaky_relu") topology.push({ class_name: "LeakyReLU", config: { name: `leaky_relu_${l + 1}`, alpha: 0.01, trainable: true } });
    specs.push({ name: `${name}/kernel`, shape: [layers[l], layers[l + 1]], dtype: "float32" }, { name: `${name}/bias`, shape: [layers[l + 1]], dtype: "float32" });
  }
  const weights = new Uint8Array(4 * Ws.reduce((n, w, l) => n + w.length + bs[l].length, 0));
  const dv = new DataView(weights.buffer);
  let o = 0;
  for (let l = 0; l < Ws.length; l++) for (const a of [Ws[l], bs[l]]) for (let i = 0; i < a.length; i++, o += 4) dv.setFloat32(o, a[i], true);
  const modelJson = {
    format: "layers-model",
    generatedBy: "wasm-mlp",
    convertedBy: null,
    modelTopology: { class_name: "Sequential", config: { name: "wasm_mlp", layers: topology }, keras_version: "tfjs-layers 4.22.0", backend: "tensor_flow.js" },
    weightsManifest: [{ paths: [weightsPath], weights: specs }],
  };
  return { modelJson: JSON.stringify(modelJson), weights };
}

/** The first layer with the standardisation folded in (see the header), computed in f64. */
function fold(W: Float32Array, b: Float32Array, F: number, N: number, norm: { mean: Float64Array; divisor: Float64Array }): [Float32Array, Float32Array] {
  const W2 = new Float32Array(F * N), shift = new Float64Array(N);
  for (let j = 0; j < F; j++) {
    for (let k = 0; k < N; k++) {
      const w = W[j * N + k] / norm.divisor[j];
      W2[j * N + k] = w;
      shift[k] += norm.mean[j] * w;
    }
  }
  return [W2, Float32Array.from(b, (v, k) => v - shift[k])];
}

/** The last layer with the targets' unscaling folded in (see the header), computed in f64. */
function unscaled(W: Float32Array, b: Float32Array, N: number, t: { mean: Float64Array; std: Float64Array }): [Float32Array, Float32Array] {
  return [Float32Array.from(W, (w, i) => w * t.std[i % N]), Float32Array.from(b, (v, k) => v * t.std[k] + t.mean[k])];
}
