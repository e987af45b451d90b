// A regression's result as an SVG scatter plot: each row's predicted value against its true value, on the
// same scale both ways, with the line y = x (a perfect model puts every point on it) and the R², RMSE and
// MAE written in the corner. The "Your data" view's counterpart of the confusion matrix.

const SVG = "http://www.w3.org/2000/svg";
/** Points drawn at most (evenly spread over the rows); the figures count every row. */
export const POINTS_DRAWN = 2000;

const SIZE = 360, LEFT = 54, RIGHT = 12, TOP = 12, BOTTOM = 44;

export interface ScatterFigures { r2: number; rmse: number; mae: number }

/** R², RMSE and MAE of predicted against true values (R² about the true values' own mean). */
export function figures(truth: Float32Array, predicted: Float32Array): ScatterFigures {
  const n = truth.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += truth[i] / n;
  let se = 0, ae = 0, st = 0;
  for (let i = 0; i < n; i++) {
    const d = predicted[i] - truth[i], m = truth[i] - mean;
    se += d * d; ae += Math.abs(d); st += m * m;
  }
  return { r2: st > 0 ? 1 - se / st : se === 0 ? 1 : 0, rmse: Math.sqrt(se / n), mae: ae / n };
}

const el = (name: string, attrs: Record<string, string | number>, text?: string) => {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};

export const short = (x: number, digits = 4) => String(Number(x.toPrecision(digits)));

/** Round tick values over [lo, hi], about `count` of them. */
function ticks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count, p = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Draws the plot into `svg`; `target` names the value, `of` says which rows these are. */
export function renderScatter(svg: SVGSVGElement, truth: Float32Array, predicted: Float32Array, target: string, of: string): ScatterFigures {
  const n = truth.length, f = figures(truth, predicted);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, truth[i], predicted[i]);
    hi = Math.max(hi, truth[i], predicted[i]);
  }
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.04;
  lo -= pad; hi += pad;
  const pw = SIZE - LEFT - RIGHT, ph = SIZE - TOP - BOTTOM;
  const X = (v: number) => LEFT + ((v - lo) / (hi - lo)) * pw, Y = (v: number) => TOP + (1 - (v - lo) / (hi - lo)) * ph;
  const parts: Element[] = [el("rect", { x: LEFT, y: TOP, width: pw, height: ph, class: "frame" })];
  for (const t of ticks(lo, hi, 5)) {
    parts.push(el("line", { x1: X(t), x2: X(t), y1: TOP, y2: TOP + ph, class: "grid" }), el("line", { x1: LEFT, x2: LEFT + pw, y1: Y(t), y2: Y(t), class: "grid" }));
    parts.push(el("text", { x: X(t), y: TOP + ph + 16, "text-anchor": "middle" }, short(t)), el("text", { x: LEFT - 6, y: Y(t) + 4, "text-anchor": "end" }, short(t)));
  }
  parts.push(el("line", { x1: X(lo), y1: Y(lo), x2: X(hi), y2: Y(hi), class: "diagonal" }));
  const stride = Math.max(1, n / POINTS_DRAWN), dots = el("g", { class: "dots" });
  for (let k = 0; k < Math.min(n, POINTS_DRAWN); k++) {
    const i = Math.floor(k * stride);
    dots.append(el("circle", { cx: X(truth[i]).toFixed(1), cy: Y(predicted[i]).toFixed(1), r: n > 500 ? 1.8 : 3 }));
  }
  parts.push(dots);
  parts.push(el("text", { x: LEFT + pw / 2, y: SIZE - 6, "text-anchor": "middle", class: "axis" }, `true ${target}`));
  parts.push(el("text", { x: 14, y: TOP + ph / 2, "text-anchor": "middle", class: "axis", transform: `rotate(-90 14 ${TOP + ph / 2})` }, `predicted ${target}`));
  const lines = [`R² ${f.r2.toFixed(3)}`, `RMSE ${short(f.rmse)}`, `MAE ${short(f.mae)}`];
  lines.forEach((t, i) => parts.push(el("text", { x: LEFT + 8, y: TOP + 18 + 16 * i, class: "figure" }, t)));
  svg.setAttribute("viewBox", `0 0 ${SIZE} ${SIZE}`);
  svg.replaceChildren(...parts);
  svg.dataset.r2 = String(f.r2);
  svg.dataset.points = String(Math.min(n, POINTS_DRAWN));
  svg.setAttribute("aria-label", `Predicted against true ${target} for the ${n.toLocaleString("en")} ${of} rows: R² ${f.r2.toFixed(3)}, RMSE ${short(f.rmse)}, MAE ${short(f.mae)}. Points on the diagonal are predicted exactly.`);
  return f;
}
