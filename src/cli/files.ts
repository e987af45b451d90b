// Output files that are never half-written: check the destination before the work, write beside it, then
// rename over it (atomic on one file system), so a crash or an interrupt leaves the old file intact.

import { constants, unlinkSync } from "node:fs";
import { access, open, readdir, rename, stat, unlink, writeFile } from "node:fs/promises";
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
  // access(W_OK) says yes to root everywhere, even in /proc: write and remove a probe file instead
  const probe = join(dir, `.${basename(path)}.${process.pid}.probe`);
  try {
    await access(dir, constants.W_OK);
    await writeFile(probe, "");
    await unlink(probe);
  } catch {
    throw new UsageError(`${flag} ${path}: cannot write in the directory ${dir}`);
  }
  try {
    if ((await stat(path)).isDirectory()) throw new UsageError(`${flag} ${path}: is a directory`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
}

/** Temporary files being written now (removed by removeUnfinishedWrites when the process must quit at once). */
const unfinished = new Set<string>();

/** Writes `data` to `path` through a temporary file in the same directory and a rename. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await removeStaleTemps(path);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fh;
  unfinished.add(tmp);
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
    throw new UsageError(`cannot write ${path}: ${code ?? (e as Error).message}`);
  } finally {
    unfinished.delete(tmp);
  }
}

/**
 * Removes the temporary files of writes still in progress, synchronously, for a process about to exit in
 * the middle of them (a second Ctrl+C): their destinations were never touched, and nothing is left beside.
 */
export function removeUnfinishedWrites(): void {
  for (const tmp of unfinished) {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created yet, or gone */
    }
  }
  unfinished.clear();
}

/** Temp files of earlier writes to `path` whose process was killed before its rename. */
async function removeStaleTemps(path: string): Promise<void> {
  const dir = dirname(path), prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = name.startsWith(prefix) && name.endsWith(".tmp") ? Number(name.slice(prefix.length).split(".")[0]) : NaN;
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    await unlink(join(dir, name)).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
