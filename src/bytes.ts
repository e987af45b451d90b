// Reads bytes from a path, URL, Response or bytes: the file system in Node, fetch elsewhere. The one place
// that does I/O for data, models and the kernel module.

import { UsageError } from "./errors.js";
import { show } from "./checks.js";

export type ByteSource = string | URL | ArrayBuffer | ArrayBufferView | Response;

export const isNode = typeof process !== "undefined" && !!process.versions?.node;

/**
 * Imports a Node built-in (only ever called in Node) through a specifier bundlers do not follow, so a
 * browser build neither tries to bundle it nor warns that it was "externalized for browser compatibility".
 */
export const nodeBuiltin = <T>(name: string): Promise<T> => import(/* @vite-ignore */ /* webpackIgnore: true */ name);

type Base64Decoders = { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> };
type NodeBuffer = { from(s: string, encoding: "base64"): Uint8Array };

/** Decodes base64 natively where the engine can (Uint8Array.fromBase64, Node's Buffer), else with atob. */
export function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  const U8 = Uint8Array as unknown as Base64Decoders;
  if (U8.fromBase64) return U8.fromBase64(s);
  const buffer = (globalThis as { Buffer?: NodeBuffer }).Buffer;
  // a copy: Node hands out small Buffers from a shared pool
  if (buffer) return new Uint8Array(buffer.from(s, "base64"));
  const bin = atob(s), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Thrown with a message that names the source and what went wrong. */
export type ErrorFactory = (message: string) => Error;

const hasScheme = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** A path or file: URL that Node reads from disk (anything else is fetched, or is bytes already). */
export function isLocalFile(source: ByteSource): source is string | URL {
  if (!isNode) return false;
  if (typeof source === "string") return !hasScheme(source) || source.startsWith("file:");
  return source instanceof URL && source.protocol === "file:";
}

const isResponse = (v: unknown): v is Response => typeof Response !== "undefined" && v instanceof Response;

/** Checks that `source` is one of the kinds readBytes takes; `fn` and `name` say where it was passed. */
export function checkByteSource(fn: string, name: string, source: unknown): asserts source is ByteSource {
  // Response last: in Node, touching that global loads undici (about 30 ms)
  const ok = (typeof source === "string" && source !== "") || source instanceof URL || source instanceof ArrayBuffer ||
    ArrayBuffer.isView(source) || isResponse(source);
  if (!ok) {
    throw new UsageError(`${fn}: ${name} must be a path or URL (string or URL), a Response, an ArrayBuffer or bytes, got ${show(source)}`);
  }
}

/** A name for messages: the path, the URL, or "(bytes)". */
export function sourceName(source: ByteSource): string {
  if (source instanceof URL) return source.protocol === "file:" ? decodeURIComponent(source.pathname) : source.href;
  if (typeof source === "string") return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return "(bytes)";
  return source.url || "(response)";
}

/**
 * `maxBytes` refuses anything larger: a regular file or a response with a Content-Length by its size, before
 * reading; anything else (a device such as /dev/zero, a pipe, a body without a length) while reading, stopping
 * as soon as the limit is passed. The message names the source and the limit.
 */
export async function readBytes(source: ByteSource, fail: ErrorFactory, maxBytes = Infinity, what = "data files"): Promise<Uint8Array<ArrayBuffer>> {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength);
  if (isLocalFile(source)) return readFile(source, fail, maxBytes, what);
  if (typeof source !== "string" && !(source instanceof URL)) return readResponse(source, sourceName(source), fail, maxBytes, what);
  const url = source instanceof URL ? source : new URL(source, typeof location !== "undefined" ? location.href : undefined);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw fail(`${url.href}: cannot fetch (${(e as Error).message})`);
  }
  return readResponse(res, url.href, fail, maxBytes, what);
}

const MiB = 2 ** 20;
const tooLarge = (name: string, size: number, maxBytes: number, what: string) =>
  `${name}: ${(size / MiB).toFixed(1)} MiB is larger than the ${maxBytes / MiB} MiB limit for ${what}`;
const overLimit = (name: string, maxBytes: number, what: string) =>
  `${name}: more than the ${maxBytes / MiB} MiB limit for ${what} (reading stopped at the limit)`;

type FileHandle = import("node:fs/promises").FileHandle;

async function readFile(source: string | URL, fail: ErrorFactory, maxBytes: number, what: string): Promise<Uint8Array<ArrayBuffer>> {
  const { open } = await nodeBuiltin<typeof import("node:fs/promises")>("node:fs/promises");
  const path = typeof source === "string" && !source.startsWith("file:") ? source : new URL(source);
  const name = typeof path === "string" ? path : decodeURIComponent(path.pathname);
  let fh: FileHandle | undefined;
  try {
    // a pipe's open waits for a writer, as `cat` does
    fh = await open(path, "r");
    const st = await fh.stat();
    if (st.isDirectory()) throw fail(`${name}: is a directory, not a file`);
    if (st.isFile() && st.size > maxBytes) throw fail(tooLarge(name, st.size, maxBytes, what));
    const bytes = await readUpTo(fh, st.isFile() ? st.size : 0, maxBytes);
    if (!bytes) throw fail(overLimit(name, maxBytes, what));
    return bytes;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw fail(`${name}: no such file`);
    if (code === "EACCES") throw fail(`${name}: permission denied`);
    if (code === "EISDIR") throw fail(`${name}: is a directory, not a file`);
    if (code) throw fail(`${name}: cannot read (${code})`);
    throw e;
  } finally {
    await fh?.close().catch(() => {});
  }
}

const CHUNK = MiB;

/**
 * Reads to the end of the file, or returns undefined as soon as more than `maxBytes` came. `size` (a regular
 * file's) is read into one buffer of that size, returned as it is when the file did not grow meanwhile.
 */
async function readUpTo(fh: FileHandle, size: number, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0, used = 0, buf = new Uint8Array(Math.min(size || CHUNK, maxBytes + 1));
  for (;;) {
    if (used === buf.length) {
      chunks.push(buf);
      // after a regular file's last byte, one more is asked for: normally none comes, and no copy is needed
      buf = new Uint8Array(Math.min(total === size ? 1 : CHUNK, maxBytes + 1 - total));
      used = 0;
    }
    const { bytesRead } = await fh.read(buf, used, buf.length - used, null);
    if (bytesRead === 0) break;
    used += bytesRead;
    total += bytesRead;
    if (total > maxBytes) return undefined;
  }
  chunks.push(buf.subarray(0, used));
  return concat(chunks, total);
}

/** One array of the chunks' bytes: the only non-empty chunk itself when it fills its buffer, else a copy. */
function concat(chunks: Uint8Array<ArrayBuffer>[], total: number): Uint8Array<ArrayBuffer> {
  const full = chunks.filter((c) => c.byteLength > 0);
  if (full.length === 1 && full[0].byteOffset === 0 && full[0].byteLength === full[0].buffer.byteLength) return full[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of full) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** A response's body, checked against `maxBytes` by its Content-Length when it has one and while it is read. */
async function readResponse(res: Response, name: string, fail: ErrorFactory, maxBytes: number, what: string): Promise<Uint8Array<ArrayBuffer>> {
  if (!res.ok) throw fail(`${name}: HTTP ${res.status}`);
  const length = Number(res.headers.get("content-length") ?? 0);
  if (length > maxBytes) throw fail(tooLarge(name, length, maxBytes, what));
  if (res.bodyUsed) throw fail(`${name}: the response body has already been read`);
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader(), chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw fail(overLimit(name, maxBytes, what));
      }
      chunks.push(value as Uint8Array<ArrayBuffer>);
    }
  } catch (e) {
    if (total > maxBytes) throw e;
    throw fail(`${name}: cannot read the response (${(e as Error).message})`);
  }
  return concat(chunks, total);
}

/** Whether a Uint32Array reads bytes b0..b3 as b0 + 2^8 b1 + 2^16 b2 + 2^24 b3 (every platform that matters). */
export const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
