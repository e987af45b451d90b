// A drawing → the 8×8 the model sees, made the way the digits data set was made (UCI "optdigits", which
// scikit-learn's digits are): each handwritten digit was size-normalised and centred in a 32×32 binary
// bitmap, and each 8×8 pixel is the number of "on" bits in one 4×4 block, so 0..16.
//
// Here the strokes' centre lines are scaled, keeping their aspect ratio, so the ink fills the bitmap's
// height (or its usable width, for wide shapes), and centred; then the bitmap is made by thresholding
// each bit's distance to the strokes against half a pen width. The pen is not the user's (its width
// means nothing at 8×8): it is chosen so the digit gets as much ink as the data set's digits have.

export interface Point {
  x: number;
  y: number;
}
export type Stroke = Point[];

export const BITMAP = 32;
export const BLOCK = 4;
export const GRID = BITMAP / BLOCK;

/**
 * How much ink a digit gets. The data set's digits carry about the same number of "on" bits whatever
 * the class (the 8×8 sums average 303 to 330 per class, i.e. about 310 of the 1024 bits), so a "1"
 * with its short stroke is drawn much thicker than an "8". The pen width is chosen to match: our
 * calibration from the data, not a documented step of the original preprocessing.
 */
export const TARGET_INK = 310;
export const MIN_PEN = 2.5;
export const MAX_PEN = 10;
/**
 * The data's outer 8×8 columns are all but empty (column 0 always is), so the ink stays within the
 * middle 24 bits, as in the data: wide shapes are scaled to fit that width. (A pixel that is 0 in every
 * training digit is only centred by the standardisation, so ink there counts for nothing.)
 */
const MAX_WIDTH = 24;

export interface Preprocessed {
  /** BITMAP × BITMAP bits, row-major, 1 = ink. */
  bitmap: Uint8Array;
  /** GRID × GRID counts 0..16, row-major: a model input row. */
  pixels: Float32Array;
  /** The pen width used, in bitmap pixels. */
  pen: number;
}

/**
 * The strokes' centre lines mapped into bitmap coordinates for a pen `pen` bits wide, or [] when nothing
 * was drawn. Keeping the aspect ratio, the ink fills the height (or, for wide shapes, MAX_WIDTH); it is
 * centred vertically on its box and horizontally on the strokes' centre of mass (a "1" with a flag keeps
 * its upright in the middle), as far as MAX_WIDTH allows.
 */
export function normalise(strokes: readonly Stroke[], pen: number): Stroke[] {
  const drawn = strokes.filter((st) => st.length > 0);
  const pts = drawn.flat();
  if (pts.length === 0) return [];
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const p of pts) {
    x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x);
    y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y);
  }
  const w = x1 - x0, h = y1 - y0;
  // the centre line may span (size - pen) so that the ink, pen included, spans size
  const sx = w > 0 ? (MAX_WIDTH - pen) / w : Infinity;
  const sy = h > 0 ? (BITMAP - pen) / h : Infinity;
  const s = Math.min(sx, sy);
  const scale = Number.isFinite(s) ? s : 0; // a single dot stays a dot in the middle
  // centre of mass of the strokes, each segment weighted by its length (a lone point by 1)
  let mass = 0, mx = 0;
  for (const st of drawn) {
    if (st.length === 1) { mass += 1e-9; mx += st[0].x * 1e-9; }
    for (let i = 1; i < st.length; i++) {
      const l = Math.hypot(st[i].x - st[i - 1].x, st[i].y - st[i - 1].y);
      mass += l; mx += l * (st[i].x + st[i - 1].x) / 2;
    }
  }
  const mid = BITMAP / 2, reach = MAX_WIDTH / 2 - pen / 2;
  let cx = mass > 0 ? mx / mass : (x0 + x1) / 2;
  // but keep the ink within the middle MAX_WIDTH bits
  if (scale > 0) cx = Math.min(Math.max(cx, x1 - reach / scale), x0 + reach / scale);
  else cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return drawn.map((st) => st.map((p) => ({ x: mid + (p.x - cx) * scale, y: mid + (p.y - cy) * scale })));
}

/** Squared distance from (px, py) to the segment a–b. */
function dist2(px: number, py: number, a: Point, b: Point): number {
  const dx = b.x - a.x, dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((px - a.x) * dx + (py - a.y) * dy) / len2 : 0;
  t = Math.max(0, Math.min(1, t));
  const ex = a.x + t * dx - px, ey = a.y + t * dy - py;
  return ex * ex + ey * ey;
}

/** The binary bitmap: a bit is on when its centre lies within half a pen width of a stroke. */
export function rasterise(strokes: readonly Stroke[], pen: number): Uint8Array {
  const bits = new Uint8Array(BITMAP * BITMAP);
  const r = pen / 2, r2 = r * r;
  for (const st of strokes) {
    for (let i = 0; i < st.length; i++) {
      const a = st[i], b = st[Math.min(i + 1, st.length - 1)];
      // only the bits near this segment
      const c0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - r)), c1 = Math.min(BITMAP - 1, Math.ceil(Math.max(a.x, b.x) + r));
      const r0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - r)), r1 = Math.min(BITMAP - 1, Math.ceil(Math.max(a.y, b.y) + r));
      for (let row = r0; row <= r1; row++) {
        for (let col = c0; col <= c1; col++) {
          if (!bits[row * BITMAP + col] && dist2(col + 0.5, row + 0.5, a, b) <= r2) bits[row * BITMAP + col] = 1;
        }
      }
    }
  }
  return bits;
}

/** Counts the on bits in each BLOCK × BLOCK block: GRID × GRID values in 0..BLOCK². */
export function blockCounts(bits: Uint8Array): Float32Array {
  const out = new Float32Array(GRID * GRID);
  for (let row = 0; row < BITMAP; row++) {
    for (let col = 0; col < BITMAP; col++) {
      if (bits[row * BITMAP + col]) out[Math.floor(row / BLOCK) * GRID + Math.floor(col / BLOCK)]++;
    }
  }
  return out;
}

/** The whole pipeline; undefined when nothing was drawn. The pen width is searched for TARGET_INK. */
export function preprocess(strokes: readonly Stroke[]): Preprocessed | undefined {
  if (!strokes.some((st) => st.length > 0)) return undefined;
  const ink = (bits: Uint8Array) => bits.reduce((a, b) => a + b, 0);
  const draw = (pen: number) => rasterise(normalise(strokes, pen), pen);
  // ink grows with the pen: bisect for the target, keeping the closest
  let lo = MIN_PEN, hi = MAX_PEN;
  let best = { pen: lo, bitmap: draw(lo) };
  if (ink(best.bitmap) < TARGET_INK) {
    for (let i = 0; i < 10; i++) {
      const pen = (lo + hi) / 2, bitmap = draw(pen), n = ink(bitmap);
      if (Math.abs(n - TARGET_INK) < Math.abs(ink(best.bitmap) - TARGET_INK)) best = { pen, bitmap };
      if (n < TARGET_INK) lo = pen; else hi = pen;
    }
    const top = draw(MAX_PEN);
    if (Math.abs(ink(top) - TARGET_INK) < Math.abs(ink(best.bitmap) - TARGET_INK)) best = { pen: MAX_PEN, bitmap: top };
  }
  return { bitmap: best.bitmap, pixels: blockCounts(best.bitmap), pen: best.pen };
}
