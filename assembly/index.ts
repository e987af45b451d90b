// The kernel module: every export is a flat function over byte pointers into the imported memory. These are
// what training calls (gemm, softmax_xent, softmax_rows, xent_rows, gather_rows, sgd, momentum, adam) and
// gemm's three named forms, the low-level entry the bench's sweeps and the kernel tests use; and the kernels
// of issue 20, not yet called by the step: gemm's activation and gate flags, dropout, the weight-decay
// updates (sgd_wd, momentum_wd, adamw) and the regression loss (mse). The host's typed view of them
// (src/engine/kernel-api.ts) is generated from this file by scripts/build.mjs.
export { gemm, gemm_nn, gemm_tn, gemm_nt, GEMM_SCRATCH_BYTES } from "./gemm";
export { softmax_rows, softmax_xent, xent_rows } from "./softmax";
export { mse } from "./loss";
export { sgd, momentum, adam, sgd_wd, momentum_wd, adamw } from "./optim";
export { dropout } from "./dropout";
export { gather_rows } from "./gather";
export { train_step } from "./step";

// First byte past the module's static data; the host places its tensors above it.
export const HEAP_BASE: usize = __heap_base;
