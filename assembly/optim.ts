// Parameter updates and the reductions that feed them. Byte pointers, element counts. The SIMD and scalar
// paths do the same arithmetic per element in the same order, so both builds give identical results.

// W[n] -= lr · G[n]
export function sgd(w: usize, g: usize, n: i32, lr: f32): void {
  sgdSteps(w, g, n, lr, 0, false);
}

// SGD's step over n weights; with `decayed`, the gradient is G + wd·W (L2 weight decay). An inlined constant
// `decayed` leaves sgd's loop exactly as it was: the same operations, so the same bits.
@inline function sgdSteps(w: usize, g: usize, n: i32, lr: f32, wd: f32, decayed: bool): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vl = f32x4.splat(lr), vd = f32x4.splat(wd), n4 = n & ~3;
    for (; i < n4; i += 4) {
      const o = <usize>i << 2, ww = v128.load(w + o);
      const gg = decayed ? f32x4.add(v128.load(g + o), f32x4.mul(vd, ww)) : v128.load(g + o);
      v128.store(w + o, f32x4.sub(ww, f32x4.mul(vl, gg)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2, ww = load<f32>(w + o);
    const gg = decayed ? load<f32>(g + o) + wd * ww : load<f32>(g + o);
    store<f32>(w + o, ww - lr * gg);
  }
}

// V[n] = mu·V + G; W[n] -= lr · V   (heavy-ball momentum, as PyTorch's SGD with momentum)
export function momentum(w: usize, g: usize, v: usize, n: i32, lr: f32, mu: f32): void {
  momentumSteps(w, g, v, n, lr, mu, 0, false);
}

// Momentum's step over n weights; with `decayed`, the gradient is G + wd·W, as sgdSteps.
@inline function momentumSteps(w: usize, g: usize, v: usize, n: i32, lr: f32, mu: f32, wd: f32, decayed: bool): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vl = f32x4.splat(lr), vm = f32x4.splat(mu), vd = f32x4.splat(wd), n4 = n & ~3;
    for (; i < n4; i += 4) {
      const o = <usize>i << 2, ww = v128.load(w + o);
      const gg = decayed ? f32x4.add(v128.load(g + o), f32x4.mul(vd, ww)) : v128.load(g + o);
      const vv = f32x4.add(f32x4.mul(vm, v128.load(v + o)), gg);
      v128.store(v + o, vv);
      v128.store(w + o, f32x4.sub(ww, f32x4.mul(vl, vv)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2, ww = load<f32>(w + o);
    const gg = decayed ? load<f32>(g + o) + wd * ww : load<f32>(g + o);
    const vv = mu * load<f32>(v + o) + gg;
    store<f32>(v + o, vv);
    store<f32>(w + o, ww - lr * vv);
  }
}

// Adam: M = b1·M + (1-b1)·G; V = b2·V + (1-b2)·G²; W -= lr · (M/c1) / (sqrt(V/c2) + eps), where
// c1 = 1 - b1^t and c2 = 1 - b2^t are the bias corrections for step t, computed by the caller.
export function adam(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, b1: f32, b2: f32, eps: f32, c1: f32, c2: f32): void {
  adamSteps(w, g, m, v, n, lr, b1, b2, eps, c1, c2, 1, false);
}

// Adam's step over n weights; with `decayed`, W is first multiplied by `decay` (AdamW). An inlined constant
// `decayed` leaves adam's loop exactly as it was: the same operations, so the same bits.
@inline function adamSteps(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, b1: f32, b2: f32, eps: f32, c1: f32, c2: f32, decay: f32, decayed: bool): void {
  const d1: f32 = 1 - b1, d2: f32 = 1 - b2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vl = f32x4.splat(lr), vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), vd1 = f32x4.splat(d1), vd2 = f32x4.splat(d2);
    const ve = f32x4.splat(eps), vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2), vdec = f32x4.splat(decay), n4 = n & ~3;
    for (; i < n4; i += 4) {
      const o = <usize>i << 2, gg = v128.load(g + o);
      const mm = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vd1, gg));
      const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vd2, f32x4.mul(gg, gg)));
      v128.store(m + o, mm);
      v128.store(v + o, vv);
      const step = f32x4.div(f32x4.div(mm, vc1), f32x4.add(f32x4.sqrt(f32x4.div(vv, vc2)), ve));
      const ww = decayed ? f32x4.mul(v128.load(w + o), vdec) : v128.load(w + o);
      v128.store(w + o, f32x4.sub(ww, f32x4.mul(vl, step)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2, gg = load<f32>(g + o);
    const mm = b1 * load<f32>(m + o) + d1 * gg;
    const vv = b2 * load<f32>(v + o) + d2 * (gg * gg);
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    const step = (mm / c1) / (sqrt(vv / c2) + eps);
    const ww = decayed ? load<f32>(w + o) * decay : load<f32>(w + o);
    store<f32>(w + o, ww - lr * step);
  }
}

// ---- weight decay: wd = 0 runs the kernel without it, so the same bits as that kernel ----------------------

// W[n] -= lr · (G[n] + wd·W[n])   (SGD with L2 weight decay, as PyTorch's SGD(weight_decay=wd))
export function sgd_wd(w: usize, g: usize, n: i32, lr: f32, wd: f32): void {
  if (wd == 0) sgd(w, g, n, lr);
  else sgdSteps(w, g, n, lr, wd, true);
}

// V[n] = mu·V + (G + wd·W); W[n] -= lr · V   (momentum with L2 weight decay, as PyTorch's SGD(momentum=mu, weight_decay=wd))
export function momentum_wd(w: usize, g: usize, v: usize, n: i32, lr: f32, mu: f32, wd: f32): void {
  if (wd == 0) momentum(w, g, v, n, lr, mu);
  else momentumSteps(w, g, v, n, lr, mu, wd, true);
}

// AdamW: W *= 1 - lr·wd (decoupled weight decay), then adam's step on that W: M = b1·M + (1-b1)·G;
// V = b2·V + (1-b2)·G²; W -= lr · (M/c1) / (sqrt(V/c2) + eps)   (as PyTorch's AdamW; c1, c2 as adam's)
export function adamw(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, b1: f32, b2: f32, eps: f32, c1: f32, c2: f32, wd: f32): void {
  if (wd == 0) { adam(w, g, m, v, n, lr, b1, b2, eps, c1, c2); return; }
  adamSteps(w, g, m, v, n, lr, b1, b2, eps, c1, c2, 1 - lr * wd, true);
}
