// Plain TypeScript references for the kernels in assembly/optim.ts: same names, same argument order,
// Float32Arrays in place of byte pointers. Used as the test oracle and the benchmark baseline. Nothing is
// allocated.

/** W[n] -= lr · G[n] (in place) */
export function sgd(W: Float32Array, G: Float32Array, n: number, lr: number): void {
  // The kernel's lr parameter is an f32, so a JS number passed to it is rounded to f32 at the call.
  const l = Math.fround(lr);
  for (let i = 0; i < n; i++) W[i] -= l * G[i];
}

/** V[n] = mu·V + G; W[n] -= lr · V   (heavy-ball momentum, as PyTorch's SGD with momentum) */
export function momentum(W: Float32Array, G: Float32Array, V: Float32Array, n: number, lr: number, mu: number): void {
  const l = Math.fround(lr);
  const u = Math.fround(mu);
  for (let i = 0; i < n; i++) {
    V[i] = u * V[i] + G[i];
    W[i] -= l * V[i]; // uses the stored (f32) velocity, as the kernel does
  }
}

/**
 * One Adam step: M = b1·M + (1-b1)·G; V = b2·V + (1-b2)·G²; W -= lr · (M/c1) / (sqrt(V/c2) + eps), where
 * c1 = 1 - b1^t and c2 = 1 - b2^t are the bias corrections for step t, computed by the caller.
 */
export function adam(
  W: Float32Array, G: Float32Array, M: Float32Array, V: Float32Array, n: number,
  lr: number, b1: number, b2: number, eps: number, c1: number, c2: number,
): void {
  // Every scalar parameter of the kernel is an f32.
  const l = Math.fround(lr), f1 = Math.fround(b1), f2 = Math.fround(b2), e = Math.fround(eps);
  const k1 = Math.fround(c1), k2 = Math.fround(c2);
  for (let i = 0; i < n; i++) {
    const g = G[i];
    M[i] = f1 * M[i] + (1 - f1) * g;
    V[i] = f2 * V[i] + (1 - f2) * g * g;
    W[i] -= (l * (M[i] / k1)) / (Math.sqrt(V[i] / k2) + e); // from the stored (f32) moments, as the kernel
  }
}

/** W[n] -= lr · (G[n] + wd·W[n])   (SGD with L2 weight decay, as PyTorch's SGD(weight_decay=wd)) */
export function sgd_wd(W: Float32Array, G: Float32Array, n: number, lr: number, wd: number): void {
  const l = Math.fround(lr), d = Math.fround(wd);
  for (let i = 0; i < n; i++) W[i] -= l * (G[i] + d * W[i]);
}

/** V[n] = mu·V + (G + wd·W); W[n] -= lr · V   (as PyTorch's SGD(momentum=mu, weight_decay=wd)) */
export function momentum_wd(W: Float32Array, G: Float32Array, V: Float32Array, n: number, lr: number, mu: number, wd: number): void {
  const l = Math.fround(lr), u = Math.fround(mu), d = Math.fround(wd);
  for (let i = 0; i < n; i++) {
    V[i] = u * V[i] + (G[i] + d * W[i]);
    W[i] -= l * V[i];
  }
}

/** AdamW: W *= 1 - lr·wd, then adam's step (as PyTorch's AdamW). */
export function adamw(
  W: Float32Array, G: Float32Array, M: Float32Array, V: Float32Array, n: number,
  lr: number, b1: number, b2: number, eps: number, c1: number, c2: number, wd: number,
): void {
  const l = Math.fround(lr), d = Math.fround(wd);
  for (let i = 0; i < n; i++) W[i] *= 1 - l * d;
  adam(W, G, M, V, n, lr, b1, b2, eps, c1, c2);
}
