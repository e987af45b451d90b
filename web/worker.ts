// The training worker: loads the digits, builds the MLP on the best kernel build this browser validates,
// and trains it, posting a progress message at every report. Training runs here, so the page stays
// responsive; fitAsync yields between epochs every few milliseconds, so a "stop" message from the page is
// received mid-run and ends it after the current epoch, with the weights reached.

import { MLP, fitNormalization, loadDigits, type Dataset, type Normalization, type Params } from "../src/index.ts";
import type { FromWorker, Snapshot, ToWorker, TrainConfig } from "./protocol.ts";

const post = (msg: FromWorker, transfer: Transferable[] = []) => postMessage(msg, { transfer });

let data: Promise<Dataset> | undefined;
/** Aborts the run in progress. */
let stop: AbortController | undefined;

function loadData(): Promise<Dataset> {
  data ??= loadDigits().then((d) => {
    const X = d.X.slice(), y = d.y.slice();
    post({ type: "data", X, y, n: d.n }, [X.buffer, y.buffer]);
    return d;
  });
  return data;
}

function snapshot(params: Params, norm: Normalization, epoch: number): Snapshot {
  return { layers: [...params.layers], W: params.W, b: params.b, mean: norm.mean.slice(), divisor: norm.divisor.slice(), epoch };
}

const buffers = (s: Snapshot) => [...s.W, ...s.b, s.mean, s.divisor].map((a) => a.buffer as ArrayBuffer);

async function train(config: TrainConfig): Promise<void> {
  // from the start, so that a stop while the data or the kernels load is not lost
  stop = new AbortController();
  const d = await loadData();
  // threads need a cross-origin isolated page (to share memory with workers); elsewhere the model uses one
  const model = await MLP.create({ layers: [d.features, config.hidden, d.classes], seed: config.seed, kernels: "auto", threads: config.threads });
  const threads = model.threadsFor(d.n, config.threads === "auto" ? undefined : config.threads);
  // the same standardisation fit() is about to fit, so the untrained network can be explained too
  const initial = snapshot(model.getParams(), fitNormalization(d.X, d.n, d.features, "feature"), 0);
  post({ type: "start", build: model.kernels.build, threads, isolated: self.crossOriginIsolated, config, initial }, buffers(initial));

  let t0 = -1;
  const summary = await model.fitAsync(d.X, d.y, {
    epochs: config.epochs,
    lr: config.lr,
    every: config.every,
    threads,
    onReport: (report) => {
      // the first report comes after the first epoch; time from there, like the summary's epoch rate
      const now = performance.now();
      if (t0 < 0) t0 = now;
      post({ type: "progress", report, elapsedMs: now - t0 });
    },
    signal: stop.signal,
  });
  stop = undefined;
  const evaluation = model.evaluate(d.X, d.y);
  const bytes = model.toBytes();
  const final = snapshot(model.getParams(), model.normalization!, summary.epochs);
  post({ type: "done", summary, evaluation, bytes, final }, [bytes.buffer as ArrayBuffer, ...buffers(final)]);
  model.dispose();
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  if (e.data.type === "train") {
    train(e.data.config).catch((err: unknown) => post({ type: "error", message: err instanceof Error ? err.message : String(err) }));
  } else if (e.data.type === "stop") {
    stop?.abort();
  }
};

// start fetching the data as soon as the worker exists, before the first Train click
loadData().catch((err: unknown) => post({ type: "error", message: err instanceof Error ? err.message : String(err) }));
