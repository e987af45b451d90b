// What `npm run train` prints: the header, one line per report and the closing summary, as text or as JSON
// lines (--json). Pure functions from results to strings; train.ts decides when to print them.

import type { FitSummary, RegressionReport, RegressionSummary, Report } from "../model/types.js";
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
    `${cfg.model.toUpperCase()}${cfg.task === "regress" ? " regression" : ""} ${run.layers.join("-")}${cfg.activation === "relu" || run.layers.length < 3 ? "" : ` ${cfg.activation}`}`,
    `${run.name}: ${run.trainRows} training rows${run.testRows !== undefined ? `, ${run.testRows} held out` : ""}`,
    `${cfg.optimizer}${cfg.batch ? ` batch ${cfg.batch}` : ""} lr ${cfg.lr ?? defaultLr(cfg.optimizer)}${cfg.lrSchedule === "constant" ? "" : ` ${cfg.lrSchedule}`}` +
      `${cfg.weightDecay ? ` weight decay ${cfg.weightDecay}` : ""}${cfg.dropout ? ` dropout ${cfg.dropout}` : ""}`,
    `seed ${cfg.seed}`,
    `${run.normalize} standardisation`,
    `kernels: ${run.kernels}`,
    `threads: ${run.threadsJoinLate && run.threads > 1 ? "up to " : ""}${run.threads}`,
  ].join(" | ");
}

/** Regression's figures of a report or summary: "RMSE: 45.11 | MAE: 35.34 | R²: 0.665", test ones when held out. */
function regressionText(r: RegressionReport | RegressionSummary): string {
  const f = (rmse: number, mae: number, r2: number, p = "") => `${p}RMSE: ${fmt(rmse)} | ${p}MAE: ${fmt(mae)} | ${p}R²: ${r2.toFixed(3)}`;
  let line = `Loss: ${r.loss.toFixed(4)} | ${f(r.rmse, r.mae, r.r2)}`;
  if (r.test_loss !== undefined) line += ` | Test loss: ${r.test_loss.toFixed(4)} | ${f(r.test_rmse!, r.test_mae!, r.test_r2!, "Test ")}`;
  return line;
}

/** A value in the targets' units: four significant digits. */
export function fmt(x: number): string {
  return Math.abs(x) >= 1e6 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : String(Number(x.toPrecision(4)));
}

/** A regression report or summary's figures as JSON, six decimals (the test ones when held out). */
function regressionJson(r: RegressionReport | RegressionSummary) {
  const keys = ["loss", "rmse", "mae", "r2", "test_loss", "test_rmse", "test_mae", "test_r2"] as const;
  return Object.fromEntries(keys.filter((k) => r[k] !== undefined).map((k) => [k, round(r[k]!)]));
}

/** A report as the JSON lines and the summary's history hold it. */
export function reportJson(r: Report | RegressionReport) {
  if (!("accuracy" in r)) return { epoch: r.epoch, ...regressionJson(r), lr: r.lr };
  return { epoch: r.epoch, accuracy: round(r.accuracy), loss: round(r.loss), ...(r.test_loss !== undefined && { test_accuracy: round(r.test_accuracy!), test_loss: round(r.test_loss) }), lr: r.lr };
}

export function reportLine(cfg: TrainCliConfig, r: Report | RegressionReport): string {
  if (!("accuracy" in r)) return cfg.json ? JSON.stringify({ ...reportJson(r), lr: undefined }) : `Epoch ${String(r.epoch).padStart(4)} | ${regressionText(r)}`;
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
  /** Regression: the targets' names. */
  targets?: readonly string[];
}

/** The closing lines: one JSON object with --json, else the Final line and what follows it. */
export function summaryLines(cfg: TrainCliConfig, s: FitSummary | RegressionSummary, data: DataInfo): string[] {
  if (!("accuracy" in s)) return regressionSummaryLines(cfg, s, data);
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
        ...(cfg.checkpoint && { checkpoint: cfg.checkpoint }),
        history: s.history.map(reportJson),
      }),
    ];
  }
  const out: string[] = [];
  if (s.interrupted) out.push(`Interrupted (Ctrl+C) after ${s.epochs} of ${cfg.epochs} epochs`);
  let line = `Final      | Acc: ${pct(cfg, s.accuracy, 1)} | Loss: ${s.loss.toFixed(4)}`;
  if (s.test_loss !== undefined) line += ` | Test acc: ${pct(cfg, s.test_accuracy!, 1)} | Test loss: ${s.test_loss.toFixed(4)}`;
  line += ` | ${trainedText(s)} in ${(s.train_ms / 1000).toFixed(2)} s (${s.epochs_per_s < 10 ? s.epochs_per_s.toFixed(1) : Math.round(s.epochs_per_s)} epochs/s) | kernels: ${s.kernels} | threads: ${threadsText(s)}`;
  out.push(line);
  if (s.best_epoch !== undefined) out.push(`Early stopping kept the weights of epoch ${s.best_epoch} (lowest held-out loss)`);
  if (s.confusion && testRows !== undefined) {
    out.push(`Held-out confusion matrix (${testRows} rows; rows: true class, columns: predicted):`);
    if (data.classNames) out.push(`  classes: ${data.classNames.map((c, i) => `${i} ${c}`).join(", ")}`);
    for (const l of formatConfusion(s.confusion)) out.push("  " + l);
  }
  if (cfg.save) out.push(`Saved the model to ${cfg.save}`);
  if (cfg.checkpoint) out.push(`Checkpoint in ${cfg.checkpoint} (continue with --resume ${cfg.checkpoint})`);
  if (cfg.plot) out.push(`Wrote the chart to ${cfg.plot}`);
  return out;
}

/** A regression fit's closing lines: the JSON summary, or the Final line and what follows it. */
function regressionSummaryLines(cfg: TrainCliConfig, s: RegressionSummary, data: DataInfo): string[] {
  const timing = `${trainedText(s)} in ${(s.train_ms / 1000).toFixed(2)} s (${Math.round(s.epochs_per_s)} epochs/s) | kernels: ${s.kernels} | threads: ${threadsText(s)}`;
  if (cfg.json) {
    const { history, ...rest } = s;
    return [JSON.stringify({
      ...rest, ...regressionJson(s), load_ms: round(data.loadMs, 1), train_ms: round(s.train_ms, 3), epochs_per_s: round(s.epochs_per_s, 1),
      ...(data.targets && { targets: data.targets }), ...(cfg.save && { saved: cfg.save }), ...(cfg.checkpoint && { checkpoint: cfg.checkpoint }), history: history.map(reportJson),
    })];
  }
  const out: string[] = [];
  if (s.interrupted) out.push(`Interrupted (Ctrl+C) after ${s.epochs} of ${cfg.epochs} epochs`);
  out.push(`Final      | ${regressionText(s)} | ${timing}`);
  if (s.best_epoch !== undefined) out.push(`Early stopping kept the weights of epoch ${s.best_epoch} (lowest held-out loss)`);
  if (data.targets && data.targets.length > 1) out.push(`RMSE, MAE and R² are each target's, averaged over the ${data.targets.length} targets (${data.targets.join(", ")})`);
  if (cfg.save) out.push(`Saved the model to ${cfg.save}`);
  if (cfg.checkpoint) out.push(`Checkpoint in ${cfg.checkpoint} (continue with --resume ${cfg.checkpoint})`);
  return out;
}

/** The most threads an epoch ran on, and how many epochs ran on one because the machine was busy ("auto"). */
function threadsText(s: FitSummary | RegressionSummary): string {
  const busy = s.busy_epochs ?? 0, trained = s.epochs - (s.resumed_from ?? 0);
  return busy > 0 ? `${s.threads} (one for ${busy} of ${trained} epochs: the machine was busy)` : `${s.threads}`;
}

/** "1000 epochs", or continuing a checkpoint "552 epochs (1500 in all)". */
function trainedText(s: FitSummary | RegressionSummary): string {
  return s.resumed_from === undefined ? `${s.epochs} epochs` : `${s.epochs - s.resumed_from} epochs (${s.epochs} in all)`;
}
