// Tables for regression: numeric target columns (one or more) and the inputs, read from a CSV (gzip too) by
// the table parser, encoded by a schema (a new one from the training file, or a trained model's).

import { sourceName, type ByteSource } from "../bytes.js";
import { MAX_TEXT_BYTES } from "./csv.js";
import { readData } from "./datasets.js";
import { encodeRegression, featureCount, labelColumn, regressionSchemaOf, type Schema } from "./schema.js";
import { parseTable } from "./table.js";

/** A regression data set: inputs X (n × features) and targets y (n × outputs, empty when unlabelled). */
export interface RegressionDataset {
  readonly X: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
  readonly features: number;
  readonly outputs: number;
  readonly labelled: boolean;
  readonly schema: Schema;
}

export interface RegressionRules {
  header?: "auto" | "yes" | "no";
  missing?: "error" | "drop";
  /** The target columns, by name or position from 1, comma-separated (default: the last column). */
  label?: string;
  /** Encode by this schema (a trained model's) instead of making one from the file. */
  schema?: Schema;
  labels?: "required" | "optional";
}

/** Reads a regression table (see RegressionRules). */
export async function loadRegressionTable(source: ByteSource, rules: RegressionRules = {}): Promise<RegressionDataset> {
  const name = sourceName(source);
  const t = parseTable(await readData(source, name), name, { header: rules.header, missing: rules.missing, maxBytes: MAX_TEXT_BYTES });
  const targets = rules.label === undefined ? [t.columns.length - 1] : rules.label.split(",").map((l) => labelColumn(t, l.trim()));
  const schema = rules.schema ?? regressionSchemaOf(t, targets);
  const { X, y, labelled } = encodeRegression(t, schema, rules.labels ?? "required");
  return { X, y, n: t.rows, features: featureCount(schema), outputs: schema.targets?.length ?? 1, labelled, schema };
}

/** Rows `rows` of a regression data set. */
export function regressionRows(d: RegressionDataset, rows: readonly number[]): RegressionDataset {
  const F = d.features, N = d.outputs, X = new Float32Array(rows.length * F), y = new Float32Array(rows.length * N);
  rows.forEach((r, i) => {
    X.set(d.X.subarray(r * F, (r + 1) * F), i * F);
    y.set(d.y.subarray(r * N, (r + 1) * N), i * N);
  });
  return { ...d, X, y, n: rows.length };
}
