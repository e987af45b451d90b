// The training-curve SVG: a well-formed standalone XML document (checked by the small parser below, which
// is tested on its own first), one line per series, held-out series only with held-out data, every
// coordinate inside the viewBox, no NaN, text escaped, and sensible axes for degenerate inputs.

import { describe, expect, it } from "vitest";
import { escapeXml, niceAxis, renderCurvesSvg } from "../src/cli/plot.js";
import type { Report } from "../src/model/mlp.js";
import { UsageError } from "../src/errors.js";

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

const ENTITY: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(s: string, where: string): string {
  return s.replace(/&([^;]*);|&/g, (m, name: string | undefined) => {
    if (name === undefined) throw new Error(`${where}: bare '&'`);
    if (name in ENTITY) return ENTITY[name];
    const num = /^#(\d+)$/.exec(name) ?? /^#x([0-9a-f]+)$/i.exec(name);
    if (num) return String.fromCodePoint(parseInt(num[1], name[1] === "x" ? 16 : 10));
    throw new Error(`${where}: unknown entity &${name};`);
  });
}

/** A strict-enough XML 1.0 well-formedness check: one root, matched tags, quoted unique attributes, valid entities. */
function parseXml(src: string): El {
  let i = 0;
  const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
  const stack: El[] = [];
  let root: El | undefined;
  const fail = (msg: string): never => {
    throw new Error(`XML error at ${i}: ${msg}`);
  };
  if (src.startsWith("<?xml")) {
    const end = src.indexOf("?>");
    if (end < 0) fail("unterminated declaration");
    i = end + 2;
  }
  while (i < src.length) {
    if (src.startsWith("<!--", i)) {
      const end = src.indexOf("-->", i + 4);
      if (end < 0) fail("unterminated comment");
      i = end + 3;
    } else if (src.startsWith("</", i)) {
      i += 2;
      NAME.lastIndex = i;
      const m = NAME.exec(src) ?? fail("bad closing tag name");
      i += m[0].length;
      while (/\s/.test(src[i])) i++;
      if (src[i] !== ">") fail("expected '>'");
      i++;
      const open = stack.pop() ?? fail(`closing </${m[0]}> with nothing open`);
      if (open.name !== m[0]) fail(`</${m[0]}> closes <${open.name}>`);
    } else if (src[i] === "<") {
      i++;
      NAME.lastIndex = i;
      const m = NAME.exec(src) ?? fail("bad tag name");
      i += m[0].length;
      const el: El = { name: m[0], attrs: {}, children: [], text: "" };
      for (;;) {
        const ws = /\s*/y;
        ws.lastIndex = i;
        const sp = ws.exec(src)![0].length;
        i += sp;
        if (src.startsWith("/>", i) || src[i] === ">") break;
        if (sp === 0) fail("attributes must be separated by whitespace");
        NAME.lastIndex = i;
        const a = NAME.exec(src) ?? fail("bad attribute name");
        i += a[0].length;
        if (src[i] !== "=") fail(`attribute ${a[0]} has no value`);
        const q = src[i + 1];
        if (q !== '"' && q !== "'") fail(`attribute ${a[0]} is not quoted`);
        const end = src.indexOf(q, i + 2);
        if (end < 0) fail("unterminated attribute");
        const raw = src.slice(i + 2, end);
        if (raw.includes("<")) fail(`'<' in attribute ${a[0]}`);
        if (a[0] in el.attrs) fail(`duplicate attribute ${a[0]}`);
        el.attrs[a[0]] = decode(raw, `attribute ${a[0]}`);
        i = end + 1;
      }
      if (stack.length) stack[stack.length - 1].children.push(el);
      else if (root) fail("more than one root element");
      else root = el;
      if (src.startsWith("/>", i)) i += 2;
      else {
        i++;
        stack.push(el);
      }
    } else {
      const end = src.indexOf("<", i);
      const raw = src.slice(i, end < 0 ? src.length : end);
      if (stack.length === 0) {
        if (raw.trim() !== "") fail("text outside the root element");
      } else stack[stack.length - 1].text += decode(raw, "text");
      i += raw.length;
    }
  }
  if (stack.length) fail(`<${stack[stack.length - 1].name}> is never closed`);
  return root ?? fail("no root element");
}

function all(el: El): El[] {
  return [el, ...el.children.flatMap(all)];
}

function textOf(el: El): string {
  return el.text + el.children.map(textOf).join("");
}

/** Plausible training: loss decays from ~2.3, accuracy rises from ~10 %; held-out a little worse. */
function fakeReports(n: number, every = 1, heldOut = true): Report[] {
  const out: Report[] = [];
  for (let k = 0; k < n; k++) {
    const e = k * every;
    const r: Report = { epoch: e, loss: 0.05 + 2.25 * Math.exp(-e / 60), accuracy: 0.1 + 0.89 * (1 - Math.exp(-e / 50)) };
    if (heldOut) {
      r.test_loss = 0.12 + 2.2 * Math.exp(-e / 60) + 0.0002 * e;
      r.test_accuracy = 0.1 + 0.86 * (1 - Math.exp(-e / 55));
    }
    out.push(r);
  }
  return out;
}

function series(doc: El): El[] {
  return all(doc).filter((e) => e.name === "polyline" && e.attrs.class === "series");
}

function points(el: El): [number, number][] {
  return el.attrs.points.trim().split(/\s+/).map((p) => p.split(",").map(Number) as [number, number]);
}

function viewBox(doc: El): [number, number, number, number] {
  return doc.attrs.viewBox.split(/\s+/).map(Number) as [number, number, number, number];
}

/** Every coordinate attribute and polyline point lies within the viewBox. */
function expectInside(doc: El): void {
  const [vx, vy, vw, vh] = viewBox(doc);
  const inX = (v: number) => expect(v >= vx && v <= vx + vw, `x=${v} outside ${vx}..${vx + vw}`).toBe(true);
  const inY = (v: number) => expect(v >= vy && v <= vy + vh, `y=${v} outside ${vy}..${vy + vh}`).toBe(true);
  let checked = 0;
  for (const el of all(doc)) {
    for (const [k, v] of Object.entries(el.attrs)) {
      if (["x", "x1", "x2", "cx"].includes(k)) { inX(Number(v)); checked++; }
      if (["y", "y1", "y2", "cy"].includes(k)) { inY(Number(v)); checked++; }
    }
    if (el.name === "polyline") for (const [x, y] of points(el)) { inX(x); inY(y); checked++; }
  }
  expect(checked).toBeGreaterThan(20);
}

describe("the test's XML checker", () => {
  it("accepts well-formed XML and rejects the usual mistakes", () => {
    const ok = parseXml(`<?xml version="1.0"?>\n<a x="1" y='&lt;2&gt;'><b/>t &amp; u<!-- c --><c>&#65;&#x42;</c></a>\n`);
    expect(ok.name).toBe("a");
    expect(ok.attrs.y).toBe("<2>");
    expect(textOf(ok)).toBe("t & uAB");
    for (const bad of [
      "<a><b></a>",
      "<a>x & y</a>",
      "<a x=1/>",
      '<a x="1" x="2"/>',
      "<a/><b/>",
      "<a>",
      '<a x="<"/>',
      "<a>&nbsp;</a>",
      "text<a/>",
      '<a x="1"y="2"/>',
    ]) {
      expect(() => parseXml(bad), bad).toThrow(/XML error|entity|bare/);
    }
  });
});

describe("renderCurvesSvg", () => {
  it("is a standalone SVG document with training and held-out loss and accuracy", () => {
    const svg = renderCurvesSvg(fakeReports(1000), { title: "MNIST run" });
    const doc = parseXml(svg);
    expect(doc.name).toBe("svg");
    expect(doc.attrs.xmlns).toBe("http://www.w3.org/2000/svg");
    expect(viewBox(doc)).toEqual([0, 0, 900, 640]);
    expect(doc.attrs.width).toBe("900");
    expect(doc.attrs["font-family"]).toMatch(/system-ui.*sans-serif/);
    expect(all(doc).some((e) => e.name === "title" && e.text === "MNIST run")).toBe(true);

    const lines = series(doc);
    expect(lines.map((l) => l.attrs["data-series"]).sort()).toEqual(
      ["held-out accuracy", "held-out loss", "training accuracy", "training loss"],
    );
    for (const l of lines) expect(points(l)).toHaveLength(1000);
    // colour and dash tell the splits apart; the same split looks the same in both panels
    const style = (name: string) => {
      const l = lines.find((x) => x.attrs["data-series"] === name)!;
      return `${l.attrs.stroke}|${l.attrs["stroke-dasharray"] ?? "solid"}`;
    };
    expect(style("training loss")).toBe(style("training accuracy"));
    expect(style("held-out loss")).toBe(style("held-out accuracy"));
    expect(style("training loss").split("|")[0]).not.toBe(style("held-out loss").split("|")[0]);
    expect(style("training loss").split("|")[1]).not.toBe(style("held-out loss").split("|")[1]);

    const legend = all(doc).filter((e) => e.attrs.class === "legend-item").map((e) => textOf(e).trim());
    expect(legend).toEqual(["training", "held-out"]);
    const text = textOf(doc);
    for (const label of ["epoch", "loss (cross-entropy)", "accuracy (%)"]) expect(text).toContain(label);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    expectInside(doc);
  });

  it("maps the data onto the panels: loss on top, accuracy below, epochs left to right", () => {
    const doc = parseXml(renderCurvesSvg(fakeReports(100, 10)));
    const lines = series(doc);
    const get = (name: string) => points(lines.find((l) => l.attrs["data-series"] === name)!);
    const loss = get("training loss"), acc = get("training accuracy");
    // x increases with the epoch, and both panels share the x positions
    for (let k = 1; k < loss.length; k++) expect(loss[k][0]).toBeGreaterThan(loss[k - 1][0]);
    expect(acc.map((p) => p[0])).toEqual(loss.map((p) => p[0]));
    // decaying loss goes down the screen (y grows), rising accuracy goes up (y shrinks)
    expect(loss[loss.length - 1][1]).toBeGreaterThan(loss[0][1]);
    expect(acc[acc.length - 1][1]).toBeLessThan(acc[0][1]);
    // the loss panel sits entirely above the accuracy panel
    const lossYs = [...loss, ...get("held-out loss")].map((p) => p[1]);
    const accYs = [...acc, ...get("held-out accuracy")].map((p) => p[1]);
    expect(Math.max(...lossYs)).toBeLessThan(Math.min(...accYs));
  });

  it("has nice tick labels: epochs as integers, accuracy in percent within 0..100", () => {
    const doc = parseXml(renderCurvesSvg(fakeReports(1000)));
    const panels = all(doc).filter((e) => e.attrs.class === "panel");
    expect(panels.map((p) => p.attrs["data-panel"])).toEqual(["loss", "accuracy"]);
    const labels = (p: El, anchor: string) =>
      p.children.filter((e) => e.name === "text" && e.attrs["text-anchor"] === anchor).map((e) => e.text);
    expect(labels(panels[1], "middle").filter((t) => /^\d/.test(t))).toEqual(["0", "200", "400", "600", "800", "1000"]);
    const accTicks = labels(panels[1], "end").map(Number);
    expect(accTicks[0]).toBe(0);
    expect(accTicks[accTicks.length - 1]).toBe(100);
    const lossTicks = labels(panels[0], "end");
    expect(lossTicks).toEqual(["0.0", "0.5", "1.0", "1.5", "2.0", "2.5"]);
  });

  it("leaves out the held-out series and legend entry when the reports have no held-out data", () => {
    const svg = renderCurvesSvg(fakeReports(50, 20, false));
    const doc = parseXml(svg);
    expect(series(doc).map((l) => l.attrs["data-series"]).sort()).toEqual(["training accuracy", "training loss"]);
    expect(all(doc).filter((e) => e.attrs.class === "legend-item").map((e) => textOf(e).trim())).toEqual(["training"]);
    expect(svg).not.toContain("held-out");
    expectInside(doc);
  });

  it("handles a single report: a centred epoch with a marker per series", () => {
    const svg = renderCurvesSvg(fakeReports(1));
    const doc = parseXml(svg);
    const lines = series(doc);
    expect(lines).toHaveLength(4);
    const [W] = [viewBox(doc)[2]];
    for (const l of lines) {
      const p = points(l);
      expect(p).toHaveLength(1);
      expect(p[0][0]).toBeGreaterThan(W * 0.3);
      expect(p[0][0]).toBeLessThan(W * 0.7);
    }
    expect(all(doc).filter((e) => e.name === "circle").length).toBeGreaterThanOrEqual(2);
    expect(svg).not.toMatch(/NaN|Infinity/);
    // no negative epoch labels
    expect(all(doc).filter((e) => e.name === "text").map((e) => e.text)).not.toContain("-1");
    expectInside(doc);
  });

  it("handles constant series without dividing by zero", () => {
    const reports: Report[] = [0, 10, 20, 30].map((epoch) => ({ epoch, loss: 0, accuracy: 1, test_loss: 0.5, test_accuracy: 1 }));
    const svg = renderCurvesSvg(reports);
    expect(svg).not.toMatch(/NaN|Infinity/);
    const doc = parseXml(svg);
    expectInside(doc);
    const lines = series(doc);
    const acc = points(lines.find((l) => l.attrs["data-series"] === "training accuracy")!);
    expect(new Set(acc.map((p) => p[1])).size).toBe(1);
    // losses cannot be negative, so the loss axis does not go below zero
    expect(all(doc).filter((e) => e.name === "text").some((e) => e.text.startsWith("-"))).toBe(false);
  });

  it("skips non-finite values instead of writing NaN, and renders an empty list as a labelled frame", () => {
    const reports = fakeReports(10, 10);
    reports[3].loss = NaN;
    reports[4].test_accuracy = Infinity;
    const svg = renderCurvesSvg(reports);
    expect(svg).not.toMatch(/NaN|Infinity/);
    const doc = parseXml(svg);
    const n = (name: string) => points(series(doc).find((l) => l.attrs["data-series"] === name)!).length;
    expect(n("training loss")).toBe(9);
    expect(n("held-out accuracy")).toBe(9);
    expect(n("training accuracy")).toBe(10);

    const empty = renderCurvesSvg([]);
    const e = parseXml(empty);
    expect(series(e)).toHaveLength(0);
    expect(textOf(e)).toContain("no data");
    expect(empty).not.toMatch(/NaN|Infinity/);
  });

  it("escapes the title for XML", () => {
    const title = `a <b> & "c" 'd' \u0001`;
    const doc = parseXml(renderCurvesSvg(fakeReports(3), { title }));
    expect(doc.attrs["aria-label"]).toBe(`a <b> & "c" 'd' `);
    expect(all(doc).find((e) => e.name === "title")!.text).toBe(`a <b> & "c" 'd' `);
    expect(escapeXml(`<&>"'`)).toBe("&lt;&amp;&gt;&quot;&apos;");
  });

  it("honours width and height, keeps everything inside, and rejects unusable sizes", () => {
    const doc = parseXml(renderCurvesSvg(fakeReports(200, 5), { width: 480, height: 360 }));
    expect(viewBox(doc)).toEqual([0, 0, 480, 360]);
    expectInside(doc);
    for (const bad of [0, -5, NaN, Infinity, 100]) {
      expect(() => renderCurvesSvg(fakeReports(2), { width: bad })).toThrow(UsageError);
    }
  });

  it("copes with a very long run without overflowing the stack", () => {
    const svg = renderCurvesSvg(fakeReports(200_000));
    expect(svg.length).toBeGreaterThan(100_000);
    expect(svg.startsWith("<?xml")).toBe(true);
  });
});

describe("niceAxis", () => {
  it("picks 1/2/5 steps that cover the data", () => {
    expect(niceAxis(0, 999, 7, true)).toMatchObject({ lo: 0, hi: 1000, ticks: [0, 200, 400, 600, 800, 1000] });
    const a = niceAxis(0.051, 2.31, 6, false);
    expect(a.lo).toBe(0);
    expect(a.hi).toBeCloseTo(2.5);
    expect(a.decimals).toBe(1);
    expect(niceAxis(9.8, 99.1, 5, false, [0, 100])).toMatchObject({ lo: 0, hi: 100, ticks: [0, 20, 40, 60, 80, 100] });
    // integer axes never step below 1
    expect(niceAxis(0, 3, 10, true).ticks).toEqual([0, 1, 2, 3]);
  });

  it("widens a constant range, within the clamp", () => {
    const a = niceAxis(100, 100, 5, false, [0, 100]);
    expect(a.hi).toBe(100);
    expect(a.lo).toBeLessThan(100);
    const z = niceAxis(0, 0, 5, false, [0, Infinity]);
    expect(z.lo).toBe(0);
    expect(z.hi).toBeGreaterThan(0);
    for (const ax of [a, z]) expect(ax.ticks.every(Number.isFinite)).toBe(true);
  });
});
