// Outputs and inputs that are not plain files (issue 22). --save and --plot write a temporary file and rename
// it over the destination; that must never replace something that is not a regular file. A symbolic link is
// followed (the write lands beside its target, dangling or not, and the link stays a link); a named pipe, a
// character device and /dev/stdout are written straight through; a directory, a block device and a socket
// are refused before training. --data from a device or a pipe (no size to check first) stops at the 256 MiB
// limit while reading. And no writability probe or temporary file is ever left in the user's folder.
// Run as root, the device cases write to device nodes made in a test folder, never to /dev itself (see device()).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { checkWritable, writeFileAtomic } from "../../src/cli/files.js";
import { DataError, UsageError } from "../../src/errors.js";
import { loadCsv } from "../../src/data/datasets.js";
import { decodeModel } from "../../src/model/modelfile.js";
import { ensureBuilt, expectUntouched, expectUserError, listDir, plantFile, predict, removeTempDirs, smallCsv, tempDir, train } from "./helpers.js";

/** Readers and writers started for pipes: killed at the end even if a test timed out before its own cleanup. */
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await removeTempDirs();
});

const isRoot = process.getuid?.() === 0;
const linux = process.platform === "linux";
const LAYERS = [8, 32, 3];

/** A folder holding small.csv, and its listing (to compare with after the run). */
async function folder(): Promise<string> {
  const dir = await tempDir("wmlp-special-");
  await writeFile(join(dir, "small.csv"), smallCsv());
  return dir;
}

const trainArgs = (...more: string[]) => ["--data", "small.csv", "--epochs", "3", ...more];
const noLeftovers = async (dir: string) => expect((await listDir(dir)).filter((n) => /\.(probe|tmp)$/.test(n))).toEqual([]);

function mkfifo(path: string): void {
  const r = spawnSync("mkfifo", [path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr || r.error?.message}`);
}

/**
 * /dev/full or /dev/null to write to. As root, a node of the same device (char 1,7 or 1,3) made in a test
 * folder: a regression that renamed a file over its destination would then replace that node, not the
 * machine's /dev/null (which root can replace, and every process uses). Without root nothing in /dev can be
 * replaced, and the real device is used. Undefined (skip) when root cannot make device nodes.
 */
async function device(name: "full" | "null", dir: string): Promise<string | undefined> {
  if (!isRoot) return `/dev/${name}`;
  const path = join(dir, name);
  const made = spawnSync("mknod", ["-m", "666", path, "c", "1", name === "full" ? "7" : "3"]).status === 0;
  return made ? path : undefined;
}

/** /dev/stdout, or as root (for the same reason) a link of its own to what /dev/stdout links to. */
async function stdoutLink(dir: string): Promise<string> {
  if (!isRoot) return "/dev/stdout";
  await symlink("/proc/self/fd/1", join(dir, "stdout"));
  return join(dir, "stdout");
}

/** Starts `cat fifo` and resolves with everything it read once the writer closes the pipe. */
function readFifo(path: string): { bytes: Promise<Buffer>; child: ChildProcess } {
  const child = spawn("cat", [path], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const chunks: Buffer[] = [];
  child.stdout!.on("data", (c: Buffer) => chunks.push(c));
  const bytes = new Promise<Buffer>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", () => resolve(Buffer.concat(chunks)));
  });
  return { bytes, child };
}

describe.concurrent("CLI: --save and --plot to links, pipes and devices", () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it("a symlink to an existing model: the target gets the new model, the link stays a link", async () => {
    const dir = await folder();
    const old = await plantFile(join(dir, "real.wmlp"), "WMLP-old-model");
    await symlink("real.wmlp", join(dir, "link.wmlp"));
    const r = await train(trainArgs("--save", "link.wmlp"), { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect((await lstat(join(dir, "link.wmlp"))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(dir, "link.wmlp"))).toBe("real.wmlp");
    const now = await readFile(old.path);
    expect(Buffer.compare(now, old.bytes)).not.toBe(0);
    expect(decodeModel(now).params.layers).toEqual(LAYERS);
    expect(await listDir(dir)).toEqual(["link.wmlp", "real.wmlp", "small.csv"]);
  });

  it("a dangling symlink: its target is written (the directory it names exists), the link stays", async () => {
    const dir = await folder();
    await mkdir(join(dir, "models"));
    await symlink("models/new.wmlp", join(dir, "link.wmlp"));
    const r = await train(trainArgs("--save", "link.wmlp"), { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect((await lstat(join(dir, "link.wmlp"))).isSymbolicLink()).toBe(true);
    expect(decodeModel(await readFile(join(dir, "models/new.wmlp"))).params.layers).toEqual(LAYERS);
    expect(await listDir(dir)).toEqual(["link.wmlp", "models", "small.csv"]);
    expect(await listDir(join(dir, "models"))).toEqual(["new.wmlp"]);
  });

  it("a dangling symlink into a directory that does not exist is refused before training", async () => {
    const dir = await folder();
    await symlink("nowhere/new.wmlp", join(dir, "link.wmlp"));
    const r = await train(trainArgs("--save", "link.wmlp"), { cwd: dir });
    expectUserError(r, { tool: "train", code: 2, mentions: ["--save link.wmlp", "nowhere", /does not exist/], stdoutEmpty: true });
    expect(await listDir(dir)).toEqual(["link.wmlp", "small.csv"]);
  });

  it("a symlink loop is refused with one line", async () => {
    const dir = await folder();
    await symlink("b.wmlp", join(dir, "a.wmlp"));
    await symlink("a.wmlp", join(dir, "b.wmlp"));
    const r = await train(trainArgs("--save", "a.wmlp"), { cwd: dir });
    expectUserError(r, { tool: "train", code: 2, mentions: ["a.wmlp", /symbolic links/], stdoutEmpty: true });
  });

  it.skipIf(!linux)("a named pipe: written straight through to its reader, still a pipe afterwards", async () => {
    const dir = await folder();
    mkfifo(join(dir, "model.pipe"));
    mkfifo(join(dir, "plot.pipe"));
    const model = readFifo(join(dir, "model.pipe")), plot = readFifo(join(dir, "plot.pipe"));
    try {
      const r = await train(trainArgs("--save", "model.pipe", "--plot", "plot.pipe"), { cwd: dir, timeoutMs: 30_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(decodeModel(await model.bytes).params.layers).toEqual(LAYERS);
      expect((await plot.bytes).toString()).toMatch(/^<\?xml[\s\S]*<\/svg>\s*$/);
    } finally {
      model.child.kill();
      plot.child.kill();
    }
    expect((await stat(join(dir, "model.pipe"))).isFIFO()).toBe(true);
    expect(await listDir(dir)).toEqual(["model.pipe", "plot.pipe", "small.csv"]);
  }, 60_000);

  it.skipIf(!linux)("/dev/full: one line naming ENOSPC, a non-zero exit, and the device still the device", async (ctx) => {
    const dir = await folder();
    const full = await device("full", dir);
    if (!full) return ctx.skip();
    const before = await stat(full);
    const r = await train(trainArgs("--plot", full), { cwd: dir });
    expectUserError(r, { tool: "train", mentions: [full, "ENOSPC"] });
    const after = await stat(full);
    expect(after.isCharacterDevice()).toBe(true);
    expect([after.ino, after.rdev]).toEqual([before.ino, before.rdev]);
    await noLeftovers(dirname(full));
  });

  it.skipIf(!linux)("--save /dev/null succeeds and leaves the device a device", async (ctx) => {
    const dir = await folder();
    const nul = await device("null", dir);
    if (!nul) return ctx.skip();
    const before = await stat(nul);
    const r = await train(trainArgs("--save", nul), { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const after = await stat(nul);
    expect(after.isCharacterDevice()).toBe(true);
    expect([after.ino, after.rdev]).toEqual([before.ino, before.rdev]);
    await noLeftovers(dirname(nul));
  });

  it.skipIf(!linux)("--plot /dev/stdout: the SVG on stdout, in its place among the lines", async () => {
    const dir = await folder();
    const out = await stdoutLink(dir);
    const r = await train(trainArgs("--every", "1", "--plot", out), { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const svg = r.stdout.indexOf("<?xml"), end = r.stdout.indexOf("</svg>");
    expect(svg, r.stdout).toBeGreaterThan(r.stdout.indexOf("Epoch    2"));
    expect(end).toBeGreaterThan(svg);
    expect(r.stdout.indexOf("Final ")).toBeGreaterThan(end);
    expect((await lstat(out)).isSymbolicLink()).toBe(true);
    await noLeftovers(dir);
  });

  it("a directory and a socket are refused before training", async () => {
    const dir = await folder();
    await mkdir(join(dir, "sub"));
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, "sock"), resolve));
    try {
      const before = await listDir(dir);
      for (const [target, why] of [["sub", /is a directory/], ["sock", /is a socket/]] as const) {
        const r = await train(trainArgs("--save", target), { cwd: dir });
        expectUserError(r, { tool: "train", code: 2, mentions: [`--save ${target}`, why], stdoutEmpty: true });
      }
      expect(await listDir(dir)).toEqual(before);
    } finally {
      server.close();
    }
  });

  it.skipIf(!isRoot || !linux || / 60 /.test(readFileSync("/proc/devices", "utf8")))(
    "a block device is refused before training, and stays a block device",
    async () => {
      const dir = await folder();
      // major 60 is reserved for local use and has no driver here: nothing could be written through it anyway
      if (spawnSync("mknod", [join(dir, "disk"), "b", "60", "0"]).status !== 0) return;
      const r = await train(trainArgs("--save", "disk"), { cwd: dir });
      expectUserError(r, { tool: "train", code: 2, mentions: ["--save disk", /block device/], stdoutEmpty: true });
      expect((await stat(join(dir, "disk"))).isBlockDevice()).toBe(true);
      expect(await listDir(dir)).toEqual(["disk", "small.csv"]);
    },
  );
});

describe.concurrent("CLI: --data with no size to check first stops at the limit", () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it.skipIf(!existsSync("/dev/zero"))("/dev/zero", async () => {
    const dir = await folder();
    const existing = await plantFile(join(dir, "keep.wmlp"), "WMLP-keep-me");
    const r = await train(["--data", "/dev/zero", "--epochs", "1", "--save", "keep.wmlp"], { cwd: dir, timeoutMs: 30_000 });
    expectUserError(r, { tool: "train", code: 1, mentions: ["/dev/zero", "256 MiB", /limit/], stdoutEmpty: true });
    await expectUntouched(existing);
    await noLeftovers(dir);
  }, 60_000);

  it.skipIf(!existsSync("/dev/zero"))("/dev/zero as a model (predict): the model files' limit", async () => {
    const dir = await folder();
    await writeFile(join(dir, "rows.csv"), "1,2\n");
    const r = await predict(["--model", "/dev/zero", "--data", "rows.csv"], { cwd: dir, timeoutMs: 30_000 });
    expectUserError(r, { tool: "predict", code: 1, mentions: ["/dev/zero", "1024 MiB limit for model files", "reading stopped at the limit"], stdoutEmpty: true });
  }, 60_000);

  it.skipIf(!linux)("an endless pipe", async () => {
    const dir = await folder();
    mkfifo(join(dir, "rows.pipe"));
    // `yes` writes rows until the reader closes the pipe
    const writer = spawn("sh", ["-c", 'exec yes 1,2,0 > "$0"', join(dir, "rows.pipe")], { stdio: "ignore" });
    children.push(writer);
    try {
      const r = await train(["--data", "rows.pipe", "--epochs", "1"], { cwd: dir, timeoutMs: 30_000 });
      expectUserError(r, { tool: "train", code: 1, mentions: ["rows.pipe", "256 MiB", /limit/], stdoutEmpty: true });
    } finally {
      writer.kill();
    }
  }, 60_000);
});

describe.concurrent("library: a body without a Content-Length stops at the limit", () => {
  // ~1 MiB of rows, sent again and again
  const chunk = new TextEncoder().encode("1,2,0\n".repeat(174_763));

  it("a Response whose stream never ends: read in chunks, cancelled at the limit", async () => {
    let pulled = 0, cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull: (c) => void (pulled++, c.enqueue(chunk)),
      cancel: () => void (cancelled = true),
    });
    const err = await loadCsv(new Response(body)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/256 MiB limit/);
    expect(cancelled).toBe(true);
    expect(pulled * chunk.length).toBeLessThan(260 * 2 ** 20);
  });

  it("a URL whose server sends rows forever, without a Content-Length", async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/csv" }); // chunked: no length
      const more = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once("drain", more);
      };
      more();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rows.csv`;
    try {
      const err = await loadCsv(url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toContain(url);
      expect((err as Error).message).toMatch(/256 MiB limit/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }, 60_000);
});

describe("library: checkWritable agrees with writeFileAtomic", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir("wmlp-special-lib-");
    await writeFile(join(dir, "real.wmlp"), "old");
    await mkdir(join(dir, "sub"));
    await symlink("real.wmlp", join(dir, "link"));
    await symlink("sub/fresh.wmlp", join(dir, "dangling"));
    await symlink("nowhere/x.wmlp", join(dir, "dangling-nowhere"));
    await symlink("link", join(dir, "chain")); // a link to a link
    await symlink("sub", join(dir, "subdir-link"));
    await symlink("loop-b", join(dir, "loop-a"));
    await symlink("loop-a", join(dir, "loop-b"));
  });

  /** The outcome of a promise: "ok", or the UsageError's one-line message (anything else fails the test). */
  async function outcome(p: Promise<void>): Promise<string> {
    try {
      await p;
      return "ok";
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as Error).message).not.toContain("\n");
      return (e as Error).message;
    }
  }

  const cases: [string, string, RegExp | "ok", string?][] = [
    ["a link to a file", "link", "ok", "real.wmlp"],
    ["a link to a link to a file", "chain", "ok", "real.wmlp"],
    ["a dangling link", "dangling", "ok", "sub/fresh.wmlp"],
    ["a file through a linked directory", "subdir-link/through.wmlp", "ok", "sub/through.wmlp"],
    ["a dangling link into a missing directory", "dangling-nowhere", /does not exist/],
    ["a link loop", "loop-a", /symbolic links/],
    ["a directory", "sub", /is a directory/],
    ["a link to a directory", "subdir-link", /is a directory/],
    ["a path ending in a slash", "new/", /directory/],
  ];
  it.each(cases)("%s", async (_name, target, expected, lands) => {
    const path = join(dir, target);
    const check = await outcome(checkWritable(path, "--save"));
    const data = `model for ${target}`;
    const write = await outcome(writeFileAtomic(path, data));
    if (expected === "ok") {
      expect([check, write]).toEqual(["ok", "ok"]);
      expect(await readFile(join(dir, lands!), "utf8")).toBe(data);
    } else {
      expect(check).toMatch(expected);
      expect(write).toMatch(expected);
    }
    for (const link of ["link", "chain", "dangling", "subdir-link"]) expect((await lstat(join(dir, link))).isSymbolicLink()).toBe(true);
    await noLeftovers(dir);
    await noLeftovers(join(dir, "sub"));
  });

  it.skipIf(!linux)("/dev/null: both say yes, and it stays the device", async (ctx) => {
    const nul = await device("null", dir);
    if (!nul) return ctx.skip();
    expect(await outcome(checkWritable(nul, "--save"))).toBe("ok");
    expect(await outcome(writeFileAtomic(nul, "x"))).toBe("ok");
    expect((await stat(nul)).isCharacterDevice()).toBe(true);
  });

  it.skipIf(!linux)("the writability check never shows a file in the folder, even 20 checks at once", async () => {
    const sub = await tempDir("wmlp-special-probe-");
    const seen = new Set<string>();
    let checking = true;
    const watch = (async () => {
      while (checking) for (const n of await readdir(sub)) seen.add(n);
    })();
    await Promise.all(Array.from({ length: 20 }, (_, i) => checkWritable(join(sub, `m${i}.wmlp`), "--save")));
    checking = false;
    await watch;
    expect([...seen]).toEqual([]);
  });
});
