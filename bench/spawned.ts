// The whole-run comparisons (--vs-numpy, --vs-torch, --busy) run programs and read their JSON: our CLI's
// --json summary, the rival scripts' last line.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A path from the built bench (dist/bench/), e.g. "../src/cli/train.js" or "../../bench/numpy/big.py". */
export const fromBench = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));

/** Our train CLI, built (dist/src/cli/train.js). */
export const TRAIN = fromBench("../src/cli/train.js");

/** The last line of a process's output as JSON, or an error naming the command. */
export function lastJson(what: string, r: ReturnType<typeof spawnSync>): Record<string, unknown> {
  const out = String(r.stdout ?? "").trim(), err = String(r.stderr ?? "").trim();
  if (r.status !== 0) throw new Error(`${what} failed (${r.error?.message ?? `exit ${r.status}`}): ${err.split("\n").slice(-2).join(" | ")}`);
  return JSON.parse(out.split("\n").pop() ?? "") as Record<string, unknown>;
}
