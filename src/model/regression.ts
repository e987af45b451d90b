// Regression's figures: loss (the mean squared error on standardised targets, what training minimises),
// and in the targets' own units RMSE, MAE and R² (each computed per target, then averaged over the targets
// with equal weights, as scikit-learn's "uniform_average"). Measured by forward passes over a network's
// training set or second set, in chunks, into buffers made once: a report allocates nothing here.

import type { Network } from "../engine/network.js";
import { activationRows } from "../engine/plan.js";
import { checkTargets, fitTargets, scaleTargets, type TargetScaling } from "./targets.js";
import { checkLabelled, checkRows, type Expect } from "./inputs.js";
import { oneHot } from "./normalize.js";
import type { Task } from "./types.js";

export interface RegressionFigures {
  /** Mean squared error on the standardised targets (averaged over rows and targets). */
  loss: number;
  rmse: number;
  mae: number;
  /** 1 - SSE/SST per target (SST about that data's own mean; a constant target scores 1 if fitted exactly, else 0). */
  r2: number;
}

/** The figures of one data set held in a network: its standardised targets, and their means (for R²). */
class SetFigures {
  readonly mean: Float64Array;
  readonly figures: RegressionFigures = { loss: 0, rmse: 0, mae: 0, r2: 0 };

  constructor(readonly Y: Float32Array, N: number) {
    const n = Y.length / N;
    this.mean = new Float64Array(N);
    for (let i = 0; i < Y.length; i++) this.mean[i % N] += Y[i] / n;
  }
}

/** Measures a regression network's figures on its training set and second set. */
export class RegressionTracker {
  private readonly sse: Float64Array;
  private readonly sae: Float64Array;
  private readonly sst: Float64Array;
  private readonly sets: { train: SetFigures; eval: SetFigures | undefined };

  /** `train` and `held` (optional): the standardised targets the network holds (rows × outputs). */
  constructor(readonly scaling: TargetScaling, train: Float32Array | undefined, held?: Float32Array) {
    const N = scaling.mean.length;
    this.sse = new Float64Array(N);
    this.sae = new Float64Array(N);
    this.sst = new Float64Array(N);
    this.sets = { train: new SetFigures(train ?? new Float32Array(N), N), eval: held && new SetFigures(held, N) };
  }

  /** The figures of the latest measure() of that set (the same object each time). */
  latest(which: "train" | "eval"): RegressionFigures {
    return this.sets[which]!.figures;
  }

  /** The network's figures on its training set or second set with its current weights. */
  measure(net: Network, which: "train" | "eval"): RegressionFigures {
    const set = this.sets[which]!, Y = set.Y, N = this.sse.length, n = Y.length / N, out = net.outputs;
    this.sse.fill(0); this.sae.fill(0); this.sst.fill(0);
    let loss = 0;
    const pass = activationRows(net.shape);
    for (let start = 0; start < n; start += pass) {
      const rows = Math.min(pass, n - start);
      loss += net.forwardSlice(which, start, rows);
      for (let i = 0; i < rows * N; i++) {
        const j = i % N, t = Y[start * N + i], d = out[i] - t, m = t - set.mean[j];
        this.sse[j] += d * d; this.sae[j] += Math.abs(d); this.sst[j] += m * m;
      }
    }
    const f = set.figures, std = this.scaling.std;
    f.loss = loss / n; f.rmse = 0; f.mae = 0; f.r2 = 0;
    for (let j = 0; j < N; j++) {
      f.rmse += (Math.sqrt(this.sse[j] / n) * std[j]) / N;
      f.mae += ((this.sae[j] / n) * std[j]) / N;
      f.r2 += (this.sst[j] > 0 ? 1 - this.sse[j] / this.sst[j] : this.sse[j] === 0 ? 1 : 0) / N;
    }
    return f;
  }
}

/** What a data set becomes in a network for a task: its rows, and the targets the network holds. */
export interface NetworkTargets {
  n: number;
  /** One-hot labels, or standardised targets (n × outputs). */
  Y: Float32Array;
  /** Regression: the scaling used (the one given, else fitted on these targets). */
  scaling: TargetScaling | undefined;
}

/**
 * Checks X and y for the task (labels below the classes, or finite targets, n × outputs) and makes the
 * network's targets: one-hot labels, or the targets standardised by `scaling` (fitted here when absent, the
 * targets named `names`).
 */
export function networkTargets(task: Task, fn: string, what: string, X: Float32Array | Uint8Array, y: unknown, e: Expect, scaling?: TargetScaling, names?: readonly string[], seen?: [number, number]): NetworkTargets {
  if (task === "classify") {
    const n = checkLabelled(fn, what, X, y as Uint8Array, e, seen);
    return { n, Y: oneHot(y as Uint8Array, e.classes), scaling: undefined };
  }
  const n = checkRows(fn, what, X, e, seen), t = checkTargets(fn, what, y, n, e.classes);
  const s = scaling ?? fitTargets(t, n, e.classes, names);
  return { n, Y: scaleTargets(s, t), scaling: s };
}
