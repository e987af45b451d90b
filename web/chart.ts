// The live training chart, drawn on a <canvas>: loss on a log scale (left axis) and a second measure (right
// axis: the accuracy, or a regression's RMSE in the target's units) against epochs, and the held-out loss and
// measure when the points have them (the "Your data" view). Redraws at most once per frame and whenever the
// canvas changes size.

import { fitCanvas } from "./canvas.ts";

export interface Point {
  epoch: number;
  loss: number;
  /** The right axis's measure: accuracy (0..1), or RMSE. */
  metric: number;
  /** Held-out loss and measure, drawn as two more lines where given. */
  testLoss?: number;
  testMetric?: number;
}

/** What the right axis shows: a share from 0 to 100% (accuracy), or a number from 0 up (RMSE). */
export type Metric = "accuracy" | "rmse";

const LOSS = "#c2410c"; // orange-700: 5.2:1 on white
const ACC = "#1d4ed8"; // blue-700: 6.7:1 on white
const TEST_LOSS = "#7e22ce"; // purple-700: 7.1:1 on white
const TEST_ACC = "#047857"; // emerald-700: 5.5:1 on white
const INK = "#374151";
const GRIDLINE = "#e5e7eb";

export class TrainingChart {
  private points: Point[] = [];
  private epochs = 1;
  private metric: Metric = "accuracy";
  private pending = false;

  constructor(private readonly canvas: HTMLCanvasElement) {
    new ResizeObserver(() => this.schedule()).observe(canvas);
  }

  reset(epochs: number, metric: Metric = "accuracy"): void {
    this.points = [];
    this.epochs = Math.max(1, epochs);
    this.metric = metric;
    this.schedule();
  }

  add(p: Point): void {
    this.points.push(p);
    this.schedule();
  }

  /** A sentence for screen readers, describing what the chart shows. */
  describe(): string {
    const ps = this.points;
    if (ps.length === 0) return "Training chart: no training yet.";
    const a = ps[0], b = ps[ps.length - 1];
    const rmse = this.metric === "rmse", show = (x: number) => (rmse ? String(Number(x.toPrecision(4))) : `${(x * 100).toFixed(1)}%`);
    const name = rmse ? "RMSE" : "accuracy";
    const heldOut = a.testMetric !== undefined && b.testMetric !== undefined
      ? ` The held-out ${name} went from ${show(a.testMetric)} to ${show(b.testMetric)}.`
      : "";
    return `Training chart: over epochs ${a.epoch} to ${b.epoch}, the loss went from ${a.loss.toFixed(3)} to ${b.loss.toFixed(3)} ` +
      `and the training ${name} from ${show(a.metric)} to ${show(b.metric)}.${heldOut}`;
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  private draw(): void {
    const fit = fitCanvas(this.canvas);
    if (!fit) return;
    const { g, w, h } = fit;
    g.clearRect(0, 0, w, h);
    g.font = "12px system-ui, sans-serif";

    const left = 46, right = 46, top = 12, bottom = 30;
    const pw = w - left - right, ph = h - top - bottom;
    if (pw < 20 || ph < 20) return;

    // loss on a log scale from 0.01 up to the first loss, training or held-out (at least 1)
    const maxLoss = Math.max(1, ...this.points.slice(0, 1).map((p) => Math.max(p.loss, p.testLoss ?? 0)));
    const lo = Math.log10(0.01), hi = Math.log10(maxLoss * 1.1);
    // the epochs so far and a quarter more (a round number), up to the planned ones: a long run's first
    // epochs are not squeezed against the left edge
    const last = this.points[this.points.length - 1]?.epoch ?? 0;
    const span = Math.min(this.epochs, Math.max(10, niceCeil(1.25 * (last + 1))));
    const X = (epoch: number) => left + (epoch / span) * pw;
    const YL = (loss: number) => top + (1 - (Math.log10(Math.max(loss, 0.01)) - lo) / (hi - lo)) * ph;
    // the right axis: 0 to 100%, or 0 to a round number above the first RMSE (training or held-out)
    const first = this.points[0];
    const maxMetric = this.metric === "accuracy" ? 1 : niceCeil(Math.max(first?.metric ?? 1, first?.testMetric ?? 0) * 1.05);
    const YA = (m: number) => top + (1 - m / maxMetric) * ph;

    // grid and axes
    g.strokeStyle = GRIDLINE;
    g.lineWidth = 1;
    g.fillStyle = INK;
    g.textBaseline = "middle";
    for (const share of [0, 0.25, 0.5, 0.75, 1]) {
      const y = Math.round(YA(share * maxMetric)) + 0.5;
      g.beginPath(); g.moveTo(left, y); g.lineTo(left + pw, y); g.stroke();
      g.fillStyle = ACC; g.textAlign = "left";
      g.fillText(this.metric === "accuracy" ? `${share * 100}%` : String(Number((share * maxMetric).toPrecision(3))), left + pw + 6, y);
    }
    g.fillStyle = LOSS; g.textAlign = "right";
    for (const loss of [0.01, 0.1, 1]) if (loss <= maxLoss * 1.1) g.fillText(String(loss), left - 6, YL(loss));
    g.fillStyle = INK; g.textAlign = "center"; g.textBaseline = "top";
    const step = niceStep(span, Math.max(2, Math.floor(pw / 70)));
    for (let e = 0; e <= span; e += step) g.fillText(String(e), X(e), top + ph + 6);
    g.strokeStyle = INK;
    g.strokeRect(left + 0.5, top + 0.5, pw, ph);

    const line = (color: string, y: (p: Point) => number, dash: number[], points = this.points) => {
      if (points.length === 0) return;
      g.strokeStyle = color;
      g.lineWidth = 2.5;
      g.setLineDash(dash);
      g.beginPath();
      points.forEach((p, i) => (i === 0 ? g.moveTo(X(p.epoch), y(p)) : g.lineTo(X(p.epoch), y(p))));
      if (points.length === 1) g.lineTo(X(points[0].epoch) + 1, y(points[0]));
      g.stroke();
      g.setLineDash([]);
    };
    // a held-out loss can climb above the axis: keep every line inside the plot (with room for its width)
    g.save();
    g.beginPath();
    g.rect(left - 2, top - 2, pw + 4, ph + 4);
    g.clip();
    const held = this.points.filter((p) => p.testLoss !== undefined && p.testMetric !== undefined);
    line(TEST_LOSS, (p) => YL(p.testLoss!), [2, 3], held);
    line(TEST_ACC, (p) => YA(p.testMetric!), [10, 3], held);
    line(LOSS, (p) => YL(p.loss), [6, 3]);
    line(ACC, (p) => YA(p.metric), []);
    g.restore();
  }
}

/** The round number (1, 2 or 5 × 10^k) at or above x > 0. */
function niceCeil(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

/** A round step (1, 2 or 5 × 10^k) giving at most `ticks` intervals over 0..max. */
function niceStep(max: number, ticks: number): number {
  const raw = max / ticks, p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

export const CHART_COLORS = { loss: LOSS, accuracy: ACC, testLoss: TEST_LOSS, testAccuracy: TEST_ACC };
