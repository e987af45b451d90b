// The drawing pad: pointer events (mouse, touch and pen alike) collect strokes in coordinates relative to
// the pad's size (0..1), so the drawing survives resizes and the preprocessing sees its true shape.

import type { Stroke } from "./preprocess.ts";
import { fitCanvas } from "./canvas.ts";

const PEN = 0.065; // the pen's width on screen, as a share of the pad's width

export class DrawingPad {
  strokes: Stroke[] = [];
  /** An 8×8 image shown instead of strokes (a sample from the data set), until the next drawing. */
  private image: ArrayLike<number> | undefined;
  private drawing: number | undefined;
  private pending = false;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly onChange: () => void) {
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    canvas.addEventListener("pointerup", (e) => this.up(e));
    canvas.addEventListener("pointercancel", (e) => this.up(e));
    new ResizeObserver(() => this.redraw()).observe(canvas);
  }

  clear(): void {
    this.strokes = [];
    this.image = undefined;
    this.redraw();
    this.onChange();
  }

  showImage(pixels: ArrayLike<number>): void {
    this.strokes = [];
    this.image = pixels;
    this.redraw();
  }

  private point(e: PointerEvent) {
    const r = this.canvas.getBoundingClientRect();
    return { x: (e.clientX - r.left) / r.width, y: (e.clientY - r.top) / r.height };
  }

  private down(e: PointerEvent): void {
    if (e.pointerType === "mouse" && e.button !== 0) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    if (this.image) { this.image = undefined; this.strokes = []; }
    this.drawing = e.pointerId;
    this.strokes.push([this.point(e)]);
    this.changed();
  }

  private move(e: PointerEvent): void {
    if (this.drawing !== e.pointerId) return;
    const stroke = this.strokes[this.strokes.length - 1];
    const events = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
    for (const ev of events.length > 0 ? events : [e]) stroke.push(this.point(ev));
    this.changed();
  }

  private up(e: PointerEvent): void {
    if (this.drawing !== e.pointerId) return;
    this.drawing = undefined;
    this.changed();
  }

  /** Redraws now and tells the page at most once per frame. */
  private changed(): void {
    this.redraw();
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.onChange();
    });
  }

  private redraw(): void {
    const fit = fitCanvas(this.canvas);
    if (!fit) return;
    const { g, w, h } = fit;
    g.fillStyle = "#fff";
    g.fillRect(0, 0, w, h);
    if (this.image) {
      const cw = w / 8, ch = h / 8;
      for (let i = 0; i < 64; i++) {
        const l = Math.round(255 * (1 - this.image[i] / 16));
        g.fillStyle = `rgb(${l}, ${l}, ${l})`;
        g.fillRect((i % 8) * cw, Math.floor(i / 8) * ch, Math.ceil(cw), Math.ceil(ch));
      }
      return;
    }
    g.strokeStyle = "#111827";
    g.fillStyle = "#111827";
    g.lineCap = "round";
    g.lineJoin = "round";
    g.lineWidth = PEN * w;
    for (const s of this.strokes) {
      if (s.length === 1) {
        g.beginPath();
        g.arc(s[0].x * w, s[0].y * h, (PEN * w) / 2, 0, 2 * Math.PI);
        g.fill();
        continue;
      }
      g.beginPath();
      s.forEach((p, i) => (i === 0 ? g.moveTo(p.x * w, p.y * h) : g.lineTo(p.x * w, p.y * h)));
      g.stroke();
    }
  }
}
