// The kernel module: every export is a flat function over byte pointers into the imported memory. These are
// what training calls (gemm, softmax_xent, softmax_rows, xent_rows, gather_rows, sgd, momentum, adam) and
// gemm's three named forms, the low-level entry the bench's sweeps and the kernel tests use. The host's typed
// view of them (src/engine/kernel-api.ts) is generated from this file by scripts/build.mjs.
export { gemm, gemm_nn, gemm_tn, gemm_nt, GEMM_SCRATCH_BYTES } from "./gemm";
export { softmax_rows, softmax_xent, xent_rows } from "./softmax";
export { sgd, momentum, adam } from "./optim";
export { gather_rows } from "./gather";

// First byte past the module's static data; the host places its tensors above it.
export const HEAP_BASE: usize = __heap_base;
