// Every element of the "Your data" view (index.html, main#your-data) its script reads or writes, looked up
// once. The ids are part of the page's contract: test/e2e/data-view.test.ts drives the view by them.

const byId = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
};

export const dui = {
  view: byId("your-data"),
  // 1. Your data
  dropZone: byId("drop-zone"),
  file: byId<HTMLInputElement>("data-file"),
  dropMissing: byId<HTMLInputElement>("drop-missing"),
  example: byId<HTMLButtonElement>("data-example"),
  status: byId("data-status"),
  progress: byId<HTMLProgressElement>("data-progress"),
  error: byId("data-error"),
  summary: byId("data-summary"),
  rows: byId("data-rows"),
  columns: byId<HTMLTableElement>("columns"),
  // 2. Train: the settings
  form: byId<HTMLFormElement>("data-form"),
  label: byId<HTMLSelectElement>("label-column"),
  labelHint: byId("label-column-hint"),
  task: byId<HTMLSelectElement>("task"),
  taskHint: byId("task-hint"),
  hidden: byId<HTMLInputElement>("data-hidden"),
  optimizer: byId<HTMLSelectElement>("data-optimizer"),
  lr: byId<HTMLInputElement>("data-lr"),
  epochs: byId<HTMLInputElement>("data-epochs"),
  epochsHint: byId("data-epochs-hint"),
  batch: byId<HTMLInputElement>("data-batch"),
  holdout: byId<HTMLInputElement>("data-holdout"),
  threads: byId<HTMLSelectElement>("data-threads"),
  threadsHint: byId("data-threads-hint"),
  seed: byId<HTMLInputElement>("data-seed"),
  network: byId("data-network"),
  trainButton: byId<HTMLButtonElement>("data-train-button"),
  stopButton: byId<HTMLButtonElement>("data-stop-button"),
  // 2. Train: the run
  trainStatus: byId("data-train-status"),
  trainProgress: byId<HTMLProgressElement>("data-train-progress"),
  stats: {
    build: byId("data-build"),
    threadsUsed: byId("data-threads-used"),
    epoch: byId("data-epoch"),
    loss: byId("data-loss"),
    accuracy: byId("data-accuracy"),
    testAccuracy: byId("data-test-accuracy"),
    rate: byId("data-rate"),
  },
  /** The stats' terms and the chart's keys that say accuracy, or RMSE for a regression. */
  metricTerms: {
    train: byId("data-accuracy-term"),
    test: byId("data-test-accuracy-term"),
    key: byId("data-key-metric"),
    testKey: byId("data-key-test-metric"),
  },
  chart: byId<HTMLCanvasElement>("data-chart"),
  result: byId("data-result"),
  final: byId("data-final"),
  classes: byId("data-classes"),
  confusion: byId<HTMLTableElement>("data-confusion"),
  values: byId("data-values"),
  plot: byId("regression-plot") as unknown as SVGSVGElement,
  plotCaption: byId("regression-caption"),
  mistakes: byId("data-mistakes"),
  resultNote: byId("data-result-note"),
  // 3. Take it away
  modelSummary: byId("model-summary"),
  modelName: byId<HTMLInputElement>("model-name"),
  downloadWmlp: byId<HTMLButtonElement>("download-wmlp"),
  downloadOnnx: byId<HTMLButtonElement>("download-onnx"),
  save: byId<HTMLButtonElement>("save-model"),
  keepStatus: byId("keep-status"),
  saved: byId<HTMLUListElement>("saved-models"),
  modelFile: byId<HTMLInputElement>("model-file"),
  predictFile: byId<HTMLInputElement>("predict-file"),
  predictHint: byId("predict-hint"),
  predictClip: byId<HTMLInputElement>("predict-clip"),
  predictStatus: byId("predict-status"),
  predictResult: byId("predict-result"),
  downloadPredictions: byId<HTMLButtonElement>("download-predictions"),
  predictions: byId<HTMLTableElement>("predictions"),
};
