// Output files (--save, --plot) that are never half-written and never replace what is not a file. Where the
// destination is, or will be, a regular file: check it before the work, write beside it, then rename over it
// (atomic on one file system), so a crash or an interrupt leaves the old file intact. A symbolic link is
// followed, dangling or not: the write happens beside its target and the link stays a link. A named pipe or a
// character device (/dev/null, /dev/tty, /dev/full) is written straight through, as a shell's `>` would, and
// /dev/stdout or /dev/stderr is this process's own stdout or stderr: renaming a file over any of these would
// replace the device or pipe (and, as root, /dev/full with an SVG). A directory, a block device (a disk) or a
// socket is refused with one line. checkWritable and writeFileAtomic resolve the path the same way, so the
// check made before training agrees with the write made after it.

import { constants, unlinkSync, type Stats } from "node:fs";
import { access, lstat, open, readdir, readlink, realpath, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { UsageError } from "../errors.js";

/** Where the bytes for a path go, once links are followed. */
type Destination =
  /** a regular file, existing or not: a temporary file beside `path`, renamed over it */
  | { kind: "file"; path: string }
  /** a named pipe or a character device: opened and written, nothing created, nothing renamed */
  | { kind: "stream"; path: string; fifo: boolean }
  /** this process's stdout (1) or stderr (2), reached through /dev/stdout, /dev/fd/1 or /proc/self/fd/1 */
  | { kind: "std"; fd: 1 | 2 };

type Fail = (message: string) => UsageError;

/** Links followed before giving up, as the kernel does (ELOOP). */
const MAX_LINKS = 40;

/** /proc/PID/fd/N (or a thread's): a "magic" link to an open file, whose readlink text may not be a path (pipe:[123]). */
const FD_LINK = /^\/proc\/(\d+|self|thread-self)(?:\/task\/\d+)?\/fd\/(\d+)$/;

/** Fails early, before any training, when `path` could not be written. */
export async function checkWritable(path: string, flag: string): Promise<void> {
  const fail: Fail = (m) => new UsageError(`${flag} ${path}: ${m}`);
  const dest = await resolveDestination(path, fail);
  if (dest.kind === "std") return;
  if (dest.kind === "stream") {
    // never opened here: opening a pipe blocks until it has a reader, and closing it would end the reader's input
    await access(dest.path, constants.W_OK).catch(() => {
      throw fail("permission denied");
    });
    return;
  }
  await checkDirectory(dirname(dest.path), basename(dest.path), fail);
}

/** Follows `path` to what a write would reach, refusing what must not be written (see the top of this file). */
async function resolveDestination(path: string, fail: Fail): Promise<Destination> {
  if (path.endsWith(sep) || path.endsWith("/")) throw fail("names a directory, not a file");
  let p = path;
  for (let links = 0; links <= MAX_LINKS; links++) {
    const dir = await existingDirectory(dirname(p), p === path ? "" : ` (where the link ${path} points)`, fail);
    p = join(dir, basename(p));
    const fdLink = FD_LINK.exec(p);
    if (fdLink) return openFile(p, Number(fdLink[2]), fdLink[1], fail);
    let st: Stats;
    try {
      st = await lstat(p);
    } catch (e) {
      if (errno(e) === "ENOENT") return { kind: "file", path: p };
      throw fail(describe(e));
    }
    if (!st.isSymbolicLink()) return classify(p, st, fail);
    p = resolve(dir, await readlink(p).catch((e) => {
      throw fail(describe(e));
    }));
  }
  throw fail(`more than ${MAX_LINKS} symbolic links to follow (a loop?)`);
}

/** The real path of the directory a file goes in, or a UsageError saying what is wrong with it. */
async function existingDirectory(dir: string, via: string, fail: Fail): Promise<string> {
  let st: Stats;
  try {
    st = await stat(dir);
  } catch {
    throw fail(`the directory ${dir}${via} does not exist`);
  }
  if (!st.isDirectory()) throw fail(`${dir}${via} is not a directory`);
  return realpath(dir).catch(() => dir);
}

/** What a /proc/PID/fd/N link stands for: this process's stdout or stderr, or an open file written through. */
async function openFile(p: string, fd: number, pid: string, fail: Fail): Promise<Destination> {
  const own = pid === "self" || pid === "thread-self" || Number(pid) === process.pid;
  if (own && (fd === 1 || fd === 2)) return { kind: "std", fd };
  let st: Stats;
  try {
    st = await stat(p);
  } catch (e) {
    throw fail(describe(e));
  }
  const refused = refusal(st);
  if (refused) throw fail(refused);
  return { kind: "stream", path: p, fifo: st.isFIFO() };
}

function classify(p: string, st: Stats, fail: Fail): Destination {
  if (st.isFile()) return { kind: "file", path: p };
  const refused = refusal(st);
  if (refused) throw fail(refused);
  return { kind: "stream", path: p, fifo: st.isFIFO() };
}

/** Why a file of this kind is not written, or "" when it can be. */
function refusal(st: Stats): string {
  if (st.isDirectory()) return "is a directory";
  if (st.isBlockDevice()) return "is a block device (a disk); a model or plot is never written over one";
  if (st.isSocket()) return "is a socket, which cannot be opened as a file";
  return "";
}

/**
 * Checks that a new file can be made in `dir`, leaving nothing there. access(W_OK) says yes to root
 * everywhere, even in /proc, so a file is made: on Linux an unnamed one (O_TMPFILE), which never appears in
 * the directory and vanishes even if the process is killed; elsewhere, or where the file system has no
 * O_TMPFILE, a named probe that is removed at once (and swept by a later write if a kill -9 came between).
 */
async function checkDirectory(dir: string, name: string, fail: Fail): Promise<void> {
  const refused = () => fail(`cannot write in the directory ${dir}`);
  await access(dir, constants.W_OK).catch(() => {
    throw refused();
  });
  if (await canMakeUnnamedFile(dir)) return;
  const probe = join(dir, `.${name}.${process.pid}.probe`);
  let fh;
  try {
    fh = await open(probe, "wx");
  } catch {
    throw refused();
  }
  try {
    await fh.close();
  } catch {
    /* it was made, which is all the check needs */
  } finally {
    // the probe must never stay in the user's folder
    await unlink(probe).catch(() => {});
  }
}

/** open(2)'s O_TMPFILE where its value is known: __O_TMPFILE (020000000 on these) with O_DIRECTORY. */
const O_TMPFILE = process.platform === "linux" && ["x64", "arm64", "arm", "ia32", "riscv64", "ppc64", "s390x", "loong64"].includes(process.arch)
  ? 0o20000000 | constants.O_DIRECTORY
  : 0;

async function canMakeUnnamedFile(dir: string): Promise<boolean> {
  if (!O_TMPFILE) return false;
  try {
    await (await open(dir, O_TMPFILE | constants.O_WRONLY, 0o600)).close();
    return true;
  } catch {
    return false; // not supported here (EOPNOTSUPP, EISDIR on old kernels), or refused: the named probe decides
  }
}

/** Temporary files being written now (removed by removeUnfinishedWrites when the process must quit at once). */
const unfinished = new Set<string>();

/**
 * Writes `data` to `path`: a regular file (or a new one) through a temporary file beside it and a rename, a
 * link's target likewise, a pipe or character device straight through, /dev/stdout to stdout.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const fail: Fail = (m) => new UsageError(`cannot write ${path}: ${m}`);
  const dest = await resolveDestination(path, fail);
  if (dest.kind === "std") return writeStd(dest.fd, data, fail);
  if (dest.kind === "stream") return writeThrough(dest, data, fail);
  return replaceAtomically(dest.path, data, fail);
}

async function replaceAtomically(path: string, data: Uint8Array | string, fail: Fail): Promise<void> {
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
    throw fail(describe(e));
  } finally {
    unfinished.delete(tmp);
  }
}

/**
 * A pipe or device: opened for writing only (no create, no truncate) and written. Neither the open nor a write
 * may block a thread: a blocked open(2) or write(2) would also hold up process.exit, so a second Ctrl+C
 * could not quit while a pipe waits for its reader. So the file is opened non-blocking; a pipe with no reader
 * yet (ENXIO) is tried again until one comes (what a shell's `>` waits for), and a full pipe (EAGAIN) too.
 */
async function writeThrough(dest: { path: string; fifo: boolean }, data: Uint8Array | string, fail: Fail): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let fh;
  try {
    fh = await retrying(dest.fifo ? "ENXIO" : "", () => open(dest.path, constants.O_WRONLY | constants.O_NONBLOCK));
    for (let at = 0; at < bytes.length; ) {
      const file = fh;
      at += (await retrying("EAGAIN", () => file.write(bytes, at, bytes.length - at))).bytesWritten;
    }
  } catch (e) {
    throw fail(describe(e));
  } finally {
    await fh?.close().catch(() => {});
  }
}

/** `f()`, tried again every 20 ms for as long as it fails with `code`. */
async function retrying<T>(code: string, f: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (!code || errno(e) !== code) throw e;
    }
    await sleep(20);
  }
}

/** Through process.stdout or stderr, so the bytes keep their place among the lines the tool prints. */
function writeStd(fd: 1 | 2, data: Uint8Array | string, fail: Fail): Promise<void> {
  const out = fd === 1 ? process.stdout : process.stderr;
  return new Promise((done, reject) => out.write(data, (e) => (e ? reject(fail(describe(e))) : done())));
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** "ENOSPC (no space left on device)" from Node's "ENOSPC: no space left on device, write". */
function describe(e: unknown): string {
  const code = errno(e), message = (e as Error).message ?? String(e);
  if (!code) return message;
  const what = /^\w+: ([^,]+)/.exec(message)?.[1];
  return what ? `${code} (${what})` : code;
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

/** Temp files (and writability probes) of earlier runs for `path` whose process was killed before cleaning up. */
async function removeStaleTemps(path: string): Promise<void> {
  const dir = dirname(path), prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const ours = name.startsWith(prefix) && (name.endsWith(".tmp") || name.endsWith(".probe"));
    const pid = ours ? Number(name.slice(prefix.length).split(".")[0]) : NaN;
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
