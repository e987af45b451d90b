// Classification metrics from a confusion matrix (rows: true class, columns: predicted class).

export interface ClassMetrics {
  /** Of the rows predicted as this class, the fraction that are (NaN when none were predicted). */
  precision: number;
  /** Of the rows of this class, the fraction predicted as it (NaN when the class has no rows). */
  recall: number;
  support: number;
}

export function perClass(confusion: number[][]): ClassMetrics[] {
  const C = confusion.length;
  return confusion.map((row, c) => {
    const tp = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let r = 0; r < C; r++) predicted += confusion[r][c];
    return { precision: predicted ? tp / predicted : NaN, recall: support ? tp / support : NaN, support };
  });
}

/** A confusion matrix and per-class precision and recall as aligned text lines. */
export function formatConfusion(confusion: number[][]): string[] {
  const C = confusion.length;
  const width = Math.max(4, ...confusion.flat().map((v) => String(v).length + 1));
  const cell = (s: string | number) => String(s).padStart(width);
  const metrics = perClass(confusion);
  const pct = (x: number) => (Number.isNaN(x) ? "-" : `${(x * 100).toFixed(1)}%`).padStart(8);
  const lines = [`${"true\\pred".padEnd(9)}${Array.from({ length: C }, (_, c) => cell(c)).join("")}  ${"precision".padStart(9)} ${"recall".padStart(8)}`];
  confusion.forEach((row, r) => {
    lines.push(`${String(r).padEnd(9)}${row.map(cell).join("")}  ${pct(metrics[r].precision).padStart(9)} ${pct(metrics[r].recall)}`);
  });
  return lines;
}

/** The index of row r's largest value among C (the first of equal maxima, as NumPy's argmax). */
export function argmax(P: ArrayLike<number>, r: number, C: number): number {
  let best = 0;
  for (let j = 1; j < C; j++) if (P[r * C + j] > P[r * C + best]) best = j;
  return best;
}

/** confusion[true][predicted] from class probabilities P (rows × C) and true labels y. */
export function confusionMatrix(P: ArrayLike<number>, y: ArrayLike<number>, C: number): number[][] {
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  for (let i = 0; i < y.length; i++) confusion[y[i]][argmax(P, i, C)]++;
  return confusion;
}

/** Per-class precision and recall for JSON output: six decimals, null where undefined. */
export function metricsJson(confusion: number[][]): { precision: (number | null)[]; recall: (number | null)[] } {
  const m = perClass(confusion);
  const round = (x: number) => (Number.isNaN(x) ? null : Number(x.toFixed(6)));
  return { precision: m.map((c) => round(c.precision)), recall: m.map((c) => round(c.recall)) };
}
