// A small aligned-text table: columns in optional spanning groups, right-aligned numbers, left-aligned text.

export interface Column {
  header: string;
  /** Spanning header above a run of adjacent columns with the same group. */
  group?: string;
  align?: "left" | "right";
}

const width = (s: string) => [...s].length;
const pad = (s: string, w: number, align: "left" | "right") => (align === "left" ? s + " ".repeat(w - width(s)) : " ".repeat(w - width(s)) + s);

export function renderTable(columns: Column[], rows: (string | null)[][], indent = "  "): string {
  const GAP = "  ";
  const w = columns.map((c, i) => Math.max(width(c.header), ...rows.filter((r) => r.length > 1).map((r) => width(r[i] ?? ""))));
  // widen the last column of a group whose title is wider than its columns
  for (let i = 0; i < columns.length; ) {
    let j = i;
    while (j + 1 < columns.length && columns[j + 1].group === columns[i].group) j++;
    const g = columns[i].group;
    if (g) {
      const span = w.slice(i, j + 1).reduce((a, b) => a + b, 0) + GAP.length * (j - i);
      if (width(g) > span) w[j] += width(g) - span;
    }
    i = j + 1;
  }
  const lines: string[] = [];
  if (columns.some((c) => c.group)) {
    let line = "";
    for (let i = 0; i < columns.length; ) {
      let j = i;
      while (j + 1 < columns.length && columns[j + 1].group === columns[i].group) j++;
      const span = w.slice(i, j + 1).reduce((a, b) => a + b, 0) + GAP.length * (j - i);
      const g = columns[i].group ?? "";
      const left = Math.floor((span - width(g)) / 2);
      line += (i ? GAP : "") + (g ? pad(" ".repeat(left) + g, span, "left") : " ".repeat(span));
      i = j + 1;
    }
    lines.push(line.trimEnd());
  }
  lines.push(columns.map((c, i) => pad(c.header, w[i], c.align ?? "right")).join(GAP).trimEnd());
  lines.push(w.map((n) => "-".repeat(n)).join(GAP));
  for (const r of rows) {
    // a one-cell row is a sub-heading across the table
    if (r.length === 1) lines.push(r[0] ?? "");
    else lines.push(columns.map((c, i) => pad(r[i] ?? "", w[i], c.align ?? "right")).join(GAP).trimEnd());
  }
  return lines.map((l) => (indent + l).trimEnd()).join("\n");
}

/** A number with `digits` significant figures at most, never in exponent form; "—" for missing. */
export function num(x: number | undefined, decimals: number): string {
  if (x === undefined || !Number.isFinite(x)) return "—";
  return x.toFixed(decimals);
}

/** Time in µs with 3 significant figures or so. */
export function us(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "—";
  const u = ms * 1000;
  return u >= 1000 ? u.toFixed(0) : u >= 100 ? u.toFixed(1) : u >= 10 ? u.toFixed(2) : u.toFixed(3);
}

/** A rate with 3 significant figures. */
export function rate(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "—";
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
}
