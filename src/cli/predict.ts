#!/usr/bin/env node
// npm run predict -- --model FILE --data rows.csv[.gz]: labels and class probabilities for each row.
// npm run evaluate -- --model FILE --data rows.csv[.gz]: accuracy, loss, confusion matrix, precision, recall.

import { readBytes } from "../bytes.js";
import { loadCsv } from "../data.js";
import { DataError, ModelFileError, UsageError } from "../errors.js";
import { KERNEL_BUILDS } from "../kernels.js";
import { argmax, formatConfusion, metricsJson } from "../metrics.js";
import { MLP } from "../model.js";
import { NO_LABEL } from "../csv.js";
import { choiceFlag, parseFlags } from "./args.js";
import { runCli } from "./main.js";

const evaluateOnly = process.argv.includes("--evaluate");

const HELP = `Usage: npm run ${evaluateOnly ? "evaluate" : "predict"} -- --model FILE --data FILE [--json]

${evaluateOnly ? "Reports accuracy, mean cross-entropy, the confusion matrix and per-class precision and recall of a saved\nmodel on labelled rows." : "Prints the predicted class and the class probabilities of a saved model for each row."}

  --model FILE     a model saved with \`npm run train -- --save FILE\`
  --data FILE      CSV (.gz too): one row per input, the model's feature count of numbers${evaluateOnly ? ", then the label" : ",\n                   optionally followed by a label column (then accuracy is reported too)"}
  --kernels auto|scalar|simd|relaxed                                                              [auto]
  --json           JSON lines on stdout
  --help           this text
`;

const FLAGS = {
  model: { type: "string" },
  data: { type: "string" },
  kernels: { type: "string", default: "auto" },
  json: { type: "boolean", default: false },
  evaluate: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

async function main(argv: string[]): Promise<void> {
  const v = parseFlags(argv, FLAGS);
  if (v.help) {
    process.stdout.write(HELP);
    return;
  }
  if (v.model === undefined) throw new UsageError("--model FILE is required");
  if (v.data === undefined) throw new UsageError("--data FILE is required");
  const kernels = choiceFlag(v, "kernels", ["auto", ...KERNEL_BUILDS] as const);
  const modelPath = String(v.model), dataPath = String(v.data);
  const bytes = await readBytes(modelPath, (m) => new ModelFileError(m));
  const model = await MLP.fromBytes(bytes, { name: modelPath, kernels });
  const data = await loadCsv(dataPath, {
    features: model.inputs,
    labels: evaluateOnly ? "required" : "optional",
    ...(model.range && { range: model.range }),
  }).catch((e) => {
    if (e instanceof DataError && / expected \d+ values/.test(e.message)) {
      throw new DataError(`${e.message} (the model ${modelPath} takes ${model.inputs} features)`);
    }
    throw e;
  });
  const labelled = data.labelled !== false;
  if (labelled) {
    for (let i = 0; i < data.n; i++) {
      if (data.y[i] >= model.classes) {
        throw new DataError(`${dataPath}: row ${i + 1} has label ${data.y[i]}, but the model knows ${model.classes} classes (0..${model.classes - 1})`);
      }
    }
  }
  const out = (line: string) => process.stdout.write(line + "\n");
  const C = model.classes;

  if (!evaluateOnly) {
    const P = model.predictProba(data.X);
    for (let i = 0; i < data.n; i++) {
      const p = Array.from(P.subarray(i * C, (i + 1) * C));
      const best = argmax(p, 0, C);
      const truth = labelled && data.y[i] !== NO_LABEL ? data.y[i] : undefined;
      if (v.json) {
        out(JSON.stringify({ row: i + 1, label: best, ...(truth !== undefined && { true_label: truth }), probabilities: p.map((x) => Number(x.toFixed(6))) }));
      } else {
        out(`row ${String(i + 1).padStart(5)}: ${best}  p=${p[best].toFixed(3)}${truth !== undefined ? `  (true ${truth}${truth === best ? "" : ", wrong"})` : ""}  [${p.map((x) => x.toFixed(3)).join(" ")}]`);
      }
    }
    if (!labelled) return;
  }
  const e = model.evaluate(data.X, data.y);
  if (v.json) {
    out(JSON.stringify({
      rows: e.n,
      accuracy: Number(e.accuracy.toFixed(6)),
      loss: Number(e.loss.toFixed(6)),
      confusion: e.confusion,
      ...metricsJson(e.confusion),
    }));
    return;
  }
  out(`${e.n} rows | Acc: ${(e.accuracy * 100).toFixed(1)}% | Loss: ${e.loss.toFixed(4)}`);
  if (evaluateOnly) {
    out("Confusion matrix (rows: true class, columns: predicted):");
    for (const l of formatConfusion(e.confusion)) out("  " + l);
  }
}

await runCli(evaluateOnly ? "evaluate" : "predict", main);
