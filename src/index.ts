// wasm-mlp's public API, the same in Node and browsers.
//
//   const data = await loadDigits();
//   const model = await MLP.create({ layers: [64, 32, 10], seed: 42 });
//   const summary = model.fit(data.X, data.y, { epochs: 1000, lr: 0.1, onReport: console.log });
//   const labels = model.predict(data.X);

export { MLP } from "./model/mlp.js";
export type { MLPOptions, FitOptions, LoadOptions, Report, FitSummary, Evaluation, KernelChoice } from "./model/types.js";
export { loadDigits, loadCsv } from "./data/datasets.js";
export type { ByteSource } from "./bytes.js";
export { parseCsv, DIGITS_RULES } from "./data/csv.js";
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
