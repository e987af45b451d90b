// The model's class probabilities as ten labelled bars; the most probable class is highlighted.

import { argmax } from "./forward.ts";

export function renderProbs(list: HTMLElement, p: ArrayLike<number> | undefined): void {
  list.replaceChildren();
  if (!p) return;
  const best = argmax(p);
  for (let k = 0; k < p.length; k++) {
    const li = document.createElement("li");
    li.className = k === best ? "prob best" : "prob";
    li.dataset.digit = String(k);
    li.dataset.p = String(p[k]);
    const pct = (p[k] * 100).toFixed(1);
    li.innerHTML =
      `<span class="digit">${k}</span>` +
      `<span class="track" aria-hidden="true"><span class="bar" style="width:${Math.max(0, Math.min(100, p[k] * 100))}%"></span></span>` +
      `<span class="value">${pct}%</span>`;
    li.setAttribute("aria-label", `${k}: ${pct}%`);
    list.append(li);
  }
}
