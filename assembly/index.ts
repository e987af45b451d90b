// The kernel module: every export is a flat function over byte pointers into the imported memory.
export { gemm, gemm_nn, gemm_tn, gemm_nt, dense_forward, GEMM_SCRATCH_BYTES } from "./gemm";
export { transpose } from "./transpose";
export { bias_add, relu_forward, relu_backward } from "./activations";
export { softmax_rows, softmax_xent_backward, softmax_xent, xent_loss, count_correct, xent_rows } from "./softmax";
export { colsum, sgd, momentum, adam } from "./optim";
export { gather_rows } from "./gather";

// First byte past the module's static data; the host places its tensors above it.
export const HEAP_BASE: usize = __heap_base;
