#!/usr/bin/env node
// npm run export -- --model M.wmlp [--to onnx|tfjs] [--out FILE|DIR]: a saved model in a format other
// runtimes load: an ONNX file, or a TF.js Layers folder (model.json and weights.bin).

import { readBytes } from "../bytes.js";
import { ModelFileError, UsageError } from "../errors.js";
import { join } from "node:path";
import { MLP } from "../model/mlp.js";
import { MAX_MODEL_BYTES } from "../model/modelfile.js";
import { encodeTfjs } from "../model/tfjs.js";
import { choiceFlag, parseFlags } from "./args.js";
import { checkWritable, writeFileAtomic } from "./files.js";
import { isMain, runCli } from "./main.js";

/** The formats a model can be exported to, and the ending each destination gets by default (tfjs: a folder). */
const FORMATS = { onnx: ".onnx", tfjs: "-tfjs" } as const;
type Format = keyof typeof FORMATS;

const HELP = `Usage: wasm-mlp export --model FILE [--to onnx|tfjs] [--out FILE|DIR]
       (in a checkout of wasm-mlp: npm run export -- --model FILE ...)

Writes a model saved with \`train --save\` in a format other runtimes load.

  --model FILE     a .wmlp model
  --to onnx        ONNX (opset 13): input "input" float32 [N, features] of raw values (the standardisation is
                   in the graph); outputs "probabilities" float32 [N, classes] and "label" int64 [N]   [onnx]
  --to tfjs        TF.js Layers: a folder with model.json and weights.bin for tf.loadLayersModel; it takes
                   raw values too (the standardisation is folded into the first layer)
  --out FILE|DIR   where to write it                  [the model's name, ending .onnx, or -tfjs for the folder]
  --help           this text
`;

const FLAGS = {
  model: { type: "string" },
  to: { type: "string", default: "onnx" },
  out: { type: "string" },
  help: { type: "boolean", default: false },
} as const;

/** The export command. */
export async function exportCommand(argv: string[]): Promise<void> {
  const v = parseFlags(argv, FLAGS);
  if (v.help) {
    process.stdout.write(HELP);
    return;
  }
  if (v.model === undefined) throw new UsageError("--model FILE is required");
  const modelPath = String(v.model), to: Format = choiceFlag(v, "to", Object.keys(FORMATS) as Format[]);
  const out = v.out === undefined ? modelPath.replace(/(\.wmlp)?$/i, FORMATS[to]) : String(v.out);
  if (out === modelPath) throw new UsageError(`--out ${out} is the model file itself`);
  if (to === "onnx") await checkWritable(out, "--out");
  const model = await MLP.fromBytes(await readBytes(modelPath, (m) => new ModelFileError(m), MAX_MODEL_BYTES, "model files"), { name: modelPath, threads: 1 });
  try {
    if (to === "onnx") {
      const bytes = model.toOnnx();
      await writeFileAtomic(out, bytes);
      process.stdout.write(`Wrote ${out} (ONNX, opset 13, ${model.layers.join("-")}, ${bytes.length} bytes)\n`);
    } else await writeTfjs(model, out);
  } finally {
    model.dispose();
  }
}

/** The TF.js Layers folder: model.json and weights.bin, each written through a temporary file. */
async function writeTfjs(model: MLP, dir: string): Promise<void> {
  const { W, b } = model.getParams();
  const files = encodeTfjs({ layers: model.layers, W, b, normalization: model.normalization, activation: model.activation, targets: model.targetScaling });
  const { mkdir, stat } = await import("node:fs/promises");
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) {
    await mkdir(dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
      throw new UsageError(`--out ${dir}: cannot make the folder (${e.code ?? e.message})`);
    });
  }
  await checkWritable(join(dir, "model.json"), "--out");
  await writeFileAtomic(join(dir, "weights.bin"), files.weights);
  await writeFileAtomic(join(dir, "model.json"), files.modelJson);
  process.stdout.write(`Wrote ${dir}/model.json and weights.bin (TF.js Layers, ${model.layers.join("-")}, ${files.weights.length} bytes of weights)\n`);
}

if (isMain(import.meta.url)) await runCli("export", exportCommand);
