// The epoch loop of a fit: the learning-rate schedule, reports, early stopping on held-out loss, the abort
// signal, worker threads joining as they start, and divergence; suspended after every epoch so that fitAsync
// can yield to the event loop there. And what a fit reports when it ends.

import type { Network, Stats } from "../engine/network.js";
import type { KernelBuild } from "../engine/kernels.js";
import type { Params } from "../engine/plan.js";
import type { MT19937 } from "../data/mt19937.js";
import { DivergenceError, UsageError } from "../errors.js";
import { isNode } from "../bytes.js";
import { confusionMatrix } from "./metrics.js";
import type { FitSettings } from "./options.js";
import { lrAt } from "./schedule.js";
import type { FitSummary, RegressionReport, RegressionSummary, Report } from "./types.js";
import type { RegressionTracker } from "./regression.js";
import type { LoopState } from "./checkpoint.js";
import type { ThreadTuner } from "./adapt.js";

/** The summary of a finished fit, from the network's final (or kept best) weights. */
export function fitSummary(net: Network, s: FitSettings, run: EpochRun, kernels: KernelBuild): FitSummary | RegressionSummary {
  const n = net.shape.train;
  const base = {
    epochs: run.ran,
    train_ms: run.ms,
    epochs_per_s: run.trained > 0 ? run.trained / (run.ms / 1000) : 0,
    kernels,
    threads: run.threads,
    layers: [...net.sizes],
    samples: n,
  };
  const extra = { ...(s.patience !== undefined && { best_epoch: run.bestEpoch }), ...(run.interrupted && { interrupted: true }), ...(run.trained !== run.ran && { resumed_from: run.ran - run.trained }), ...(run.busyEpochs > 0 && { busy_epochs: run.busyEpochs }) };
  if (s.tracker) return { ...base, ...regressionFigures(net, s.tracker, s.validation !== undefined), ...extra, history: run.history as RegressionReport[] };
  const train: Stats = net.trainStats();
  const summary: FitSummary = { ...base, accuracy: train.correct / n, loss: train.loss, history: run.history as Report[] };
  if (s.validation) {
    const test = net.evaluate();
    summary.test_accuracy = test.correct / net.shape.eval;
    summary.test_loss = test.loss;
    summary.confusion = confusionMatrix(net.evalProbabilities(), s.validation.y, net.sizes[net.sizes.length - 1]);
  }
  return Object.assign(summary, extra);
}

/** A regression fit's loss, RMSE, MAE and R² on the training data (and the held-out data, test_*). */
function regressionFigures(net: Network, tracker: RegressionTracker, held: boolean) {
  const { loss, rmse, mae, r2 } = tracker.measure(net, "train");
  if (!held) return { loss, rmse, mae, r2 };
  const t = tracker.measure(net, "eval");
  return { loss, rmse, mae, r2, test_loss: t.loss, test_rmse: t.rmse, test_mae: t.mae, test_r2: t.r2 };
}

/** The report of an epoch: its training stats, and the held-out ones (and regression's figures) measured before it. */
function reportOf(epoch: number, lr: number, n: number, train: Stats, test: Stats | undefined, nv: number, tracker: RegressionTracker | undefined): Report | RegressionReport {
  if (!tracker) return { epoch, accuracy: train.correct / n, loss: train.loss, ...(test && { test_accuracy: test.correct / nv, test_loss: test.loss }), lr };
  const f = tracker.latest("train"), t = test && tracker.latest("eval");
  return { epoch, loss: train.loss, rmse: f.rmse, mae: f.mae, r2: f.r2, ...(t && { test_loss: t.loss, test_rmse: t.rmse, test_mae: t.mae, test_r2: t.r2 }), lr };
}

/** What the epoch loop did. */
export interface EpochRun {
  /** Epochs done, those before a checkpoint it continued included. */
  ran: number;
  /** Epochs this loop trained. */
  trained: number;
  /** The most threads an epoch ran on, and the epochs the tuner ran on fewer. */
  threads: number;
  busyEpochs: number;
  /** The epoch loop alone (without the time a fitAsync spent away). */
  ms: number;
  /** With patience: the epoch whose weights the network now holds. */
  bestEpoch: number;
  /** The signal stopped it before the last epoch. */
  interrupted: boolean;
  /** Every report, in order. */
  history: (Report | RegressionReport)[];
}

/** How a fit's epoch loop starts (afresh, or where a checkpoint left it) and what it calls between epochs. */
export interface LoopHooks {
  /** The mini-batch shuffle (absent for full batch). */
  rng: MT19937 | undefined;
  /** With patience: the best weights so far (at first, the initial ones). */
  best: Params | undefined;
  /**
   * At the start of every epoch, with the threads the tuner wants it on: the model stops a fit there once
   * disposed, and attaches worker threads as they start (or detaches them).
   */
  boundary: (epoch: number, want: number) => void;
  /** Between two steps of an epoch: workers that have booted meanwhile join. */
  between?: () => void;
  /** Times the epochs and says how many threads the next should run on (absent: the planned count). */
  tuner?: ThreadTuner;
  /** Where a checkpoint left the loop (absent: from the first epoch). */
  from?: LoopState;
  /** Takes a checkpoint of the loop as it stands: every `every` epochs, and once more when the loop ends. */
  checkpoint?: { every: number; take: (loop: LoopState) => void };
}

/**
 * The epoch loop, suspended after every epoch (fitAsync yields there): the learning-rate schedule, reports,
 * early stopping on held-out loss (the network ends holding the best weights), the signal, checkpoints, and a
 * DivergenceError at the first epoch whose output weights are not finite.
 */
export function* trainEpochs(net: Network, s: FitSettings, hooks: LoopHooks): Generator<void, EpochRun, number | undefined> {
  const { epochs, every, opt, patience = 0, onReport, onEpoch, signal, lrSchedule, tracker } = s, { rng, best, checkpoint, tuner } = hooks;
  const n = net.shape.train, nv = net.shape.eval, val = s.validation !== undefined, baseLr = opt.lr;
  const train: Stats = { correct: 0, loss: 0 }, test: Stats = { correct: 0, loss: 0 };
  const loop: LoopState = hooks.from ?? { epoch: 0, bestLoss: Infinity, bestEpoch: 0, sinceBest: 0, history: [] };
  const first = loop.epoch, last = net.layers.length - 1;
  const watch = [net.view(`b${last + 1}`), net.view(`W${last + 1}`)];
  let interrupted = false, pausedMs = 0, taken = loop.epoch, threads = 1, busyEpochs = 0;

  const t0 = now();
  while (loop.epoch < epochs) {
    const epoch = loop.epoch;
    const want = tuner?.want ?? net.shape.threads;
    hooks.boundary(epoch, want);
    threads = Math.max(threads, net.threads);
    if (signal?.aborted) {
      interrupted = true;
      break;
    }
    const report = epoch % every === 0;
    if (report && tracker) measureBefore(net, tracker, val);
    if (val && (report || best)) {
      net.evaluate(test);
      if (best && !keepsGoing(net, loop, test.loss, best, patience)) break;
    }
    if (lrSchedule !== "constant") opt.lr = lrAt(lrSchedule, baseLr, epoch, epochs);
    const t = tuner && now();
    net.epoch(opt, rng, report ? train : undefined, hooks.between);
    if (tuner) tuner.ran(net.threads, now() - t!);
    if (want < net.shape.threads) busyEpochs++;
    loop.epoch = epoch + 1;
    if (report) {
      const r = reportOf(epoch, opt.lr, n, train, val ? test : undefined, nv, tracker);
      loop.history.push(r);
      if (onReport) (onReport as (r: Report | RegressionReport) => void)(r);
    }
    // a NaN or infinity anywhere reaches the output layer's weights within one step
    if (!Number.isFinite(watch[0][0] + watch[1][0])) throw diverged(epoch, baseLr);
    if (onEpoch) onEpoch(epoch);
    if (checkpoint && loop.epoch % checkpoint.every === 0) {
      checkpoint.take(loop);
      taken = loop.epoch;
    }
    pausedMs += (yield) ?? 0;
  }
  const ms = now() - t0 - pausedMs;
  if (checkpoint && taken !== loop.epoch) checkpoint.take(loop);

  let bestEpoch = loop.bestEpoch;
  if (best && loop.bestLoss < Infinity) {
    // did the weights after the last epoch beat the best seen? (evaluate them before deciding)
    net.evaluate(test);
    if (test.loss < loop.bestLoss) bestEpoch = loop.epoch;
    else net.setParams(best);
  }
  return { ran: loop.epoch, trained: loop.epoch - first, threads, busyEpochs, ms, bestEpoch, interrupted, history: loop.history };
}

/** Early stopping at the start of an epoch: keeps the weights whose held-out loss is the lowest yet; false once `patience` epochs have passed without one. */
function keepsGoing(net: Network, loop: LoopState, loss: number, best: Params, patience: number): boolean {
  if (loss < loop.bestLoss) {
    loop.bestLoss = loss;
    loop.bestEpoch = loop.epoch;
    loop.sinceBest = 0;
    net.copyParams(best);
    return true;
  }
  return ++loop.sinceBest < patience;
}

/** Regression's figures on the training (and held-out) data with the weights at the start of an epoch. */
function measureBefore(net: Network, tracker: RegressionTracker, held: boolean): void {
  tracker.measure(net, "train");
  if (held) tracker.measure(net, "eval");
}

/**
 * Runs a fit's epochs (the generator), yielding to the event loop after the epoch that passes YIELD_MS since
 * the last yield; the generator hears how long each yield kept it away (not training time).
 */
export async function runYielding<R>(run: Generator<void, R, number | undefined>): Promise<R> {
  let paused = 0, since = now();
  for (;;) {
    const r = run.next(paused);
    if (r.done) return r.value;
    paused = 0;
    const t = now();
    if (t - since >= YIELD_MS) {
      await nextTask();
      since = now();
      paused = since - t;
    }
  }
}

/** Runs a fit's epochs (the generator) to the end without yielding: fit. */
export function runToEnd<R>(run: Generator<void, R, number | undefined>): R {
  for (;;) {
    const r = run.next();
    if (r.done) return r.value;
  }
}

/** fitAsync yields to the event loop after the epoch that passes this many milliseconds since its last yield. */
export const YIELD_MS = 20;

/** Resolves in a later task, after pending events: setImmediate in Node, a MessageChannel message in browsers (no 4 ms timer clamp). */
export function nextTask(): Promise<void> {
  if (typeof setImmediate === "function") return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** Milliseconds; in Node from process.hrtime, since the first use of `performance` loads perf_hooks (~1 ms). */
export const now: () => number = isNode ? () => Number(process.hrtime.bigint()) / 1e6 : () => performance.now();

/** What a fit on a model disposed during it (from a callback, or while a fitAsync awaited) throws at the next epoch. */
export function disposedDuring(epoch: number): UsageError {
  return new UsageError(`fit: the model was disposed during training, at epoch ${epoch}`);
}

export function diverged(epoch: number, lr: number): DivergenceError {
  return new DivergenceError(`training diverged at epoch ${epoch} (the loss became NaN or infinite); try a smaller learning rate than ${lr}`);
}

/** Whether every weight and bias is finite (a file with any other cannot be read back). */
export function allFinite(p: Params): boolean {
  for (const a of [...p.W, ...p.b]) for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}
