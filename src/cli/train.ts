#!/usr/bin/env node
// npm run train -- [flags]: trains a classifier and prints its progress (see --help).

import { loadCsv, loadDigits } from "../data.js";
import type { Dataset } from "../csv.js";
import { MLP, type FitSummary, type Report } from "../model.js";
import { stratifiedSplit } from "../split.js";
import { formatConfusion, metricsJson } from "../metrics.js";
import { checkWritable, writeFileAtomic } from "./files.js";
import { parseTrainFlags, TRAIN_HELP, type TrainCliConfig } from "./train-flags.js";
import { runCli } from "./main.js";
import { DataError, UsageError } from "../errors.js";
import { Network, defaultLr } from "../network.js";

async function loadData(cfg: TrainCliConfig): Promise<{ data: Dataset; name: string }> {
  if (cfg.data !== undefined) return { data: await loadCsv(cfg.data), name: cfg.data };
  if (cfg.dataset === "mnist") {
    const { loadMnist } = await import("../mnist.js");
    return { data: await loadMnist(), name: "MNIST (10,000)" };
  }
  return { data: await loadDigits(), name: "digits" };
}

async function main(argv: string[]): Promise<void> {
  const cfg = parseTrainFlags(argv);
  if (cfg === "help") {
    process.stdout.write(TRAIN_HELP);
    return;
  }
  if (cfg.save) await checkWritable(cfg.save, "--save");
  if (cfg.plot) await checkWritable(cfg.plot, "--plot");

  const { data, name } = await loadData(cfg);
  const present = new Set(data.y).size;
  if (present < 2) throw new DataError(`${name}: every row has label ${data.y[0]}; a classifier needs rows of at least two classes`);
  const digitsSeed = cfg.data === undefined && cfg.dataset === "digits";
  // the seed standardises the SLP globally and the MLP per feature
  // (MNIST's pixels share one scale and many are nearly always 0: one global mean and std suits them)
  const normalize = cfg.normalize ?? ((cfg.model === "slp" && digitsSeed) || cfg.dataset === "mnist" ? "global" : "feature");
  const layers = [data.features, ...cfg.hidden, data.classes];
  const { train, test } = cfg.testSplit !== undefined ? stratifiedSplit(data, cfg.testSplit, cfg.seed) : { train: data, test: undefined };
  if (cfg.batch !== undefined && cfg.batch > train.n) {
    throw new UsageError(`--batch ${cfg.batch} is larger than the ${train.n} training rows`);
  }

  // refuse a network whose training memory cannot fit before initialising its weights (which can take long)
  Network.assertFits({ layers, train: train.n, batch: cfg.batch ?? train.n, eval: test?.n ?? 0, optimizer: cfg.optimizer });
  const model = await MLP.create({ layers, seed: cfg.seed, init: cfg.init, normalize, kernels: cfg.kernels });
  const out = (line: string) => process.stdout.write(line + "\n");
  // the seed prints the SLP with one decimal and the MLP with none
  const digits = cfg.model === "slp" ? 1 : 0;
  const pct = (x: number, d = digits) => `${(x * 100).toFixed(d)}%`;
  const reports: Report[] = [];
  const tty = !cfg.json && process.stdout.isTTY === true;
  const progress = tty && cfg.epochs >= 200 ? new (await import("../progress.js")).Progress(cfg.epochs, process.stdout) : undefined;
  let latest: Report | undefined;

  if (!cfg.json) {
    const parts = [
      `${cfg.model.toUpperCase()} ${layers.join("-")}`,
      `${name}: ${train.n} training rows${test ? `, ${test.n} held out` : ""}`,
      `${cfg.optimizer}${cfg.batch ? ` batch ${cfg.batch}` : ""} lr ${cfg.lr ?? defaultLr(cfg.optimizer)}${cfg.lrSchedule === "constant" ? "" : ` ${cfg.lrSchedule}`}`,
      `seed ${cfg.seed}`,
      `${normalize} standardisation`,
      `kernels: ${model.kernels.build}`,
    ];
    out(parts.join(" | "));
  }
  const onReport = (r: Report) => {
    reports.push(r);
    latest = r;
    if (cfg.json) {
      out(JSON.stringify({ epoch: r.epoch, accuracy: round(r.accuracy), loss: round(r.loss), ...(r.test_loss !== undefined && { test_accuracy: round(r.test_accuracy!), test_loss: round(r.test_loss) }) }));
      return;
    }
    let line = `Epoch ${String(r.epoch).padStart(4)} | Acc: ${pct(r.accuracy)} | Loss: ${r.loss.toFixed(4)}`;
    if (r.test_loss !== undefined) line += ` | Test acc: ${pct(r.test_accuracy!)} | Test loss: ${r.test_loss.toFixed(4)}`;
    if (progress) progress.log(line);
    else out(line);
  };
  const onEpoch = progress ? (epoch: number) => progress.update(epoch + 1, { accuracy: latest?.accuracy, test_accuracy: latest?.test_accuracy }) : undefined;

  let s: FitSummary;
  try {
    s = model.fit(train.X, train.y, {
      epochs: cfg.epochs,
      lr: cfg.lr,
      lrSchedule: cfg.lrSchedule,
      every: cfg.every,
      batch: cfg.batch,
      optimizer: cfg.optimizer,
      momentum: cfg.momentum,
      beta1: cfg.beta1,
      beta2: cfg.beta2,
      eps: cfg.eps,
      validation: test && { X: test.X, y: test.y },
      patience: cfg.patience,
      onReport,
      onEpoch,
    });
  } finally {
    progress?.done();
  }

  if (cfg.save) await writeFileAtomic(cfg.save, model.toBytes());
  if (cfg.plot) {
    const { renderCurvesSvg } = await import("../plot.js");
    await writeFileAtomic(cfg.plot, renderCurvesSvg(reports, { title: `${cfg.model.toUpperCase()} ${layers.join("-")} on ${name}` }));
  }

  if (cfg.json) {
    out(
      JSON.stringify({
        ...s,
        accuracy: round(s.accuracy),
        loss: round(s.loss),
        ...(s.test_loss !== undefined && { test_accuracy: round(s.test_accuracy!), test_loss: round(s.test_loss) }),
        train_ms: round(s.train_ms, 3),
        epochs_per_s: round(s.epochs_per_s, 1),
        ...(s.confusion && metricsJson(s.confusion)),
        ...(cfg.save && { saved: cfg.save }),
        ...(cfg.plot && { plot: cfg.plot }),
      }),
    );
    return;
  }
  let line = `Final      | Acc: ${pct(s.accuracy, 1)} | Loss: ${s.loss.toFixed(4)}`;
  if (s.test_loss !== undefined) line += ` | Test acc: ${pct(s.test_accuracy!, 1)} | Test loss: ${s.test_loss.toFixed(4)}`;
  line += ` | ${s.epochs} epochs in ${(s.train_ms / 1000).toFixed(2)} s (${Math.round(s.epochs_per_s)} epochs/s) | kernels: ${s.kernels}`;
  out(line);
  if (s.best_epoch !== undefined) out(`Early stopping kept the weights of epoch ${s.best_epoch} (lowest held-out loss)`);
  if (s.confusion && test) {
    out(`Held-out confusion matrix (${test.n} rows; rows: true class, columns: predicted):`);
    for (const l of formatConfusion(s.confusion)) out("  " + l);
  }
  if (cfg.save) out(`Saved the model to ${cfg.save}`);
  if (cfg.plot) out(`Wrote the chart to ${cfg.plot}`);
}

function round(x: number, digits = 6): number {
  return Number(x.toFixed(digits));
}


await runCli("train", main);
