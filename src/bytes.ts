// Reads bytes from a path or URL: the file system in Node, fetch elsewhere. The one place that does I/O
// for data, models and the kernel module.

export type ByteSource = string | URL | ArrayBuffer | ArrayBufferView;

export const isNode = typeof process !== "undefined" && !!process.versions?.node;

/** Thrown with a message that names the source and what went wrong. */
export type ErrorFactory = (message: string) => Error;

/** `maxBytes` refuses larger files (by their size on disk, before reading) with a message naming the size. */
export async function readBytes(source: ByteSource, fail: ErrorFactory, maxBytes = Infinity): Promise<Uint8Array<ArrayBuffer>> {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength);
  const isUrl = source instanceof URL || /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
  if (isNode && (!isUrl || new URL(source).protocol === "file:")) {
    const { readFile, stat } = await import("node:fs/promises");
    const path = isUrl ? new URL(source) : source;
    const name = isUrl ? decodeURIComponent(new URL(source).pathname) : String(source);
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
  const url = source instanceof URL ? source : new URL(source, typeof location !== "undefined" ? location.href : undefined);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw fail(`${url.href}: cannot fetch (${(e as Error).message})`);
  }
  if (!res.ok) throw fail(`${url.href}: HTTP ${res.status}`);
  const length = Number(res.headers.get("content-length") ?? 0);
  if (length > maxBytes) throw fail(`${url.href}: ${(length / 2 ** 20).toFixed(1)} MiB is larger than the ${maxBytes / 2 ** 20} MiB limit for data files`);
  return new Uint8Array(await res.arrayBuffer());
}
