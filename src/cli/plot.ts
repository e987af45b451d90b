// Training curves as a standalone SVG document: loss (top panel) and accuracy in % (bottom panel) against the
// reported epochs, training solid and held-out dashed (held-out only when the reports carry it). No
// dependencies and no DOM: the result is a string that any browser opens as a .svg file or inlines in HTML.
// The axes' numbers come from plot-axis.ts; this module lays out and draws.

import type { Report } from "../model/types.js";
import { UsageError } from "../errors.js";
import { epochAxis, formatTick, valueAxis, type Axis } from "./plot-axis.js";

export { niceAxis } from "./plot-axis.js";

export interface PlotOptions {
  /** Shown at the top; plain text (escaped here). */
  title?: string;
  /** Size in CSS pixels; also the viewBox. Defaults 900 × 640. */
  width?: number;
  height?: number;
}

type Kind = "training" | "held-out";

interface Series {
  name: string;
  kind: Kind;
  points: [number, number][];
}

interface Panel {
  /** Top edge. */
  y0: number;
  label: string;
  series: Series[];
  percent: boolean;
}

/** The geometry every part shares: the document's size, the plot area's margins and the epoch scale. */
interface Frame {
  W: number;
  H: number;
  plotW: number;
  panelH: number;
  xAxis: Axis;
  sx: (epoch: number) => number;
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
// layout: title and legend on top, two panels sharing the x axis, epoch labels under the lower one
const LEFT = 74, RIGHT = 24, TOP = 76, BOTTOM = 58, PANEL_GAP = 36;
/** About one tick per this many pixels: epochs along the x axis, values up a panel. */
const X_TICK_SPACING = 110, Y_TICK_SPACING = 45;
const LEGEND_LINE = 30, LEGEND_TEXT_GAP = 6, LEGEND_ITEM_GAP = 20;

/**
 * Renders the loss and accuracy of each report as an SVG document. Non-finite values are left out of
 * their series; an empty list gives a chart frame that says so.
 */
export function renderCurvesSvg(reports: readonly Report[], opts: PlotOptions = {}): string {
  const W = dimension(opts.width ?? 900, "width", MIN_W);
  const H = dimension(opts.height ?? 640, "height", MIN_H);
  const title = opts.title ?? "Training curves";
  const { loss, acc } = curves(reports);
  const all = [...loss, ...acc];
  const frame = frameOf(W, H, all);
  const panels: Panel[] = [
    { y0: TOP, label: "loss (cross-entropy)", series: loss, percent: false },
    { y0: TOP + frame.panelH + PANEL_GAP, label: "accuracy (%)", series: acc, percent: true },
  ];
  const legend = legendSvg(frame, all);
  const subtitle = reports.length === 0 ? "no reports" : summaryLine(reports);
  const out = [
    ...documentStart(frame, title),
    ...legend.lines,
    `<text x="${LEFT}" y="52" font-size="12" fill="#555555">${escapeXml(fitText(subtitle, legend.x - LEGEND_ITEM_GAP - LEFT, 12))}</text>`,
    ...panels.flatMap((panel, i) => panelSvg(frame, panel, i === panels.length - 1)),
    `<text x="${fmt(LEFT + frame.plotW / 2)}" y="${H - 14}" text-anchor="middle" font-size="13" fill="#1a1a1a">epoch</text>`,
    `</svg>`,
  ];
  return out.join("\n") + "\n";
}

/** The series worth drawing (those with a finite point): loss and accuracy (in %), training and held-out. */
function curves(reports: readonly Report[]): { loss: Series[]; acc: Series[] } {
  const finite = (v: number | undefined): v is number => typeof v === "number" && Number.isFinite(v);
  const series = (name: string, kind: Kind, pick: (r: Report) => number | undefined, scale = 1): Series => ({
    name,
    kind,
    points: reports.filter((r) => Number.isFinite(r.epoch) && finite(pick(r))).map((r) => [r.epoch, pick(r)! * scale]),
  });
  const nonEmpty = (list: Series[]) => list.filter((s) => s.points.length > 0);
  return {
    loss: nonEmpty([series("training loss", "training", (r) => r.loss), series("held-out loss", "held-out", (r) => r.test_loss)]),
    acc: nonEmpty([
      series("training accuracy", "training", (r) => r.accuracy, 100),
      series("held-out accuracy", "held-out", (r) => r.test_accuracy, 100),
    ]),
  };
}

function frameOf(W: number, H: number, all: Series[]): Frame {
  const plotW = W - LEFT - RIGHT;
  const panelH = (H - TOP - BOTTOM - PANEL_GAP) / 2;
  const xAxis = epochAxis(all.flatMap((s) => s.points.map((p) => p[0])), plotW, X_TICK_SPACING);
  const sx = (e: number) => LEFT + ((e - xAxis.lo) / (xAxis.hi - xAxis.lo)) * plotW;
  return { W, H, plotW, panelH, xAxis, sx };
}

/** The XML declaration, the open <svg> with its accessible name, a white background and the title. */
function documentStart({ W, H }: Frame, title: string): string[] {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="${escapeXml(FONT)}" font-size="12" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="30" font-size="17" font-weight="600" fill="#1a1a1a">${escapeXml(fitText(title, W - LEFT - RIGHT, 17))}</text>`,
  ];
}

/**
 * The legend, right-aligned on the subtitle's line: one item per kind of series drawn, with the point
 * markers when the series show them. `x` is its left edge, where the subtitle must stop.
 */
function legendSvg(frame: Frame, all: Series[]): { lines: string[]; x: number } {
  const kinds = (["training", "held-out"] as const).filter((k) => all.some((s) => s.kind === k));
  const markers = all.some((s) => s.points.length <= MARKER_LIMIT);
  const itemW = (k: Kind) => LEGEND_LINE + LEGEND_TEXT_GAP + textWidth(LEGEND[k], 12);
  const legendW = kinds.reduce((w, k, j) => w + itemW(k) + (j ? LEGEND_ITEM_GAP : 0), 0);
  const x = frame.W - RIGHT - legendW;
  const lines: string[] = [];
  let lx = x;
  for (const k of kinds) {
    lines.push(
      `<g class="legend-item" data-series="${k}">`,
      `<line x1="${fmt(lx)}" y1="48" x2="${fmt(lx + LEGEND_LINE)}" y2="48" stroke="${STYLE[k].color}" stroke-width="2.5"${dashAttr(k)}/>`,
    );
    if (markers) lines.push(marker(k, fmt(lx + LEGEND_LINE / 2), "48"));
    lines.push(`<text x="${fmt(lx + (LEGEND_LINE + LEGEND_TEXT_GAP))}" y="52" fill="#1a1a1a">${escapeXml(LEGEND[k])}</text>`, `</g>`);
    lx += itemW(k) + LEGEND_ITEM_GAP;
  }
  return { lines, x };
}

/** One panel: its background, grid and ticks, axis lines and title, then its curves (or "no data"). */
function panelSvg(frame: Frame, panel: Panel, isBottom: boolean): string[] {
  const { plotW, panelH } = frame;
  const yAxis = valueAxis(panel.series.flatMap((s) => s.points.map((p) => p[1])), panel.percent, panelH, Y_TICK_SPACING);
  const y1 = panel.y0 + panelH;
  const sy = (v: number) => y1 - ((v - yAxis.lo) / (yAxis.hi - yAxis.lo)) * panelH;
  const cy = fmt(panel.y0 + panelH / 2);
  return [
    `<g class="panel" data-panel="${panel.percent ? "accuracy" : "loss"}">`,
    `<rect x="${LEFT}" y="${fmt(panel.y0)}" width="${fmt(plotW)}" height="${fmt(panelH)}" fill="#fafafa" stroke="none"/>`,
    ...yGrid(frame, yAxis, sy),
    ...xGrid(frame, panel.y0, y1, isBottom),
    // frame: left and bottom axis lines
    `<path d="M${LEFT} ${fmt(panel.y0)}V${fmt(y1)}H${fmt(LEFT + plotW)}" fill="none" stroke="#888888" stroke-width="1"/>`,
    // y axis title, rotated
    `<text x="18" y="${cy}" transform="rotate(-90 18 ${cy})" text-anchor="middle" font-size="13" fill="#1a1a1a">${escapeXml(panel.label)}</text>`,
    ...(panel.series.length === 0 ? [`<text x="${fmt(LEFT + plotW / 2)}" y="${cy}" text-anchor="middle" fill="#888888">no data</text>`] : []),
    ...panel.series.flatMap((s) => curveSvg(s, frame.sx, sy)),
    `</g>`,
  ];
}

/** Horizontal grid lines at the value ticks, labelled on the left. */
function yGrid({ plotW }: Frame, yAxis: Axis, sy: (v: number) => number): string[] {
  return yAxis.ticks.flatMap((t) => {
    const y = fmt(sy(t));
    return [
      `<line x1="${LEFT}" y1="${y}" x2="${fmt(LEFT + plotW)}" y2="${y}" stroke="#e3e3e3" stroke-width="1"/>`,
      `<text x="${LEFT - 8}" y="${y}" dy="0.35em" text-anchor="end" fill="#444444">${formatTick(t, yAxis.decimals)}</text>`,
    ];
  });
}

/** Vertical grid lines and tick marks at the epoch ticks; only the bottom panel labels them. */
function xGrid({ xAxis, sx }: Frame, y0: number, y1: number, labelled: boolean): string[] {
  return xAxis.ticks.flatMap((t) => {
    const x = fmt(sx(t));
    return [
      `<line x1="${x}" y1="${fmt(y0)}" x2="${x}" y2="${fmt(y1)}" stroke="#eeeeee" stroke-width="1"/>`,
      `<line x1="${x}" y1="${fmt(y1)}" x2="${x}" y2="${fmt(y1 + 4)}" stroke="#888888" stroke-width="1"/>`,
      ...(labelled ? [`<text x="${x}" y="${fmt(y1 + 18)}" text-anchor="middle" fill="#444444">${formatTick(t, xAxis.decimals)}</text>`] : []),
    ];
  });
}

/** One series as a polyline, plus a marker on each point when there are few. */
function curveSvg(s: Series, sx: (e: number) => number, sy: (v: number) => number): string[] {
  const pts = s.points.map(([e, v]) => `${fmt(sx(e))},${fmt(sy(v))}`);
  const line =
    `<polyline class="series" data-series="${escapeXml(s.name)}" points="${pts.join(" ")}" fill="none" stroke="${STYLE[s.kind].color}" ` +
    `stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${dashAttr(s.kind)}/>`;
  // a lone point (or a handful) would be invisible or ambiguous as a line: mark each one
  if (s.points.length > MARKER_LIMIT) return [line];
  return [line, ...pts.map((p) => {
    const [x, y] = p.split(",");
    return marker(s.kind, x, y);
  })];
}

const dashAttr = (kind: Kind) => (STYLE[kind].dash ? ` stroke-dasharray="${STYLE[kind].dash}"` : "");

/** Training points are filled dots, held-out points hollow squares. */
function marker(kind: Kind, x: string, y: string): string {
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

/** A coordinate with at most two decimals, never "-0". */
function fmt(v: number): string {
  const r = Math.round(v * 100) / 100;
  return String(Object.is(r, -0) ? 0 : r);
}

/** Rough width of text in a sans-serif font (average glyph ≈ 0.55 em). */
function textWidth(s: string, size: number): number {
  return [...s].length * size * 0.55;
}

/** Cuts text that would overrun `width` pixels, with an ellipsis (glyphs taken a little wider than textWidth's, to be safe). */
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
