// Output files that are never half-written: check the destination before the work, write beside it, then
// rename over it (atomic on one file system), so a crash or an interrupt leaves the old file intact.

import { constants } from "node:fs";
import { access, open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { UsageError } from "../errors.js";

/** Fails early, before any training, when `path` could not be written. */
export async function checkWritable(path: string, flag: string): Promise<void> {
  const dir = dirname(path);
  let st;
  try {
    st = await stat(dir);
  } catch {
    throw new UsageError(`${flag} ${path}: the directory ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new UsageError(`${flag} ${path}: ${dir} is not a directory`);
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${flag} ${path}: the directory ${dir} is not writable`);
  }
  try {
    if ((await stat(path)).isDirectory()) throw new UsageError(`${flag} ${path}: is a directory`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
}

/** Writes `data` to `path` through a temporary file in the same directory and a rename. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fh;
  try {
    fh = await open(tmp, "wx");
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot write ${path}${code ? ` (${code})` : ""}: ${(e as Error).message.split(",")[0]}`);
  }
}
