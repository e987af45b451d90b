// Canvases drawn at the screen's resolution: the backing store follows the CSS size times devicePixelRatio.

/**
 * Resizes the canvas's backing store to its CSS box, sets a transform so drawing is in CSS pixels, and
 * returns the context and the CSS size; undefined while the canvas is not laid out.
 */
export function fitCanvas(c: HTMLCanvasElement): { g: CanvasRenderingContext2D; w: number; h: number } | undefined {
  const dpr = window.devicePixelRatio || 1;
  const w = c.clientWidth, h = c.clientHeight;
  if (w === 0 || h === 0) return undefined;
  if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
  }
  const g = c.getContext("2d")!;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { g, w, h };
}
