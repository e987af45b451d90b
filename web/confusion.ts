// The confusion matrix as a real <table>: rows are true digits (or classes), columns predicted ones, each
// cell shaded by its share of its row; the diagonal (right answers) in blue, mistakes in red.

import { textOn } from "./heat.ts";

/**
 * `names` label the classes (the digits 0..9 by default); `what` is what a class is called in the
 * screen-reader description of the axes.
 */
export function renderConfusion(table: HTMLTableElement, confusion: number[][], caption: string, names?: readonly string[], what = "digit"): void {
  const C = confusion.length;
  const name = (i: number) => names?.[i] ?? String(i);
  table.replaceChildren();
  table.createCaption().textContent = caption;
  const head = table.createTHead().insertRow();
  const corner = document.createElement("th");
  corner.scope = "col";
  const axes = document.createElement("span");
  axes.className = "sr-only";
  axes.textContent = `true ${what}, by row; predicted ${what}, by column`;
  corner.append(axes);
  head.append(corner);
  for (let j = 0; j < C; j++) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = name(j);
    head.append(th);
  }
  const body = table.createTBody();
  for (let i = 0; i < C; i++) {
    const row = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = name(i);
    row.append(th);
    const total = confusion[i].reduce((a, b) => a + b, 0) || 1;
    for (let j = 0; j < C; j++) {
      const n = confusion[i][j], share = n / total;
      const td = row.insertCell();
      td.textContent = String(n);
      if (n === 0) {
        td.className = "zero";
        continue;
      }
      const strength = i === j ? 0.15 + 0.85 * share : Math.min(1, 0.25 + 3 * share);
      const mix = (c: number) => Math.round(255 + (c - 255) * strength);
      const rgb: [number, number, number] = i === j ? [mix(29), mix(78), mix(216)] : [mix(185), mix(28), mix(28)];
      td.style.background = `rgb(${rgb.join(", ")})`;
      td.style.color = textOn(...rgb);
      if (i !== j) td.title = `${n} × true ${name(i)} predicted as ${name(j)}`;
    }
  }
}

/** The most frequent mistakes, e.g. "8 read as 1: 9 times", most frequent first. */
export function topMistakes(confusion: number[][], k: number): { truth: number; predicted: number; count: number }[] {
  const all: { truth: number; predicted: number; count: number }[] = [];
  confusion.forEach((row, i) => row.forEach((count, j) => { if (i !== j && count > 0) all.push({ truth: i, predicted: j, count }); }));
  return all.sort((a, b) => b.count - a.count || a.truth - b.truth).slice(0, k);
}
