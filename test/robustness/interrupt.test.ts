// Ctrl+C during `npm run train`, as a user presses it: SIGINT to the CLI in the middle of a long run. The
// first stops training after the current epoch, prints the summary (interrupted, after how many epochs),
// writes --save and --plot from the weights reached, and exits 130; the saved model is the one an
// uninterrupted run of as many epochs saves, byte for byte, and predict reads it. A second SIGINT exits
// at once, even in the middle of a save, leaving the old model untouched and no temporary file behind.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { ensureBuilt, expectUntouched, lines, plantFile, predict, removeTempDirs, tempDir, train, type Run } from "./helpers.js";

const STALL_PRELOAD = join(import.meta.dirname, "stall-preload.mjs");
const MANY = "100000000";

beforeAll(() => ensureBuilt(), 240_000);
afterAll(removeTempDirs);

/** Runs train with `args`, sends SIGINT once a report of epoch 3 or later is out; returns the run. */
function interruptedRun(args: string[], cwd: string, more: { nodeArgs?: string[]; env?: Record<string, string>; then?: (child: ChildProcess) => void } = {}): Promise<Run> {
  let seen = "", sent = false;
  return train(args, {
    cwd,
    timeoutMs: 60_000,
    nodeArgs: more.nodeArgs,
    env: more.env,
    onStdout: (chunk, child) => {
      seen += chunk;
      if (!sent && /(Epoch +|"epoch":)([3-9]|\d\d+)\b/.test(seen)) {
        sent = true;
        child.kill("SIGINT");
        more.then?.(child);
      }
    },
  });
}

describe.concurrent("Ctrl+C during train", () => {
  it("the first stops after the current epoch: summary, --save and --plot of the weights reached, exit 130", async () => {
    const dir = await tempDir("wmlp-sigint-");
    const flags = ["--every", "1", "--test-split", "0.2", "--seed", "3"];
    const r = await interruptedRun(["--epochs", MANY, ...flags, "--save", "m.wmlp", "--plot", "c.svg"], dir);
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^train: interrupted; stopping after the current epoch .*Ctrl\+C again quits at once/)]);

    const out = lines(r.stdout);
    const note = out.findIndex((l) => l.startsWith("Interrupted"));
    const m = /^Interrupted \(Ctrl\+C\) after (\d+) of 100000000 epochs$/.exec(out[note] ?? "");
    expect(m, r.stdout.slice(-2000)).not.toBeNull();
    const epochs = Number(m![1]);
    expect(epochs).toBeGreaterThanOrEqual(4);
    // every epoch that ran was reported, then the Final line of those epochs
    expect(out[note - 1]).toMatch(new RegExp(`^Epoch +${epochs - 1} \\|`));
    expect(out[note + 1]).toMatch(new RegExp(`^Final .* ${epochs} epochs in `));
    expect(out).toContain("Saved the model to m.wmlp");
    expect(out).toContain("Wrote the chart to c.svg");

    // the chart has every report, and predict reads the model
    const svg = await readFile(join(dir, "c.svg"), "utf8");
    expect(svg).toContain(`${epochs} reports, epochs 0–${epochs - 1}`);
    await writeFile(join(dir, "rows.csv"), "0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0\n");
    const p = await predict(["--model", "m.wmlp", "--data", "rows.csv"], { cwd: dir });
    expect(p.code, p.stderr).toBe(0);
    // (after a few epochs the model may still read this 0 wrong; that it reads the file and answers is the point)
    expect(p.stdout).toMatch(/^row +1: \d  p=[01]\.\d{3}  \[(0\.\d{3} |1\.000 ){9}(0\.\d{3}|1\.000)\]\n$/);

    // the same model, byte for byte, as an uninterrupted run of that many epochs saves
    const whole = await train(["--epochs", String(epochs), ...flags, "--save", "whole.wmlp"], { cwd: dir });
    expect(whole.code, whole.stderr).toBe(0);
    expect(Buffer.compare(await readFile(join(dir, "m.wmlp")), await readFile(join(dir, "whole.wmlp")))).toBe(0);
    expect((await readdir(dir)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("--json: the summary says interrupted, with the epochs run; exit 130", async () => {
    const dir = await tempDir("wmlp-sigint-json-");
    const r = await interruptedRun(["--epochs", MANY, "--every", "1", "--json"], dir);
    expect(r.code, r.stderr).toBe(130);
    const objs = lines(r.stdout).map((l) => JSON.parse(l));
    const s = objs.at(-1);
    expect(s.interrupted).toBe(true);
    expect(s.epochs).toBe(objs.length - 1);
    expect(objs.at(-2).epoch).toBe(s.epochs - 1);
  });

  it("with --patience: the kept best weights are saved, as an uninterrupted run of as many epochs keeps them", async () => {
    const dir = await tempDir("wmlp-sigint-patience-");
    const flags = ["--test-split", "0.2", "--batch", "32", "--optimizer", "adam", "--lr", "0.003", "--patience", "100000", "--every", "1"];
    const r = await interruptedRun(["--epochs", MANY, ...flags, "--save", "m.wmlp"], dir);
    expect(r.code, r.stderr).toBe(130);
    const epochs = Number(/Interrupted \(Ctrl\+C\) after (\d+) of/.exec(r.stdout)![1]);
    const kept = /Early stopping kept the weights of epoch (\d+)/.exec(r.stdout);
    expect(kept, r.stdout.slice(-1500)).not.toBeNull();
    const whole = await train(["--epochs", String(epochs), ...flags, "--save", "whole.wmlp"], { cwd: dir });
    expect(whole.stdout).toContain(kept![0]);
    expect(Buffer.compare(await readFile(join(dir, "m.wmlp")), await readFile(join(dir, "whole.wmlp")))).toBe(0);
  });

  it("a second Ctrl+C in the middle of the save exits at once: the old model untouched, no temporary file, no chart", async () => {
    const dir = await tempDir("wmlp-sigint-twice-");
    const old = await plantFile(join(dir, "m.wmlp"), "the model of an earlier run");
    let second = -1;
    const r = await interruptedRun(["--epochs", MANY, "--every", "1", "--save", "m.wmlp", "--plot", "c.svg"], dir, {
      nodeArgs: ["--import", STALL_PRELOAD],
      then: (child) => {
        // once the save's temporary file is half-written (the preload then holds it for 30 s), interrupt again
        const poll = setInterval(async () => {
          const names = await readdir(dir);
          if (names.some((n) => n.endsWith(".tmp"))) {
            clearInterval(poll);
            second = performance.now();
            child.kill("SIGINT");
          }
        }, 10);
        child.once("close", () => clearInterval(poll));
      },
    });
    expect(second, r.stderr).toBeGreaterThan(0);
    expect(r.code, r.stderr).toBe(130);
    // well before the 30 s the stalled write would have taken
    expect(r.ms).toBeLessThan(20_000);
    await expectUntouched(old);
    expect(await readdir(dir)).toEqual(["m.wmlp"]);
    expect(existsSync(join(dir, "c.svg"))).toBe(false);
    expect(r.stdout).not.toMatch(/^Saved the model/m);
  }, 60_000);
});

