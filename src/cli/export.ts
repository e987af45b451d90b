#!/usr/bin/env node
// npm run export -- --model M.wmlp [--to onnx] [--out M.onnx]: a saved model in a format other runtimes load.

import { readBytes } from "../bytes.js";
import { ModelFileError, UsageError } from "../errors.js";
import { MLP } from "../model/mlp.js";
import { choiceFlag, parseFlags } from "./args.js";
import { checkWritable, writeFileAtomic } from "./files.js";
import { isMain, runCli } from "./main.js";

/** The formats a model can be exported to, and the file name ending each gets by default. */
const FORMATS = { onnx: ".onnx" } as const;
type Format = keyof typeof FORMATS;

const HELP = `Usage: wasm-mlp export --model FILE [--to onnx] [--out FILE]
       (in a checkout of wasm-mlp: npm run export -- --model FILE ...)

Writes a model saved with \`train --save\` in a format other runtimes load.

  --model FILE     a .wmlp model
  --to onnx        ONNX (opset 13): input "input" float32 [N, features] of raw values (the standardisation is
                   in the graph); outputs "probabilities" float32 [N, classes] and "label" int64 [N]   [onnx]
  --out FILE       where to write it                                    [the model's name, ending .onnx]
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
  await checkWritable(out, "--out");
  const model = await MLP.fromBytes(await readBytes(modelPath, (m) => new ModelFileError(m)), { name: modelPath, threads: 1 });
  try {
    const bytes = model.toOnnx();
    await writeFileAtomic(out, bytes);
    process.stdout.write(`Wrote ${out} (ONNX, opset 13, ${model.layers.join("-")}, ${bytes.length} bytes)\n`);
  } finally {
    model.dispose();
  }
}

if (isMain(import.meta.url)) await runCli("export", exportCommand);
