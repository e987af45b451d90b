#!/usr/bin/env node
// npm run predict -- --model FILE --data rows.csv[.gz]: labels and class probabilities for each row.
// npm run evaluate -- --model FILE --data rows.csv[.gz]: accuracy, loss, confusion matrix, precision, recall.

import { readBytes } from "../bytes.js";
import { NO_LABEL, type Dataset } from "../data/csv.js";
import { loadCsv, loadTable } from "../data/datasets.js";
import { DataError, ModelFileError, UsageError } from "../errors.js";
import { KERNEL_BUILDS, type KernelBuild } from "../engine/kernels.js";
import { argmax, formatConfusion, metricsJson } from "../model/metrics.js";
import { MLP, type Evaluation, type RegressionEvaluation, type Task } from "../model/mlp.js";
import { MAX_MODEL_BYTES } from "../model/modelfile.js";
import { loadRegressionTable } from "../data/regression.js";
import { targetNames } from "../model/targets.js";
import type { Schema } from "../data/schema.js";
import { choiceFlag, parseFlags } from "./args.js";
import { fmt, round } from "./format.js";
import { isMain, runCli } from "./main.js";

// one script, two tools: `evaluate` (npm run evaluate passes --evaluate) changes the help, the labels
// required and the output, so it is known before the flags are parsed
const help = (evaluateOnly: boolean) => `Usage: wasm-mlp ${evaluateOnly ? "evaluate" : "predict"} --model FILE --data FILE [--json]
       (in a checkout of wasm-mlp: npm run ${evaluateOnly ? "evaluate" : "predict"} -- --model FILE --data FILE [--json])

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

interface PredictArgs {
  modelPath: string;
  dataPath: string;
  kernels: "auto" | KernelBuild;
  json: boolean;
}

const out = (line: string) => process.stdout.write(line + "\n");

/** The predict command, or with `evaluateOnly` the evaluate command. */
export const predictCommand = (evaluateOnly: boolean) => async (argv: string[]): Promise<void> => {
  const args = readArgs(argv);
  if (args === "help") {
    process.stdout.write(help(evaluateOnly));
    return;
  }
  const model = await loadModel(args);
  if (model.task === "regress") return regressionCommand(model as MLP<"regress">, args, evaluateOnly);
  const data = await readRows(model as MLP, args, evaluateOnly);
  const labelled = data.labelled !== false;
  if (!evaluateOnly) {
    const P = model.predictProba(data.X), C = model.classes;
    for (let i = 0; i < data.n; i++) {
      const truth = labelled && data.y[i] !== NO_LABEL ? data.y[i] : undefined;
      out(predictionLine(i + 1, Array.from(P.subarray(i * C, (i + 1) * C)), truth, args.json, model.classNames));
    }
    if (!labelled) return;
  }
  for (const line of evaluationLines((model as MLP).evaluate(data.X, data.y), args.json, evaluateOnly, model.classNames)) out(line);
};

/** predict or evaluate with a regression model: each row's values (and the true ones), or RMSE, MAE and R². */
async function regressionCommand(model: MLP<"regress">, args: PredictArgs, evaluateOnly: boolean): Promise<void> {
  const N = model.classes, F = model.inputs;
  // a model trained from a table reads columns by name; one trained in the library reads them by position
  const names = targetNames(N).map((_, j) => `column ${F + j + 1}`);
  const schema: Schema = model.schema ?? { columns: Array.from({ length: F }, (_, i) => ({ name: `column ${i + 1}` })), label: names[0], targets: names };
  const data = await loadRegressionTable(args.dataPath, { schema, labels: evaluateOnly ? "required" : "optional" });
  const targets = schema.targets ?? [schema.label];
  if (!evaluateOnly) {
    const Y = model.predict(data.X);
    for (let i = 0; i < data.n; i++) {
      const v = Array.from(Y.subarray(i * N, (i + 1) * N)), t = data.labelled ? Array.from(data.y.subarray(i * N, (i + 1) * N)) : undefined;
      if (args.json) out(JSON.stringify({ row: i + 1, ...(N === 1 ? { value: round(v[0]) } : { values: v.map((x) => round(x)) }), ...(t && (N === 1 ? { true_value: t[0] } : { true_values: t })) }));
      else out(`row ${String(i + 1).padStart(5)}: ${v.map((x, j) => `${N > 1 ? `${targets[j]} ` : ""}${fmt(x)}${t ? ` (true ${fmt(t[j])})` : ""}`).join("  ")}`);
    }
    if (!data.labelled) return;
  }
  out(regressionEvaluationLine(model.evaluate(data.X, data.y), args.json, targets));
}

function regressionEvaluationLine(e: RegressionEvaluation, json: boolean, targets: readonly string[]): string {
  if (json) return JSON.stringify({ rows: e.n, rmse: round(e.rmse), mae: round(e.mae), r2: round(e.r2), loss: round(e.loss), targets });
  const avg = targets.length > 1 ? ` (each averaged over the ${targets.length} targets)` : "";
  return `${e.n} rows | RMSE: ${fmt(e.rmse)} | MAE: ${fmt(e.mae)} | R²: ${e.r2.toFixed(3)} | Loss: ${e.loss.toFixed(4)}${avg}`;
}

/** The flags, checked (a UsageError names the first one wrong), or "help". */
function readArgs(argv: string[]): PredictArgs | "help" {
  const v = parseFlags(argv, FLAGS);
  if (v.help) return "help";
  if (v.model === undefined) throw new UsageError("--model FILE is required");
  if (v.data === undefined) throw new UsageError("--data FILE is required");
  const kernels = choiceFlag(v, "kernels", ["auto", ...KERNEL_BUILDS] as const);
  return { modelPath: String(v.model), dataPath: String(v.data), kernels, json: v.json === true };
}

async function loadModel({ modelPath, kernels }: PredictArgs): Promise<MLP<Task>> {
  const bytes = await readBytes(modelPath, (m) => new ModelFileError(m), MAX_MODEL_BYTES, "model files");
  return MLP.fromBytes<Task>(bytes, { name: modelPath, kernels });
}

/** The rows of --data, in the model's shape and range; labels required for evaluate, optional for predict. */
async function readRows(model: MLP, { modelPath, dataPath }: PredictArgs, evaluateOnly: boolean): Promise<Dataset> {
  // a model trained from a table reads a table: its columns by name, words by the categories it knows
  if (model.schema) return loadTable(dataPath, { schema: model.schema, labels: evaluateOnly ? "required" : "optional" });
  const data = await loadCsv(dataPath, {
    features: model.inputs,
    labels: evaluateOnly ? "required" : "optional",
    ...(model.range && { range: model.range }),
  }).catch((e) => {
    // the reader knows the file, not why that width was expected: say which model wants it
    if (e instanceof DataError && / expected \d+ values/.test(e.message)) {
      throw new DataError(`${e.message} (the model ${modelPath} takes ${model.inputs} features)`);
    }
    throw e;
  });
  if (data.labelled !== false) {
    for (let i = 0; i < data.n; i++) {
      if (data.y[i] >= model.classes) {
        throw new DataError(`${dataPath}: row ${i + 1} has label ${data.y[i]}, but the model knows ${model.classes} classes (0..${model.classes - 1})`);
      }
    }
  }
  return data;
}

/** One row's answer: the predicted class, its probability and all of them, and the true label when known. */
function predictionLine(row: number, p: number[], truth: number | undefined, json: boolean, names?: readonly string[]): string {
  const best = argmax(p, 0, p.length);
  const name = (c: number) => (names ? names[c] : String(c));
  if (json) {
    const classes = names && { class: names[best], ...(truth !== undefined && { true_class: names[truth] }) };
    return JSON.stringify({ row, label: best, ...(truth !== undefined && { true_label: truth }), ...classes, probabilities: p.map((x) => round(x)) });
  }
  const verdict = truth !== undefined ? `  (true ${name(truth)}${truth === best ? "" : ", wrong"})` : "";
  return `row ${String(row).padStart(5)}: ${name(best)}  p=${p[best].toFixed(3)}${verdict}  [${p.map((x) => x.toFixed(3)).join(" ")}]`;
}

/** The scores on labelled rows: one JSON line, or a summary line (and, for evaluate, the confusion matrix). */
function evaluationLines(e: Evaluation, json: boolean, evaluateOnly: boolean, names?: readonly string[]): string[] {
  if (json) {
    return [JSON.stringify({ rows: e.n, accuracy: round(e.accuracy), loss: round(e.loss), confusion: e.confusion, ...metricsJson(e.confusion), ...(names && { classes: names }) })];
  }
  const summary = `${e.n} rows | Acc: ${(e.accuracy * 100).toFixed(1)}% | Loss: ${e.loss.toFixed(4)}`;
  if (!evaluateOnly) return [summary];
  const legend = names ? [`  classes: ${names.map((c, i) => `${i} ${c}`).join(", ")}`] : [];
  return [summary, "Confusion matrix (rows: true class, columns: predicted):", ...legend, ...formatConfusion(e.confusion).map((l) => "  " + l)];
}

if (isMain(import.meta.url)) {
  const evaluateOnly = process.argv.includes("--evaluate");
  await runCli(evaluateOnly ? "evaluate" : "predict", predictCommand(evaluateOnly));
}
