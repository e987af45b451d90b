// The kernel module: every export is a flat function over byte pointers into the imported memory.
export { gemm_nn, gemm_tn, gemm_nt } from "./gemm";
export { bias_add, relu_forward, relu_backward } from "./activations";
export { softmax_rows, softmax_xent_backward, xent_loss, count_correct } from "./softmax";
export { colsum, sgd } from "./optim";

// First byte past the module's static data; the host places its tensors above it.
export const HEAP_BASE: usize = __heap_base;
