// wasm-mlp's public API, the same in Node and browsers.
//
//   const data = await loadDigits();
//   const model = await MLP.create({ layers: [64, 32, 10], seed: 42 });
//   const summary = model.fit(data.X, data.y, { epochs: 1000, lr: 0.1, onReport: console.log });
//   const labels = model.predict(data.X);

export { MLP } from "./model.js";
export type { MLPOptions, FitOptions, LoadOptions, Report, FitSummary, Evaluation, KernelChoice } from "./model.js";
export { loadDigits, loadCsv } from "./data.js";
export type { ByteSource } from "./bytes.js";
export { parseCsv, DIGITS_RULES } from "./csv.js";
export type { Dataset, CsvRules } from "./csv.js";
export { WasmMlpError, DataError, UsageError, ModelFileError, DivergenceError } from "./errors.js";
export { encodeModel, decodeModel, MAGIC, FORMAT_VERSION } from "./modelfile.js";
export type { ModelData } from "./modelfile.js";
export { fitNormalization, applyNormalization, oneHot } from "./normalize.js";
export type { Normalization, NormalizeKind } from "./normalize.js";
export { initParams, INITS } from "./init.js";
export type { Params, InitKind } from "./init.js";
export { MT19937 } from "./mt19937.js";
export { OPTIMIZERS } from "./network.js";
export { lrAt, LR_SCHEDULES } from "./schedule.js";
export type { LrSchedule } from "./schedule.js";
export type { OptimizerKind } from "./network.js";

// (types only: the WebAssembly types named here, for TypeScript projects without the DOM or WebWorker lib)
export type {} from "./wasm-types.js";

// The low level: the kernels and the arena, for people who build other networks on them.
export { compileKernels, compileModule, kernelBytes, KERNEL_BUILDS, KernelTrap, GemmFlags } from "./kernels.js";
export type { CompiledKernels, KernelBuild, KernelExports, WasmSource } from "./kernels.js";
export { Arena, Layout, SLACK, GEMM_SCRATCH_BYTES } from "./arena.js";
export type { Tensor } from "./arena.js";
export { Network } from "./network.js";
export type { NetworkShape, Optimizer, Stats } from "./network.js";
