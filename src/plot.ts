// Training curves as a standalone SVG document: loss (top panel) and accuracy in % (bottom panel) against the
// reported epochs, training solid and held-out dashed (held-out only when the reports carry it). No
// dependencies and no DOM: the result is a string that any browser opens as a .svg file or inlines in HTML.

import type { Report } from "./model.js";
import { UsageError } from "./errors.js";

export interface PlotOptions {
  /** Shown at the top; plain text (escaped here). */
  title?: string;
  /** Size in CSS pixels; also the viewBox. Defaults 900 × 640. */
  width?: number;
  height?: number;
}

interface Series {
  name: string;
  kind: "training" | "held-out";
  points: [number, number][];
}

interface Axis {
  lo: number;
  hi: number;
  ticks: number[];
  decimals: number;
}

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
/** Training: dark blue, solid. Held-out: orange, dashed — distinct in colour and in greyscale. */
const STYLE = {
  training: { color: "#1f4e9c", dash: "" },
  "held-out": { color: "#e06c00", dash: "7 4" },
} as const;
const LEGEND = { training: "training", "held-out": "held-out" } as const;

/** Series with at most this many points also mark each point (a lone point is no line). */
const MARKER_LIMIT = 20;
const MIN_W = 320, MIN_H = 280, MAX_DIM = 20000;

/**
 * Renders the loss and accuracy of each report as an SVG document. Non-finite values are left out of
 * their series; an empty list gives a chart frame that says so.
 */
export function renderCurvesSvg(reports: readonly Report[], opts: PlotOptions = {}): string {
  const W = dimension(opts.width ?? 900, "width", MIN_W);
  const H = dimension(opts.height ?? 640, "height", MIN_H);
  const title = opts.title ?? "Training curves";

  const finite = (v: number | undefined): v is number => typeof v === "number" && Number.isFinite(v);
  const series = (name: string, kind: Series["kind"], pick: (r: Report) => number | undefined, scale = 1): Series => ({
    name,
    kind,
    points: reports.filter((r) => Number.isFinite(r.epoch) && finite(pick(r))).map((r) => [r.epoch, pick(r)! * scale]),
  });
  const lossSeries = [series("training loss", "training", (r) => r.loss), series("held-out loss", "held-out", (r) => r.test_loss)];
  const accSeries = [
    series("training accuracy", "training", (r) => r.accuracy, 100),
    series("held-out accuracy", "held-out", (r) => r.test_accuracy, 100),
  ];
  const loss = lossSeries.filter((s) => s.points.length > 0);
  const acc = accSeries.filter((s) => s.points.length > 0);
  const kinds = (["training", "held-out"] as const).filter((k) => [...loss, ...acc].some((s) => s.kind === k));

  // layout: title and legend on top, two panels sharing the x axis, epoch labels under the lower one
  const left = 74, right = 24, top = 76, bottom = 58, gap = 36;
  const plotW = W - left - right;
  const panelH = (H - top - bottom - gap) / 2;
  const panels = [
    { y0: top, label: "loss (cross-entropy)", series: loss, percent: false },
    { y0: top + panelH + gap, label: "accuracy (%)", series: acc, percent: true },
  ];

  const allEpochs = [...loss, ...acc].flatMap((s) => s.points.map((p) => p[0]));
  const e0 = allEpochs.length ? minOf(allEpochs) : 0;
  const xAxis: Axis = allEpochs.length && maxOf(allEpochs) === e0
    ? { lo: e0 - 1, hi: e0 + 1, ticks: [e0], decimals: decimalsOf(e0) } // one epoch: centred, its own tick only
    : allEpochs.length
    ? niceAxis(minOf(allEpochs), maxOf(allEpochs), Math.max(3, Math.round(plotW / 110)), true, nonNegative(allEpochs))
    : niceAxis(0, 1, 2, true);
  const sx = (e: number) => left + ((e - xAxis.lo) / (xAxis.hi - xAxis.lo)) * plotW;

  const out: string[] = [];
  const push = (s: string) => out.push(s);
  push(`<?xml version="1.0" encoding="UTF-8"?>`);
  push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="${escapeXml(FONT)}" font-size="12" role="img" aria-label="${escapeXml(title)}">`,
  );
  push(`<title>${escapeXml(title)}</title>`);
  push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  push(
    `<text x="${left}" y="30" font-size="17" font-weight="600" fill="#1a1a1a">${escapeXml(fitText(title, W - left - right, 17))}</text>`,
  );

  // legend, right-aligned on the subtitle's line (with the point markers when the series show them)
  const markers = [...loss, ...acc].some((s) => s.points.length <= MARKER_LIMIT);
  const itemW = (k: Series["kind"]) => 30 + 6 + textWidth(LEGEND[k], 12);
  const legendW = kinds.reduce((w, k, j) => w + itemW(k) + (j ? 20 : 0), 0);
  const legendX = W - right - legendW;
  let lx = legendX;
  for (const k of kinds) {
    const { color, dash } = STYLE[k];
    push(`<g class="legend-item" data-series="${k}">`);
    push(
      `<line x1="${fmt(lx)}" y1="48" x2="${fmt(lx + 30)}" y2="48" stroke="${color}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`,
    );
    if (markers) push(marker(k, fmt(lx + 15), "48"));
    push(`<text x="${fmt(lx + 36)}" y="52" fill="#1a1a1a">${escapeXml(LEGEND[k])}</text>`);
    push(`</g>`);
    lx += itemW(k) + 20;
  }
  const subtitle = reports.length === 0 ? "no reports" : summaryLine(reports);
  push(`<text x="${left}" y="52" font-size="12" fill="#555555">${escapeXml(fitText(subtitle, legendX - 20 - left, 12))}</text>`);

  panels.forEach((panel, i) => {
    const ys = panel.series.flatMap((s) => s.points.map((p) => p[1]));
    const yAxis = ys.length
      ? niceAxis(minOf(ys), maxOf(ys), Math.max(3, Math.round(panelH / 45)), false, panel.percent ? [0, 100] : nonNegative(ys))
      : niceAxis(0, panel.percent ? 100 : 1, 4, false);
    const y1 = panel.y0 + panelH;
    const sy = (v: number) => y1 - ((v - yAxis.lo) / (yAxis.hi - yAxis.lo)) * panelH;
    const isBottom = i === panels.length - 1;

    push(`<g class="panel" data-panel="${panel.percent ? "accuracy" : "loss"}">`);
    push(`<rect x="${left}" y="${fmt(panel.y0)}" width="${fmt(plotW)}" height="${fmt(panelH)}" fill="#fafafa" stroke="none"/>`);
    // grid and y ticks
    for (const t of yAxis.ticks) {
      const y = fmt(sy(t));
      push(`<line x1="${left}" y1="${y}" x2="${fmt(left + plotW)}" y2="${y}" stroke="#e3e3e3" stroke-width="1"/>`);
      push(`<text x="${left - 8}" y="${y}" dy="0.35em" text-anchor="end" fill="#444444">${formatTick(t, yAxis.decimals)}</text>`);
    }
    for (const t of xAxis.ticks) {
      const x = fmt(sx(t));
      push(`<line x1="${x}" y1="${fmt(panel.y0)}" x2="${x}" y2="${fmt(y1)}" stroke="#eeeeee" stroke-width="1"/>`);
      push(`<line x1="${x}" y1="${fmt(y1)}" x2="${x}" y2="${fmt(y1 + 4)}" stroke="#888888" stroke-width="1"/>`);
      if (isBottom) {
        push(`<text x="${x}" y="${fmt(y1 + 18)}" text-anchor="middle" fill="#444444">${formatTick(t, xAxis.decimals)}</text>`);
      }
    }
    // frame: left and bottom axis lines
    push(
      `<path d="M${left} ${fmt(panel.y0)}V${fmt(y1)}H${fmt(left + plotW)}" fill="none" stroke="#888888" stroke-width="1"/>`,
    );
    // y axis title, rotated
    const cy = fmt(panel.y0 + panelH / 2);
    push(
      `<text x="18" y="${cy}" transform="rotate(-90 18 ${cy})" text-anchor="middle" font-size="13" fill="#1a1a1a">${escapeXml(panel.label)}</text>`,
    );
    if (panel.series.length === 0) {
      push(`<text x="${fmt(left + plotW / 2)}" y="${cy}" text-anchor="middle" fill="#888888">no data</text>`);
    }
    for (const s of panel.series) {
      const { color, dash } = STYLE[s.kind];
      const pts = s.points.map(([e, v]) => `${fmt(sx(e))},${fmt(sy(v))}`);
      push(
        `<polyline class="series" data-series="${escapeXml(s.name)}" points="${pts.join(" ")}" fill="none" stroke="${color}" ` +
          `stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`,
      );
      // a lone point (or a handful) would be invisible or ambiguous as a line: mark each one
      if (s.points.length <= MARKER_LIMIT) {
        for (const p of pts) {
          const [x, y] = p.split(",");
          push(marker(s.kind, x, y));
        }
      }
    }
    push(`</g>`);
  });
  push(
    `<text x="${fmt(left + plotW / 2)}" y="${H - 14}" text-anchor="middle" font-size="13" fill="#1a1a1a">epoch</text>`,
  );
  push(`</svg>`);
  return out.join("\n") + "\n";
}

/** Training points are filled dots, held-out points hollow squares. */
function marker(kind: Series["kind"], x: string, y: string): string {
  const { color } = STYLE[kind];
  return kind === "training"
    ? `<circle cx="${x}" cy="${y}" r="3.5" fill="${color}"/>`
    : `<rect x="${fmt(Number(x) - 3.5)}" y="${fmt(Number(y) - 3.5)}" width="7" height="7" fill="#ffffff" stroke="${color}" stroke-width="1.5"/>`;
}

function dimension(v: number, name: string, min: number): number {
  if (!Number.isFinite(v) || v < min || v > MAX_DIM) {
    throw new UsageError(`plot ${name} must be a number in ${min}..${MAX_DIM}, got ${v}`);
  }
  return Math.round(v);
}

function summaryLine(reports: readonly Report[]): string {
  const last = reports[reports.length - 1];
  const pct = (v: number | undefined) => (typeof v === "number" && Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : "–");
  const span = reports.length === 1 ? `epoch ${last.epoch}` : `epochs ${reports[0].epoch}–${last.epoch}`;
  let s = `${reports.length} report${reports.length === 1 ? "" : "s"}, ${span} · last: training ${pct(last.accuracy)}`;
  if (last.test_accuracy !== undefined) s += `, held-out ${pct(last.test_accuracy)}`;
  return s;
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

function formatTick(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

function fmt(v: number): string {
  const r = Math.round(v * 100) / 100;
  return String(Object.is(r, -0) ? 0 : r);
}

/** Rough width of text in a sans-serif font (average glyph ≈ 0.55 em). */
function textWidth(s: string, size: number): number {
  return [...s].length * size * 0.55;
}

function fitText(s: string, width: number, size: number): string {
  const chars = [...s];
  const max = Math.max(1, Math.floor(width / (size * 0.58)));
  return chars.length <= max ? s : chars.slice(0, max - 1).join("") + "…";
}

/** Escapes text for XML content and attributes, dropping characters XML 1.0 does not allow. */
export function escapeXml(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}
