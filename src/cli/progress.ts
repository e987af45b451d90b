// A one-line progress bar for long training runs, redrawn in place on a terminal:
//
//   epoch  412/1000 [████████████░░░░░░░░░░░░░░░░░░]  41%  183 ep/s  ETA 0:03  acc 97.1%  held-out 95.8%
//
// It only ever draws on a TTY: given a pipe or a file it writes nothing at all, so redirected output stays
// plain lines (the CLI prints those itself). Redraws are throttled to ~10 per second, the line is cut to
// the terminal's width, and log() prints a line above the bar without leaving a half-drawn bar behind.

/** Erase the whole current line, then return to its start. */
export const CLEAR_LINE = "\x1b[2K\r";

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): boolean;
}

export interface ProgressOptions {
  /** Milliseconds, monotonic; performance.now by default (tests inject a fake clock). */
  now?: () => number;
  /** Least time between two redraws from update(); 100 ms (≈ 10 per second) by default. */
  minIntervalMs?: number;
}

export interface ProgressInfo {
  /** Fractions in 0..1, shown in %; the latest given value is kept until a newer one arrives. */
  accuracy?: number;
  test_accuracy?: number;
}

const DEFAULT_COLUMNS = 80;
const MAX_BAR = 30, MIN_BAR = 6;

export class Progress {
  readonly total: number;
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  private readonly minInterval: number;
  private readonly enabled: boolean;
  private readonly t0: number;
  private epoch = 0;
  private accuracy: number | undefined;
  private testAccuracy: number | undefined;
  private lastDraw = -Infinity;
  private drawnEpoch = -1;
  /** A bar is on screen (so log() and done() must clear it). */
  private shown = false;
  private finished = false;

  constructor(total: number, stream: ProgressStream, opts: ProgressOptions = {}) {
    if (!(Number.isInteger(total) && total >= 1)) throw new RangeError(`Progress total must be a positive integer, got ${total}`);
    this.total = total;
    this.stream = stream;
    this.now = opts.now ?? (() => performance.now());
    this.minInterval = opts.minIntervalMs ?? 100;
    this.enabled = stream.isTTY === true;
    this.t0 = this.now();
  }

  /**
   * Records progress: `epoch` is the number of epochs completed so far (0..total; an `onEpoch(i)` callback
   * with a 0-based index passes i + 1). Redraws when at least minIntervalMs has passed since the last
   * redraw, and always on reaching the total.
   */
  update(epoch: number, info: ProgressInfo = {}): void {
    if (this.finished) return;
    if (Number.isFinite(epoch)) this.epoch = Math.min(this.total, Math.max(0, epoch));
    if (info.accuracy !== undefined && Number.isFinite(info.accuracy)) this.accuracy = info.accuracy;
    if (info.test_accuracy !== undefined && Number.isFinite(info.test_accuracy)) this.testAccuracy = info.test_accuracy;
    if (!this.enabled) return;
    const t = this.now();
    if (t - this.lastDraw >= this.minInterval || (this.epoch === this.total && this.drawnEpoch !== this.total)) this.draw(t);
  }

  /** Prints a line above the bar: clears the bar, writes the line, and redraws the bar with the latest state. */
  log(line: string): void {
    if (!this.enabled) return;
    const text = line.endsWith("\n") ? line : line + "\n";
    this.stream.write((this.shown ? CLEAR_LINE : "") + text);
    this.shown = false;
    if (!this.finished && this.lastDraw > -Infinity) this.draw(this.now());
  }

  /** Removes the bar, leaving the cursor at the start of an empty line; later updates draw nothing. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.enabled && this.shown) this.stream.write(CLEAR_LINE);
    this.shown = false;
  }

  /** Epochs per second since construction, or undefined before any progress. */
  rate(at = this.now()): number | undefined {
    const s = (at - this.t0) / 1000;
    return this.epoch > 0 && s > 0 ? this.epoch / s : undefined;
  }

  /** Seconds until the total at the current rate, or undefined while the rate is unknown. */
  eta(at = this.now()): number | undefined {
    const r = this.rate(at);
    return r === undefined ? undefined : (this.total - this.epoch) / r;
  }

  /** The bar's text (without control sequences) for a terminal `columns` wide; never longer than columns - 1. */
  render(columns: number, at = this.now()): string {
    const width = Math.max(1, Math.floor(columns) - 1); // writing into the last column makes some terminals wrap
    const digits = String(this.total).length;
    const head = `epoch ${String(Math.floor(this.epoch)).padStart(digits)}/${this.total}`;
    const frac = this.epoch / this.total;
    const pct = `${String(Math.floor(frac * 100)).padStart(3)}%`;
    const r = this.rate(at), eta = this.eta(at);
    // fields, most important first: with every field the bar takes what room is left (if at least MIN_BAR);
    // otherwise the bar goes first, then fields from the end
    const fields = [
      pct,
      `${r === undefined ? "--" : formatRate(r)} ep/s`,
      `ETA ${eta === undefined ? "--:--" : formatDuration(eta)}`,
      ...(this.accuracy !== undefined ? [`acc ${(this.accuracy * 100).toFixed(1)}%`] : []),
      ...(this.testAccuracy !== undefined ? [`held-out ${(this.testAccuracy * 100).toFixed(1)}%`] : []),
    ];
    const tailOf = (k: number) => fields.slice(0, k).map((f) => "  " + f).join("");
    const room = width - head.length - tailOf(fields.length).length - 3; // " [" and "]"
    if (room >= MIN_BAR) return `${head} [${bar(frac, Math.min(MAX_BAR, room))}]${tailOf(fields.length)}`;
    for (let k = fields.length; k >= 0; k--) {
      const line = head + tailOf(k);
      if (line.length <= width) return line;
    }
    return head.slice(0, width);
  }

  private draw(t: number): void {
    this.lastDraw = t;
    this.drawnEpoch = this.epoch;
    this.stream.write(CLEAR_LINE + this.render(this.stream.columns || DEFAULT_COLUMNS, t));
    this.shown = true;
  }
}

function bar(frac: number, width: number): string {
  const full = Math.min(width, Math.floor(frac * width + 1e-9));
  return "█".repeat(full) + "░".repeat(width - full);
}

export function formatRate(r: number): string {
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

/** m:ss below an hour, h:mm:ss above. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const ss = String(sec).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}
