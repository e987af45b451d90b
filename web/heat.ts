// Small heat maps of numbers: an 8×8 grid of pixels or a strip of units, each cell shaded by its value
// and (optionally) labelled with it. Sequential (0..max, white to black) for pixels; diverging
// (negative red, positive blue) for standardised values, pre-activations and gradients.

export interface HeatOptions {
  /** Columns of the grid (the strip is one row). */
  cols: number;
  /** Sequential scale from 0 to max, or diverging from -max to max. */
  kind: "sequential" | "diverging";
  max: number;
  /** Decimals of the printed value; undefined prints none. */
  digits?: number;
  /** Accessible description of the whole map. */
  label: string;
  /** Print each cell's index above its value (the class of a 10-wide strip). */
  indexed?: boolean;
}

/** Black or white, whichever contrasts more with the background (never below 4.58:1). */
export function textOn(r: number, g: number, b: number): string {
  const lin = (c: number) => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const L = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  return (1.05 / (L + 0.05)) >= ((L + 0.05) / 0.05) ? "#fff" : "#000";
}

function shade(v: number, o: HeatOptions): { bg: string; fg: string } {
  const t = Math.max(-1, Math.min(1, o.max > 0 ? v / o.max : 0));
  let rgb: [number, number, number];
  if (o.kind === "sequential") {
    const l = Math.round(255 * (1 - Math.max(0, t)));
    rgb = [l, l, l];
  } else {
    const a = Math.abs(t);
    const mix = (c: number) => Math.round(255 + (c - 255) * a);
    rgb = t >= 0 ? [mix(29), mix(78), mix(216)] : [mix(185), mix(28), mix(28)];
  }
  return { bg: `rgb(${rgb.join(", ")})`, fg: textOn(...rgb) };
}

export function renderHeat(el: HTMLElement, values: ArrayLike<number>, o: HeatOptions): void {
  el.classList.add("heat");
  el.classList.toggle("indexed", o.indexed === true);
  el.style.setProperty("--cols", String(o.cols));
  el.setAttribute("role", "img");
  el.setAttribute("aria-label", o.label);
  const cells: HTMLElement[] = [];
  for (let i = 0; i < values.length; i++) {
    const cell = document.createElement("span");
    const v = values[i], { bg, fg } = shade(v, o);
    cell.style.background = bg;
    cell.style.color = fg;
    const text = o.digits === undefined ? "" : fmt(v, o.digits);
    if (o.indexed) {
      const k = document.createElement("b");
      k.textContent = String(i);
      cell.append(k, text);
    } else cell.textContent = text;
    cell.title = o.indexed ? `${i}: ${fmt(v, 4)}` : fmt(v, 4);
    cells.push(cell);
  }
  el.replaceChildren(...cells);
}

/** A number with a real minus sign and no "-0". */
export function fmt(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s.replace("-", "−");
}
