// wasm-mlp's public API, the same in Node and browsers.
//
//   const data = await loadDigits();
//   const model = await MLP.create({ layers: [64, 32, 10], seed: 42 });
//   const summary = model.fit(data.X, data.y, { epochs: 1000, lr: 0.1, onReport: console.log });
//   const labels = model.predict(data.X);

export { MLP } from "./model/mlp.js";
export type { MLPOptions, FitOptions, LoadOptions, Report, FitSummary, Evaluation, KernelChoice, CheckpointOptions } from "./model/types.js";
export { loadDigits, loadCsv } from "./data/datasets.js";
export { loadTable, tableFromBytes, loadIdx, idxFromBytes, loadFile, loadFashionMnist, FASHION_CLASSES } from "./data/datasets.js";
export type { TableDataset, TableRules, ImageDataset, FileRules } from "./data/datasets.js";
export { parseTable } from "./data/table.js";
export { isIdx } from "./data/idx.js";
export type { Schema, FeatureColumn } from "./data/schema.js";
export { stratifiedSplit } from "./data/split.js";
export { saveModelBytes, loadModelBytes, listModels, removeModel } from "./model/storage.js";
export type { SavedModel } from "./model/storage.js";
export { encodeOnnx } from "./model/onnx.js";
export type { OnnxModelInput } from "./model/onnx.js";
export { encodeTfjs } from "./model/tfjs.js";
export type { TfjsModelInput, TfjsFiles } from "./model/tfjs.js";
export { ACTIVATIONS } from "./engine/activations.js";
export type { ActivationKind } from "./engine/activations.js";
export { crossValidate, foldOf } from "./model/cv.js";
export type { CrossValidateOptions, CrossValidation, FoldResult } from "./model/cv.js";
export { loadRegressionTable } from "./data/regression.js";
export type { RegressionDataset, RegressionRules } from "./data/regression.js";
export type { Task, Targets, Prediction, RegressionReport, RegressionSummary, RegressionEvaluation } from "./model/types.js";
export type { TargetScaling } from "./model/targets.js";
export type { ByteSource } from "./bytes.js";
export { parseCsv, DIGITS_RULES, gunzip, isGzip } from "./data/csv.js";
export type { Dataset, CsvRules } from "./data/csv.js";
export { WasmMlpError, DataError, UsageError, ModelFileError, DivergenceError } from "./errors.js";
export { encodeModel, decodeModel, MAGIC, FORMAT_VERSION } from "./model/modelfile.js";
export type { ModelData } from "./model/modelfile.js";
export { fitNormalization, applyNormalization, oneHot } from "./model/normalize.js";
export type { Normalization, NormalizeKind } from "./model/normalize.js";
export { initParams, INITS } from "./model/init.js";
export type { Params, InitKind } from "./model/init.js";
export { MT19937 } from "./data/mt19937.js";
export { OPTIMIZERS } from "./engine/optimizers.js";
export { lrAt, LR_SCHEDULES } from "./model/schedule.js";
export type { LrSchedule } from "./model/schedule.js";
export type { OptimizerKind } from "./engine/optimizers.js";

// (types only: the WebAssembly types named here, for TypeScript projects without the DOM or WebWorker lib)
export type {} from "./engine/wasm-types.js";

// The low level: the kernels and the arena, for people who build other networks on them.
export { compileKernels, compileModule, kernelBytes, KERNEL_BUILDS, KernelTrap, GemmFlags } from "./engine/kernels.js";
export type { CompiledKernels, KernelBuild, KernelExports, WasmSource } from "./engine/kernels.js";
export { Arena, Layout, SLACK, GEMM_SCRATCH_BYTES } from "./engine/arena.js";
export type { Tensor } from "./engine/arena.js";
export { Network } from "./engine/network.js";
export type { NetworkShape, Stats } from "./engine/network.js";
export type { Optimizer } from "./engine/optimizers.js";
