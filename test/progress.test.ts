// The terminal progress bar, driven by a fake stream and a fake clock: it redraws in place at most every
// 100 ms, fits the terminal, computes rate and ETA from the clock, interleaves log lines cleanly, and
// writes nothing at all when the stream is not a TTY.

import { describe, expect, it } from "vitest";
import { CLEAR_LINE, Progress, formatDuration, formatRate } from "../src/cli/progress.js";

class FakeStream {
  writes: string[] = [];
  constructor(public isTTY: boolean | undefined = true, public columns: number | undefined = 80) {}
  write(s: string): boolean {
    this.writes.push(s);
    return true;
  }
  /** What a terminal would show: each CLEAR_LINE erases the current line; "\n" finishes a line. */
  screen(): { lines: string[]; current: string } {
    const lines: string[] = [];
    let current = "";
    for (const ch of this.writes.join("").split(/(\x1b\[2K\r|\n)/)) {
      if (ch === CLEAR_LINE) current = "";
      else if (ch === "\n") { lines.push(current); current = ""; }
      else current += ch;
    }
    return { lines, current };
  }
}

class FakeClock {
  t = 1000;
  now = () => this.t;
  advance(ms: number) { this.t += ms; }
}

function setup(total = 1000, columns: number | undefined = 80) {
  const stream = new FakeStream(true, columns);
  const clock = new FakeClock();
  const p = new Progress(total, stream, { now: clock.now });
  return { stream, clock, p };
}

describe("Progress", () => {
  it("draws in place: every write starts by clearing the line, and none ends a line", () => {
    const { stream, clock, p } = setup();
    clock.advance(500);
    p.update(50, { accuracy: 0.5 });
    expect(stream.writes).toHaveLength(1);
    expect(stream.writes[0].startsWith("\x1b[2K\r")).toBe(true);
    expect(stream.writes[0]).not.toContain("\n");
    expect(stream.writes[0]).toContain("epoch   50/1000");
    expect(stream.writes[0]).toContain("acc 50.0%");
  });

  it("throttles redraws to about ten per second", () => {
    const { stream, clock, p } = setup(100_000);
    // 5000 epochs, one every millisecond: 5 seconds
    for (let e = 1; e <= 5000; e++) {
      clock.advance(1);
      p.update(e);
    }
    expect(stream.writes.length).toBeGreaterThanOrEqual(49);
    expect(stream.writes.length).toBeLessThanOrEqual(51);
    // and the redraws really are 100 ms apart: the epochs shown step by 100
    const shown = stream.writes.map((w) => Number(/epoch\s+(\d+)\//.exec(w)![1]));
    for (let k = 1; k < shown.length; k++) expect(shown[k] - shown[k - 1]).toBe(100);
  });

  it("draws the final epoch even inside the throttle window, once", () => {
    const { stream, clock, p } = setup(10);
    for (let e = 1; e <= 10; e++) {
      clock.advance(5);
      p.update(e);
    }
    expect(stream.writes).toHaveLength(2); // the first update and the last
    expect(stream.writes[1]).toContain("epoch 10/10");
    expect(stream.writes[1]).toContain("100%");
    p.update(10);
    expect(stream.writes).toHaveLength(2);
  });

  it("computes the rate and ETA from the clock", () => {
    const { stream, clock, p } = setup(1000);
    clock.advance(2000);
    p.update(250, { accuracy: 0.9731, test_accuracy: 0.958 });
    // 250 epochs in 2 s: 125 epochs/s; 750 left: 6 s
    expect(p.rate()).toBeCloseTo(125, 10);
    expect(p.eta()).toBeCloseTo(6, 10);
    const line = stream.screen().current;
    expect(line).toContain("125 ep/s");
    expect(line).toContain("ETA 0:06");
    expect(line).toContain(" 25%");
    expect(line).toContain("acc 97.3%");
    expect(line).toContain("held-out 95.8%");
    // the bar is a quarter full
    const bar = /\[(█*)(░*)\]/.exec(line)!;
    expect(bar[1].length / (bar[1].length + bar[2].length)).toBeCloseTo(0.25, 1);

    clock.advance(8000); // 10 s in total
    p.update(500);
    expect(p.rate()).toBeCloseTo(50, 10);
    expect(p.eta()).toBeCloseTo(10, 10);
    expect(stream.screen().current).toContain("ETA 0:10");
    // the latest accuracy is kept until a new one arrives
    expect(stream.screen().current).toContain("acc 97.3%");
  });

  it("shows an unknown rate and ETA before any progress", () => {
    const { stream, p } = setup(100);
    p.update(0);
    expect(p.rate()).toBeUndefined();
    expect(p.eta()).toBeUndefined();
    expect(stream.screen().current).toContain("-- ep/s");
    expect(stream.screen().current).toContain("ETA --:--");
    expect(stream.screen().current).not.toMatch(/NaN|Infinity/);
  });

  it("fits the terminal width, default 80 columns, dropping the bar and then fields when narrow", () => {
    for (const columns of [undefined, 200, 120, 80, 60, 40, 20, 8]) {
      const { stream, clock, p } = setup(100_000, columns);
      clock.advance(3_600_000);
      p.update(12_345, { accuracy: 0.98765, test_accuracy: 0.95432 });
      const line = stream.screen().current;
      const width = columns ?? 80;
      expect(line.length, `${columns}: ${line}`).toBeLessThanOrEqual(width - 1);
      expect(line.length).toBeGreaterThan(0);
      if (width >= 100) expect(line).toMatch(/\[█+░+\]/);
      if (width >= 80) expect(line).toContain("held-out 95.4%"); // the numbers outrank the bar
      if (width >= 40) expect(line).toContain("epoch  12345/100000");
      if (width < 80) expect(line).not.toContain("held-out");
    }
    // a typical run (1000 epochs) on a standard 80-column terminal shows the bar and every field
    {
      const { stream, clock, p } = setup(1000, undefined);
      clock.advance(10_000);
      p.update(412, { accuracy: 0.971, test_accuracy: 0.958 });
      const line = stream.screen().current;
      expect(line.length).toBeLessThanOrEqual(79);
      expect(line).toMatch(/^epoch  412\/1000 \[█+░+\]   41%  41\.2 ep\/s  ETA 0:14  acc 97\.1%  held-out 95\.8%$/);
    }
    // a wide terminal does not get an absurdly wide bar
    const { stream, clock, p } = setup(100, 300);
    clock.advance(1000);
    p.update(50);
    expect(/\[([█░]+)\]/.exec(stream.screen().current)![1].length).toBeLessThanOrEqual(30);
  });

  it("follows the terminal when it is resized", () => {
    const { stream, clock, p } = setup(1000, 120);
    clock.advance(1000);
    p.update(10, { accuracy: 0.5, test_accuracy: 0.4 });
    expect(stream.screen().current).toMatch(/\[[█░]{30}\]/);
    stream.columns = 50;
    clock.advance(1000);
    p.update(20);
    const narrow = stream.screen().current;
    expect(narrow.length).toBeLessThanOrEqual(49);
    expect(narrow).toContain("epoch   20/1000");
  });

  it("writes nothing at all when the stream is not a TTY", () => {
    for (const isTTY of [false, undefined]) {
      const stream = new FakeStream();
      stream.isTTY = isTTY; // (a default parameter would turn undefined into true)
      const clock = new FakeClock();
      const p = new Progress(100, stream, { now: clock.now });
      for (let e = 1; e <= 100; e++) {
        clock.advance(1000);
        p.update(e, { accuracy: e / 100 });
        if (e % 10 === 0) p.log(`epoch ${e}`);
      }
      p.done();
      expect(stream.writes).toEqual([]);
    }
  });

  it("log() clears the bar, prints the line and redraws the bar below it", () => {
    const { stream, clock, p } = setup(100);
    clock.advance(1000);
    p.update(10, { accuracy: 0.4 });
    p.log("epoch 10: loss 1.2");
    let s = stream.screen();
    expect(s.lines).toEqual(["epoch 10: loss 1.2"]);
    expect(s.current).toContain("epoch  10/100");
    // the log line was written after a clear, so no bar text is left in front of it
    expect(stream.writes[1].startsWith(CLEAR_LINE + "epoch 10: loss 1.2\n")).toBe(true);

    // an update inside the throttle window is not drawn, but the redraw after a log shows it
    clock.advance(10);
    p.update(11, { accuracy: 0.5 });
    const before = stream.writes.length;
    p.log("another line\n");
    s = stream.screen();
    expect(s.lines).toEqual(["epoch 10: loss 1.2", "another line"]);
    expect(s.current).toContain("epoch  11/100");
    expect(s.current).toContain("acc 50.0%");
    expect(stream.writes.length).toBe(before + 2);

    p.done();
    s = stream.screen();
    expect(s.current).toBe("");
    expect(s.lines).toEqual(["epoch 10: loss 1.2", "another line"]);
  });

  it("log() before any bar just prints the line; after done() prints without a bar", () => {
    const { stream, clock, p } = setup(100);
    p.log("first");
    expect(stream.writes).toEqual(["first\n"]);
    clock.advance(500);
    p.update(1);
    p.done();
    p.log("after");
    p.update(2);
    expect(stream.screen()).toEqual({ lines: ["first", "after"], current: "" });
    expect(stream.writes.slice(-1)).toEqual(["after\n"]);
  });

  it("done() clears the bar once and is idempotent", () => {
    const { stream, clock, p } = setup(100);
    clock.advance(200);
    p.update(100);
    p.done();
    p.done();
    expect(stream.writes.filter((w) => w === CLEAR_LINE)).toHaveLength(1);
    expect(stream.screen().current).toBe("");
  });

  it("rejects a total that is not a positive integer", () => {
    for (const t of [0, -1, 1.5, NaN]) expect(() => new Progress(t, new FakeStream())).toThrow(RangeError);
  });
});

describe("formatting", () => {
  it("formats durations and rates", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(59.6)).toBe("1:00");
    expect(formatDuration(61)).toBe("1:01");
    expect(formatDuration(3600 + 62)).toBe("1:01:02");
    expect(formatRate(1234.4)).toBe("1234");
    expect(formatRate(12.345)).toBe("12.3");
    expect(formatRate(1.2345)).toBe("1.23");
  });
});
