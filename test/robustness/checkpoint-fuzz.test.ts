// 10,000 mutations of real checkpoints (full-batch sgd; mini-batch adam with patience and held-out rows; a
// momentum run with its command line): flipped bits and bytes, truncations, insertions, length fields that
// lie, and JSON fields given other values, with or without a fixed-up checksum. Each must end in a
// ModelFileError or read back as a checkpoint whose parts agree with its settings; no other exception. Sizes
// are checked against the file before anything is made from them (decodeCheckpoint), so none can ask for more.

import { beforeAll, describe, expect, it } from "vitest";
import { loadDigits, MLP, type FitOptions } from "../../src/index.js";
import { decodeCheckpoint } from "../../src/model/checkpoint.js";
import { byteMutations, fixCrc, fuzz, type Mutation } from "./fuzz.js";
import { OPTIMIZER_TABLE } from "../../src/engine/optimizers.js";
import { mulberry32 } from "../reference/random.js";

const rand = mulberry32(20261203);
const int = (n: number) => Math.floor(rand() * n);
const SEEDS: Uint8Array[] = [];

beforeAll(async () => {
  const d = await loadDigits(), F = 64, n = 300;
  const X = d.X.subarray(0, n * F), y = d.y.subarray(0, n), val = { X: d.X.subarray(n * F, 400 * F), y: d.y.subarray(n, 400) };
  const runs: FitOptions[] = [
    { epochs: 3 },
    { optimizer: "adam", batch: 64, epochs: 4, patience: 2, validation: val, lr: 0.01 },
    { optimizer: "momentum", batch: 100, epochs: 3, lrSchedule: "cosine" },
  ];
  for (const [i, opts] of runs.entries()) {
    const m = await MLP.create({ layers: i === 1 ? [64, 9, 7, 10] : [64, 6, 10], threads: 1, seed: 5 + i });
    m.fit(X, y, { ...opts, checkpoint: { write: (b) => void (SEEDS[i] = b), flags: i === 2 ? ["--epochs", "3", "--batch", "100"] : undefined } });
    m.dispose();
  }
});

/** The file with its JSON block replaced (lengths and checksum made to agree). */
function withJson(b: Uint8Array, edit: (v: Record<string, unknown>) => void): Uint8Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength), J = dv.getUint32(8, true);
  const v = JSON.parse(new TextDecoder().decode(b.subarray(12, 12 + J)));
  edit(v);
  const json = new TextEncoder().encode(JSON.stringify(v));
  const out = new Uint8Array(b.length - J + json.length);
  out.set(b.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(b.subarray(12 + J), 12 + json.length);
  return fixCrc(out);
}

const ODD = [0, 1, -1, 2, 7, 0.5, 2 ** 31, 2 ** 53, null, "x", true, [], {}, Infinity];
const pick = <T>(a: readonly T[]) => a[int(a.length)];
const FIELDS = ["epoch", "epochs", "steps", "data", "kernels", "history", "cli", "rng", "best", "settings"];
const SETTINGS = ["optimizer", "lr", "momentum", "beta1", "beta2", "eps", "weightDecay", "batch", "dropout", "lrSchedule", "patience", "train", "eval"];

const MUTATIONS: Record<string, Mutation> = {
  ...byteMutations(int),
  "a length that lies, checksum fixed": (b) => {
    const c = b.slice(), dv = new DataView(c.buffer), J = dv.getUint32(8, true);
    const lie = pick([0, 1, 3, 2 ** 20, 2 ** 31, 2 ** 32 - 1]);
    if (int(2) === 0) dv.setUint32(8, lie, true);
    else dv.setUint32(12 + J, lie, true); // the model's length
    return fixCrc(c);
  },
  "a JSON field given another value": (b) => withJson(b, (v) => { v[pick(FIELDS)] = pick(ODD); }),
  "a setting given another value": (b) => withJson(b, (v) => {
    const s = v.settings as Record<string, unknown>, k = pick(SETTINGS);
    s[k] = int(3) === 0 ? pick(ODD) : typeof s[k] === "number" ? (s[k] as number) + pick([1, -1, 64, 1000]) : pick(["sgd", "adam", "momentum", "step", "cosine"]);
  }),
  "rng or best changed": (b) => withJson(b, (v) => {
    if (int(2) === 0) v.rng = { index: pick([0, 623, 624, 625, -1, 1.5]), gauss: pick([0, 1.5, null]), hasGauss: pick([true, false, 0]) };
    else v.best = { loss: pick([null, 0.5, -1, "x"]), epoch: pick([0, 3, -2]), since: pick([0, 1, 2 ** 40]) };
  }),
};

describe("checkpoints, fuzzed", () => {
  it("10,000 mutations each end in a ModelFileError or a checkpoint whose parts agree with its settings", () => {
    const outcomes = fuzz(10_000, SEEDS, MUTATIONS, int, "fuzz.ckpt", (bytes) => {
      const c = decodeCheckpoint(bytes, "fuzz.ckpt");
      const L = c.model.params.layers, s = c.settings;
      c.state.forEach((st, l) => {
        expect(st.length).toBe(OPTIMIZER_TABLE[s.optimizer].state);
        for (const t of st) expect(t.length).toBe((L[l] + 1) * L[l + 1]);
      });
      if (s.batch < s.train) expect(c.order!.length).toBe(s.train);
      else expect(c.order).toBeUndefined();
      expect(c.best !== undefined).toBe(s.patience !== null);
    });
    // the checksum-fixed JSON edits reached the checks behind the checksum, and were refused there
    expect(outcomes["a setting given another value: ModelFileError"]).toBeGreaterThan(0);
    process.stdout.write(`checkpoint-fuzz outcomes: ${JSON.stringify(outcomes)}\n`);
  }, 120_000);
});
