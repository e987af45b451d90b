// --checkpoint and --resume as a user meets them: Ctrl+C in the middle of a run on two threads, then
// `train --resume FILE` on one thread, saves the model an uninterrupted run saves, byte for byte (the
// checkpoint repeats the run's flags, --save included); a shorter run's checkpoint continued to more epochs
// is the longer run; and the bad cases end in one line, a non-zero exit and no file written.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { decodeCheckpoint } from "../../src/model/checkpoint.js";
import { ensureBuilt, expectUserError, lines, removeTempDirs, tempDir, train } from "./helpers.js";

beforeAll(() => ensureBuilt(), 240_000);
afterAll(removeTempDirs);

const sha = async (path: string) => createHash("sha256").update(await readFile(path)).digest("hex");
const RUN = ["--epochs", "3000", "--batch", "64", "--optimizer", "adam", "--lr-schedule", "cosine", "--hidden", "24", "--test-split", "0.2", "--patience", "2000", "--every", "100", "--json"];

describe.concurrent("checkpoints from the command line", () => {
  it("Ctrl+C on 2 threads, then --resume on 1: the model of the run in one go, byte for byte", async () => {
    const dir = await tempDir("wmlp-ckpt-");
    const whole = await train([...RUN, "--threads", "1", "--save", "whole.wmlp"], { cwd: dir, timeoutMs: 120_000 });
    expect(whole.code, whole.stderr).toBe(0);

    let sent = false;
    const cut = await train([...RUN, "--threads", "2", "--checkpoint", "run.ckpt", "--checkpoint-every", "7", "--save", "resumed.wmlp"], {
      cwd: dir, timeoutMs: 120_000,
      onStdout: (chunk, child) => {
        // once the report of epoch 200 is out (not every run gets far before a Ctrl+C)
        if (!sent && /"epoch":([2-9]\d\d|\d{4})\b/.test(chunk)) (sent = true), child.kill("SIGINT");
      },
    });
    expect(cut.code, cut.stderr).toBe(130);
    const stopped = JSON.parse(lines(cut.stdout).pop()!);
    expect(stopped.interrupted).toBe(true);
    expect(stopped.checkpoint).toBe("run.ckpt");
    const c = decodeCheckpoint(await readFile(join(dir, "run.ckpt")));
    // the checkpoint taken when the loop ended, not the last multiple of 7
    expect(c.loop.epoch).toBe(stopped.epochs);
    expect(c.cli).toContain("--save");

    const resumed = await train(["--resume", "run.ckpt", "--threads", "1"], { cwd: dir, timeoutMs: 120_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(lines(resumed.stdout).pop()!);
    expect(summary.resumed_from).toBe(stopped.epochs);
    const one = JSON.parse(lines(whole.stdout).pop()!);
    expect(summary.epochs).toBe(one.epochs);
    expect(summary.best_epoch).toBe(one.best_epoch);
    expect(summary.saved).toBe("resumed.wmlp");
    expect(await sha(join(dir, "resumed.wmlp"))).toBe(await sha(join(dir, "whole.wmlp")));
    // the history is the whole run's
    expect(summary.history).toEqual(one.history);
  }, 240_000);

  it("a 300-epoch run's checkpoint continued with --epochs 500 is the 500-epoch run (constant rate)", async () => {
    const dir = await tempDir("wmlp-ckpt-");
    const flags = ["--batch", "128", "--every", "100"];
    expect((await train([...flags, "--epochs", "500", "--save", "long.wmlp"], { cwd: dir })).code).toBe(0);
    const first = await train([...flags, "--epochs", "300", "--checkpoint", "c.ckpt", "--save", "m.wmlp"], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("Checkpoint in c.ckpt (continue with --resume c.ckpt)");
    const next = await train(["--resume", "c.ckpt", "--epochs", "500"], { cwd: dir });
    expect(next.code, next.stderr).toBe(0);
    expect(lines(next.stdout)[0]).toBe("Resuming c.ckpt: 300 of 500 epochs done");
    expect(next.stdout).toMatch(/\| 200 epochs \(500 in all\) in /);
    expect(await sha(join(dir, "m.wmlp"))).toBe(await sha(join(dir, "long.wmlp")));
  }, 120_000);

  it.skipIf(!existsSync("/dev/full"))("a checkpoint that cannot be written (/dev/full) is one line and a non-zero exit after --save is written", async () => {
    const dir = await tempDir("wmlp-ckpt-");
    const r = await train(["--epochs", "30", "--batch", "100", "--every", "10", "--checkpoint", "/dev/full", "--save", "m.wmlp"], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr)).toEqual(["train: cannot write /dev/full: ENOSPC (no space left on device)"]);
    expect(r.stdout).toContain("Saved the model to m.wmlp");
    expect(r.stdout).not.toContain("Checkpoint in");
    expect(existsSync(join(dir, "m.wmlp"))).toBe(true);
  }, 120_000);

  it("bad uses end in one line, a non-zero exit, and no file written", async () => {
    const dir = await tempDir("wmlp-ckpt-");
    const ok = await train(["--epochs", "20", "--batch", "100", "--checkpoint", "c.ckpt", "--save", "m.wmlp"], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    const bytes = await readFile(join(dir, "c.ckpt"));
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(dir, "cut.ckpt"), bytes.subarray(0, bytes.length - 100));
    const cases: [string[], RegExp, number][] = [
      [["--resume", "m.wmlp", "--save", "x.wmlp"], /^train: m\.wmlp: not a wasm-mlp checkpoint .*it is a model file/, 1],
      [["--resume", "cut.ckpt", "--save", "x.wmlp"], /^train: cut\.ckpt: checksum mismatch: the file is damaged$/, 1],
      [["--resume", "none.ckpt", "--save", "x.wmlp"], /^train: none\.ckpt: no such file/, 1],
      [["--resume", "c.ckpt", "--hidden", "16", "--save", "x.wmlp"], /^train: --resume c\.ckpt: its model is 64-32-10 relu, seed 42, .*these flags make 64-16-10/, 2],
      [["--resume", "c.ckpt", "--batch", "50", "--save", "x.wmlp"], /^train: fit: the checkpoint was trained with batch 100, and this fit asks for 50/, 2],
      [["--resume", "c.ckpt", "--epochs", "10", "--save", "x.wmlp"], /^train: fit: epochs 10 is fewer than the 20 the checkpoint has done/, 2],
      [["--checkpoint-every", "5", "--save", "x.wmlp"], /^train: --checkpoint-every goes with --checkpoint FILE$/, 2],
      [["--checkpoint-every", "0", "--checkpoint", "y.ckpt", "--save", "x.wmlp"], /^train: --checkpoint-every must be between 1 and/, 2],
      [["--checkpoint", "x.wmlp", "--save", "x.wmlp"], /^train: --checkpoint and --save name the same file \(x\.wmlp\): one would overwrite the other$/, 2],
      [["--cv", "3", "--checkpoint", "y.ckpt"], /^train: --cv trains one model per fold and keeps none: drop --checkpoint and --resume$/, 2],
      [["--checkpoint", join(dir, "no/such/dir/y.ckpt"), "--save", "x.wmlp"], /^train: .*y\.ckpt/, 2],
    ];
    await Promise.all(cases.map(async ([args, message, code]) => {
      const r = await train(args, { cwd: dir });
      expectUserError(r, { code, tool: "train", mentions: [message] });
    }));
    expect(existsSync(join(dir, "x.wmlp"))).toBe(false);
    expect(existsSync(join(dir, "y.ckpt"))).toBe(false);
  }, 120_000);
});
