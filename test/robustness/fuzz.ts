// What the file-format fuzz tests (model-fuzz, checkpoint-fuzz) share: the checksum fixed after a mutation,
// the mutations every format meets, and the loop that applies them and counts what each ended in.

import { expect } from "vitest";
import { ModelFileError } from "../../src/errors.js";
import { crc32 } from "../../src/model/modelfile.js";

export type Mutation = (b: Uint8Array) => Uint8Array;

/** The checksum (the last 4 bytes, CRC-32 of the rest) recomputed, so a mutation reaches the checks behind it. */
export function fixCrc(b: Uint8Array): Uint8Array {
  if (b.length >= 4) new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
  return b;
}

/** Flipped bits and bytes, truncations and an inserted byte, with or without the checksum fixed; `int(n)` draws from the test's seeded generator. */
export function byteMutations(int: (n: number) => number): Record<string, Mutation> {
  return {
    "flip a bit": (b) => { const c = b.slice(); c[int(c.length)] ^= 1 << int(8); return c; },
    "flip a bit, checksum fixed": (b) => { const c = b.slice(); c[int(c.length - 4)] ^= 1 << int(8); return fixCrc(c); },
    "random byte, checksum fixed": (b) => { const c = b.slice(); c[int(c.length - 4)] = int(256); return fixCrc(c); },
    "truncate": (b) => b.slice(0, int(b.length)),
    "truncate, checksum fixed": (b) => fixCrc(b.slice(0, 4 + int(b.length - 4))),
    "insert a byte, checksum fixed": (b) => { const at = int(b.length - 4); return fixCrc(new Uint8Array([...b.subarray(0, at), int(256), ...b.subarray(at)])); },
  };
}

/**
 * `count` mutations, the kinds in turn, each of a seed file drawn with `int`: `read` either returns (the file
 * read back; it checks what it read) or throws a ModelFileError of one line starting with `prefix`, and
 * nothing else. Returns the outcomes, "kind: read back" or "kind: ModelFileError", counted; every kind was tried.
 */
export function fuzz(count: number, seeds: readonly Uint8Array[], mutations: Record<string, Mutation>, int: (n: number) => number, prefix: string, read: (bytes: Uint8Array) => void): Record<string, number> {
  const outcomes: Record<string, number> = {};
  const kinds = Object.keys(mutations);
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length];
    const bytes = mutations[kind](seeds[int(seeds.length)]);
    let outcome: string;
    try {
      read(bytes);
      outcome = "read back";
    } catch (e) {
      if (!(e instanceof ModelFileError)) throw new Error(`${kind}: ${String(e)} (not a ModelFileError)`);
      expect(e.message.startsWith(prefix), e.message).toBe(true);
      expect(e.message).not.toContain("\n");
      outcome = "ModelFileError";
    }
    outcomes[`${kind}: ${outcome}`] = (outcomes[`${kind}: ${outcome}`] ?? 0) + 1;
  }
  expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(count);
  for (const kind of kinds) expect(Object.keys(outcomes).some((k) => k.startsWith(kind))).toBe(true);
  return outcomes;
}
