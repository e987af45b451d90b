// Where the ticks of the training-curve chart (plot.ts) go: axes that end on round numbers, with as many
// decimals as their step needs. Pure numbers, no SVG.

export interface Axis {
  lo: number;
  hi: number;
  ticks: number[];
  decimals: number;
}

/**
 * Ticks at 1, 2 or 5 × 10^k covering [lo, hi], the axis extended to the outer ticks. A constant range is
 * widened first. Integer axes (epochs) never step below 1. `clamp` bounds the extended axis (0..100 %).
 */
export function niceAxis(lo: number, hi: number, target: number, integer: boolean, clamp?: [number, number]): Axis {
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(lo))) {
    const pad = integer ? 1 : lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
    if (clamp) {
      if (lo < clamp[0]) { hi = Math.min(clamp[1], hi + (clamp[0] - lo)); lo = clamp[0]; }
      if (hi > clamp[1]) { lo = Math.max(clamp[0], lo - (hi - clamp[1])); hi = clamp[1]; }
    }
  }
  let step = niceNum((hi - lo) / Math.max(1, target - 1));
  if (integer) step = Math.max(1, Math.round(step));
  let a = Math.floor(lo / step + 1e-9) * step;
  let b = Math.ceil(hi / step - 1e-9) * step;
  if (clamp) {
    a = Math.max(a, clamp[0]);
    b = Math.min(b, clamp[1]);
  }
  if (b <= a) b = a + step;
  const decimals = decimalsOf(step);
  const clean = (v: number) => Number(v.toFixed(decimals)) + 0; // no 0.30000000000000004, no -0
  const ticks: number[] = [];
  const first = Math.ceil(a / step - 1e-9);
  for (let k = first; k * step <= b + step * 1e-9; k++) ticks.push(clean(k * step));
  return { lo: a + 0, hi: b + 0, ticks, decimals };
}

/** The shared epoch axis, about one tick per `spacing` pixels of `length`; a single epoch is centred with its own tick only. */
export function epochAxis(epochs: number[], length: number, spacing: number): Axis {
  if (epochs.length === 0) return niceAxis(0, 1, 2, true);
  const lo = minOf(epochs), hi = maxOf(epochs);
  if (hi === lo) return { lo: lo - 1, hi: lo + 1, ticks: [lo], decimals: decimalsOf(lo) };
  return niceAxis(lo, hi, Math.max(3, Math.round(length / spacing)), true, nonNegative(epochs));
}

/** A panel's value axis, about one tick per `spacing` pixels of `length`; percentages stay within 0..100. */
export function valueAxis(values: number[], percent: boolean, length: number, spacing: number): Axis {
  if (values.length === 0) return niceAxis(0, percent ? 100 : 1, 4, false);
  return niceAxis(minOf(values), maxOf(values), Math.max(3, Math.round(length / spacing)), false, percent ? [0, 100] : nonNegative(values));
}

/** A tick label with the axis's decimals, never "-0". */
export function formatTick(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** Quantities that cannot be negative (epochs, losses) keep their axis at or above zero. */
function nonNegative(xs: number[]): [number, number] | undefined {
  return minOf(xs) >= 0 ? [0, Infinity] : undefined;
}

// loops, not Math.min(...xs): spreading a long series would overflow the call stack
function minOf(xs: number[]): number {
  let m = Infinity;
  for (const x of xs) if (x < m) m = x;
  return m;
}

function maxOf(xs: number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}

function niceNum(x: number): number {
  const exp = Math.floor(Math.log10(x));
  const f = x / 10 ** exp;
  const nice = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  return nice * 10 ** exp;
}

function decimalsOf(step: number): number {
  for (let d = 0; d < 12; d++) {
    const m = step * 10 ** d;
    if (Math.abs(m - Math.round(m)) < 1e-6 * Math.max(1, m)) return d;
  }
  return 12;
}
