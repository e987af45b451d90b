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

/** `maxBytes` refuses larger files (by their size on disk, before reading) with a message naming the size. */
export async function readBytes(source: ByteSource, fail: ErrorFactory, maxBytes = Infinity): Promise<Uint8Array<ArrayBuffer>> {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength);
  if (isLocalFile(source)) return readFile(source, fail, maxBytes);
  if (typeof source !== "string" && !(source instanceof URL)) return readResponse(source, sourceName(source), fail, maxBytes);
  const url = source instanceof URL ? source : new URL(source, typeof location !== "undefined" ? location.href : undefined);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw fail(`${url.href}: cannot fetch (${(e as Error).message})`);
  }
  return readResponse(res, url.href, fail, maxBytes);
}

async function readFile(source: string | URL, fail: ErrorFactory, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const { readFile, stat } = await nodeBuiltin<typeof import("node:fs/promises")>("node:fs/promises");
  const path = typeof source === "string" && !source.startsWith("file:") ? source : new URL(source);
  const name = typeof path === "string" ? path : decodeURIComponent(path.pathname);
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw fail(`${name}: is a directory, not a file`);
    if (st.size > maxBytes) {
      throw fail(`${name}: ${(st.size / 2 ** 20).toFixed(1)} MiB is larger than the ${maxBytes / 2 ** 20} MiB limit for data files`);
    }
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw fail(`${name}: no such file`);
    if (code === "EACCES") throw fail(`${name}: permission denied`);
    if (code) throw fail(`${name}: cannot read (${code})`);
    throw e;
  }
}

async function readResponse(res: Response, name: string, fail: ErrorFactory, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!res.ok) throw fail(`${name}: HTTP ${res.status}`);
  const length = Number(res.headers.get("content-length") ?? 0);
  if (length > maxBytes) throw fail(`${name}: ${(length / 2 ** 20).toFixed(1)} MiB is larger than the ${maxBytes / 2 ** 20} MiB limit for data files`);
  if (res.bodyUsed) throw fail(`${name}: the response body has already been read`);
  return new Uint8Array(await res.arrayBuffer());
}
