// Shared helpers for the robustness suite: build once (serialised across test files), spawn the CLIs as a
// user would, assert the "one clear line" contract for user errors, and snapshot files and directories so
// a test can prove nothing that was fine before was touched.

import { expect } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mulberry32 as rng } from "../reference/random.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const TRAIN = join(ROOT, "dist/src/cli/train.js");
export const PREDICT = join(ROOT, "dist/src/cli/predict.js");
export const DIGITS = join(ROOT, "data/digits.csv.gz");

/**
 * Runs `scripts/build.mjs --if-stale` once per process, holding a lock directory so that test files running
 * in parallel never build at the same time (tsc rewriting dist/ under a running CLI would be a flaky test).
 */
let built: Promise<void> | undefined;
export function ensureBuilt(): Promise<void> {
  built ??= (async () => {
    const lock = join(tmpdir(), "wasm-mlp-robustness-build.lock");
    const t0 = Date.now();
    for (;;) {
      try {
        mkdirSync(lock);
        break;
      } catch {
        // a lock older than three minutes belongs to a run that died
        try {
          if (Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
        } catch {
          /* gone already */
        }
        if (Date.now() - t0 > 240_000) throw new Error("timed out waiting for the build lock");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    try {
      const r = spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale"], { cwd: ROOT, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
    if (!existsSync(TRAIN) || !existsSync(PREDICT)) throw new Error("the CLIs were not built");
  })();
  return built;
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** True when the run was killed for taking longer than `timeoutMs`. */
  timedOut: boolean;
}

export interface RunOptions {
  cwd?: string;
  /** Kill (SIGKILL) after this many milliseconds; `timedOut` tells. */
  timeoutMs?: number;
  /** Extra node flags before the script (e.g. --import a preload). */
  nodeArgs?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Called with each chunk of stdout as it arrives, and the child (to kill it at a chosen moment). */
  onStdout?: (chunk: string, child: ChildProcess) => void;
}

export function runNode(script: string, args: string[], opts: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), script, ...args], {
      cwd: opts.cwd ?? ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "", ...opts.env },
    });
    let stdout = "", stderr = "", timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill("SIGKILL");
        }, opts.timeoutMs)
      : undefined;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      opts.onStdout?.(d, child);
    });
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, timedOut });
    });
  });
}

export const train = (args: string[], opts?: RunOptions) => runNode(TRAIN, args, opts);
export const predict = (args: string[], opts?: RunOptions) => runNode(PREDICT, args, opts);

export const lines = (s: string) => s.split("\n").filter((l) => l.trim() !== "");

export interface UserErrorExpectation {
  /** Exact exit code (2 for usage errors); any non-zero code when absent. */
  code?: number;
  /** The tool prefix the line starts with ("train" or "predict"/"evaluate"). */
  tool?: string;
  /** Every pattern must match the one stderr line (strings are matched literally). */
  mentions?: (string | RegExp)[];
  /** True when the error must come before any training output (nothing at all on stdout). */
  stdoutEmpty?: boolean;
}

/**
 * The contract for every wrong input: a non-zero exit (2 for usage), exactly one line on stderr that names
 * the problem, no stack trace or internal error class, and no success summary on stdout.
 */
export function expectUserError(r: Run, e: UserErrorExpectation = {}): string {
  const ctx = `exit ${r.code}${r.signal ? ` (${r.signal})` : ""}${r.timedOut ? " (timed out)" : ""}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout.slice(0, 2000)}`;
  expect(r.timedOut, `the process had to be killed\n${ctx}`).toBe(false);
  expect(r.signal, ctx).toBeNull();
  if (e.code !== undefined) expect(r.code, ctx).toBe(e.code);
  else expect(r.code, ctx).not.toBe(0);
  expect(r.code, ctx).not.toBeNull();
  const errLines = lines(r.stderr);
  expect(errLines.length, `exactly one line on stderr\n${ctx}`).toBe(1);
  expect(r.stderr.endsWith("\n"), ctx).toBe(true);
  expect(r.stderr, `no stack trace\n${ctx}`).not.toMatch(/^\s+at /m);
  expect(r.stderr, `no internal paths\n${ctx}`).not.toMatch(/node:internal|file:\/\//);
  const line = errLines[0] ?? "";
  // a JS error class at the start (RangeError: ..., TypeError: ...) means it escaped as a crash
  expect(line, ctx).not.toMatch(/^(\w+: )?(Range|Type|Reference|Syntax|Runtime|Compile|Link)?Error\b/);
  if (e.tool) expect(line.startsWith(`${e.tool}: `), ctx).toBe(true);
  for (const m of e.mentions ?? []) {
    if (typeof m === "string") expect(line, ctx).toContain(m);
    else expect(line, ctx).toMatch(m);
  }
  expect(r.stdout, `no success summary\n${ctx}`).not.toMatch(/^Final |^Saved the model|"train_ms"/m);
  if (e.stdoutEmpty) expect(r.stdout, `nothing on stdout\n${ctx}`).toBe("");
  return line;
}

const made: string[] = [];

/** A fresh directory under the OS temp dir; removeTempDirs() (in afterAll) deletes every one made. */
export async function tempDir(prefix = "wmlp-robust-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A file's bytes and modification time, to prove later that it was not touched. */
export interface FileSnapshot {
  path: string;
  bytes: Buffer;
  mtimeMs: number;
}

const OLD_TIME = new Date("2001-02-03T04:05:06Z");

/** Writes `bytes` to `path` with an mtime far in the past (so any rewrite shows), and snapshots it. */
export async function plantFile(path: string, bytes: Uint8Array | string): Promise<FileSnapshot> {
  await writeFile(path, bytes);
  await utimes(path, OLD_TIME, OLD_TIME);
  return snapshot(path);
}

export async function snapshot(path: string): Promise<FileSnapshot> {
  return { path, bytes: await readFile(path), mtimeMs: (await stat(path)).mtimeMs };
}

export async function expectUntouched(s: FileSnapshot): Promise<void> {
  const now = await snapshot(s.path);
  expect(now.mtimeMs, `${s.path} was modified`).toBe(s.mtimeMs);
  expect(Buffer.compare(now.bytes, s.bytes), `${s.path} changed`).toBe(0);
}

export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

export const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

/** Small deterministic PRNG (mulberry32) for test data. */
/** Asserts that fn throws an error of class E, on one line, whose message matches every pattern. */
export function expectTypedError(E: new (...args: never[]) => Error, fn: () => unknown, ...patterns: (string | RegExp)[]): string {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ${E.name}`).toBeInstanceOf(E);
  const msg = (err as Error).message;
  expect(msg).not.toContain("\n");
  for (const p of patterns) typeof p === "string" ? expect(msg).toContain(p) : expect(msg).toMatch(p);
  return msg;
}

export { rng };

/** A small valid CSV: `rows` rows of `features` integer pixels in 0..16 and labels cycling through `classes`. */
export function smallCsv(rows = 40, features = 8, classes = 3, seed = 1): string {
  const r = rng(seed);
  let s = "";
  for (let i = 0; i < rows; i++) {
    const cells = Array.from({ length: features }, () => String(Math.floor(r() * 17)));
    s += cells.join(",") + "," + (i % classes) + "\n";
  }
  return s;
}

/** An IDX file (MNIST's format): two zero bytes, type 0x08 (unsigned bytes), the dimensions (big-endian u32), the data. */
export function idxFile(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = 0x08;
  out[3] = dims.length;
  const dv = new DataView(out.buffer);
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
