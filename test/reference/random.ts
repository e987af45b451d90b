// Deterministic data for the kernel tests and the bench, independent of the code under test: one generator
// and one way of deriving a seed from a case's name, so a test case and a bench case with the same name and
// numbers see the same data.

/** mulberry32: uniform numbers in [0, 1) from a 32-bit seed (small, fast, and good enough for test data). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed (FNV-1a) of a label and its parts, joined as "label:part,part,...". */
export function seedOf(label: string, ...parts: (string | number)[]): number {
  let h = 2166136261;
  const s = `${label}:${parts.join(",")}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
