// What `npm run train` prints: the header, one line per report and the closing summary, as text or as JSON
// lines (--json). Pure functions from results to strings; train.ts decides when to print them.

import type { FitSummary, Report } from "../model/types.js";
import { formatConfusion, metricsJson } from "../model/metrics.js";
import { defaultLr } from "../engine/optimizers.js";
import type { TrainCliConfig } from "./train-flags.js";

/** What the run trains on and how, for the header line. */
export interface RunInfo {
  layers: number[];
  name: string;
  trainRows: number;
  testRows: number | undefined;
  normalize: string;
  kernels: string;
  threads: number;
  /** The threads join as workers start (threads "auto" in Node), so fewer may run: the header says "up to". */
  threadsJoinLate: boolean;
}

export function round(x: number, digits = 6): number {
  return Number(x.toFixed(digits));
}

/** The original prints the SLP's accuracies with one decimal and the MLP's with none. */
function pct(cfg: TrainCliConfig, x: number, digits = cfg.model === "slp" ? 1 : 0): string {
  return `${(x * 100).toFixed(digits)}%`;
}

export function headerLine(cfg: TrainCliConfig, run: RunInfo): string {
  return [
    `${cfg.model.toUpperCase()} ${run.layers.join("-")}${cfg.activation === "relu" || run.layers.length < 3 ? "" : ` ${cfg.activation}`}`,
    `${run.name}: ${run.trainRows} training rows${run.testRows !== undefined ? `, ${run.testRows} held out` : ""}`,
    `${cfg.optimizer}${cfg.batch ? ` batch ${cfg.batch}` : ""} lr ${cfg.lr ?? defaultLr(cfg.optimizer)}${cfg.lrSchedule === "constant" ? "" : ` ${cfg.lrSchedule}`}` +
      `${cfg.weightDecay ? ` weight decay ${cfg.weightDecay}` : ""}${cfg.dropout ? ` dropout ${cfg.dropout}` : ""}`,
    `seed ${cfg.seed}`,
    `${run.normalize} standardisation`,
    `kernels: ${run.kernels}`,
    `threads: ${run.threadsJoinLate && run.threads > 1 ? "up to " : ""}${run.threads}`,
  ].join(" | ");
}

export function reportLine(cfg: TrainCliConfig, r: Report): string {
  if (cfg.json) {
    return JSON.stringify({
      epoch: r.epoch,
      accuracy: round(r.accuracy),
      loss: round(r.loss),
      ...(r.test_loss !== undefined && { test_accuracy: round(r.test_accuracy!), test_loss: round(r.test_loss) }),
    });
  }
  let line = `Epoch ${String(r.epoch).padStart(4)} | Acc: ${pct(cfg, r.accuracy)} | Loss: ${r.loss.toFixed(4)}`;
  if (r.test_loss !== undefined) line += ` | Test acc: ${pct(cfg, r.test_accuracy!)} | Test loss: ${r.test_loss.toFixed(4)}`;
  return line;
}

/** What the summary says of the data besides the fit's own figures. */
export interface DataInfo {
  testRows: number | undefined;
  /** The classes' names, when the labels were words (or the data set names them). */
  classNames?: readonly string[];
  /** Reading and parsing the data files, in milliseconds. */
  loadMs: number;
}

/** The closing lines: one JSON object with --json, else the Final line and what follows it. */
export function summaryLines(cfg: TrainCliConfig, s: FitSummary, data: DataInfo): string[] {
  const testRows = data.testRows;
  if (cfg.json) {
    return [
      JSON.stringify({
        ...s,
        load_ms: round(data.loadMs, 1),
        ...(data.classNames && { classes: data.classNames }),
        accuracy: round(s.accuracy),
        loss: round(s.loss),
        ...(s.test_loss !== undefined && { test_accuracy: round(s.test_accuracy!), test_loss: round(s.test_loss) }),
        train_ms: round(s.train_ms, 3),
        epochs_per_s: round(s.epochs_per_s, 1),
        ...(s.confusion && metricsJson(s.confusion)),
        ...(cfg.save && { saved: cfg.save }),
        ...(cfg.plot && { plot: cfg.plot }),
      }),
    ];
  }
  const out: string[] = [];
  if (s.interrupted) out.push(`Interrupted (Ctrl+C) after ${s.epochs} of ${cfg.epochs} epochs`);
  let line = `Final      | Acc: ${pct(cfg, s.accuracy, 1)} | Loss: ${s.loss.toFixed(4)}`;
  if (s.test_loss !== undefined) line += ` | Test acc: ${pct(cfg, s.test_accuracy!, 1)} | Test loss: ${s.test_loss.toFixed(4)}`;
  line += ` | ${s.epochs} epochs in ${(s.train_ms / 1000).toFixed(2)} s (${s.epochs_per_s < 10 ? s.epochs_per_s.toFixed(1) : Math.round(s.epochs_per_s)} epochs/s) | kernels: ${s.kernels} | threads: ${s.threads}`;
  out.push(line);
  if (s.best_epoch !== undefined) out.push(`Early stopping kept the weights of epoch ${s.best_epoch} (lowest held-out loss)`);
  if (s.confusion && testRows !== undefined) {
    out.push(`Held-out confusion matrix (${testRows} rows; rows: true class, columns: predicted):`);
    if (data.classNames) out.push(`  classes: ${data.classNames.map((c, i) => `${i} ${c}`).join(", ")}`);
    for (const l of formatConfusion(s.confusion)) out.push("  " + l);
  }
  if (cfg.save) out.push(`Saved the model to ${cfg.save}`);
  if (cfg.plot) out.push(`Wrote the chart to ${cfg.plot}`);
  return out;
}
