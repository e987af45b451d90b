// The README's transcripts and figures, checked against what the commands print now: the two first
// commands, the training transcript, the --json example, the SLP's accuracies, and the MNIST table's seed-42
// column with the command above it. A README line that drifts from the program fails here.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, ROOT, TRAIN } from "./robustness/helpers.js";
import { inCi } from "./e2e/chromium.js";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));

/** Runs the training CLI (what `npm run train -- ARGS` runs once built) and returns its stdout lines. */
function train(args: string[]): string[] {
  const r = spawnSync(process.execPath, [TRAIN, ...args], { cwd: ROOT, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trimEnd().split("\n");
}

/** A line with what varies by machine masked: the kernel build, the thread count (and the epochs on one thread
 * when the machine was busy, as it is beside other tests), the time and rate. */
const machine = (l: string) =>
  l.replace(/kernels: \w+ \| threads: [\w ]+(?: \(one for \d+ of \d+ epochs: the machine was busy\))?$/, "kernels: K | threads: T").replace(/\| (\d+) epochs( \(\d+ in all\))? in \d+\.\d\d s \([\d.]+ epochs\/s\)/, "| $1 epochs$2 in S");

/** Runs a README command (`$ npm run TOOL -- ARGS`) as `npm run` would once built, in `cwd`; its stdout lines. */
function npmRun(command: string, cwd: string): string[] {
  const m = /^\$ npm run (\w+)(?: -- (.*))?$/.exec(command);
  if (!m) throw new Error(`not an npm run command: ${command}`);
  const script = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts[m[1]] as string;
  const [, entry, ...fixed] = script.split(/\s+/).slice(1);
  const r = spawnSync(process.execPath, [join(ROOT, entry), ...fixed, ...(m[2] ? m[2].split(/\s+/) : [])], { cwd, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trimEnd().split("\n");
}

/** `npm run train -- A B C` in a README line, as the CLI's arguments. */
function argsOf(command: string): string[] {
  const m = /^(?:\$ )?npm run train(?: -- (.*))?$/.exec(command.trim());
  if (!m) throw new Error(`not an npm run train command: ${command}`);
  return m[1] ? m[1].split(/\s+/) : [];
}

beforeAll(() => ensureBuilt(), 240_000);

// the recipe needs Debian's dataset-fashion-mnist: without it, one line says so (with CI=true, a failure)
const fashionMissing = !existsSync(join(process.env.FASHION_MNIST_DIR ?? "/usr/share/datasets/fashion-mnist", "train-images-idx3-ubyte.gz"));
const skipFashion = fashionMissing && !inCi();
if (skipFashion) process.stderr.write("README Fashion-MNIST recipe test skipped: apt-get install dataset-fashion-mnist to run it. (With CI=true this fails.)\n");

describe("the README", () => {
  it("starts with the two commands a newcomer types, and both scripts exist", () => {
    const first = blocks[0];
    expect(first.lang).toBe("sh");
    const commands = first.text.trim().split("\n").map((l) => l.replace(/#.*$/, "").trim());
    expect(commands).toEqual(["npm ci && npm run train", "npm test"]);
    const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts;
    expect(Object.keys(scripts)).toEqual(expect.arrayContaining(["train", "test"]));
  });

  it("shows what its commands print: every `$ npm run` transcript, line by line, the machine's kernels, threads and timing aside", () => {
    const transcripts = blocks.filter((b) => b.text.startsWith("$ npm run "));
    expect(transcripts.length).toBeGreaterThanOrEqual(2);
    // a folder of its own (the transcripts save models), with the repository's data/ beside them
    const dir = mkdtempSync(join(tmpdir(), "wasm-mlp-readme-"));
    symlinkSync(join(ROOT, "data"), join(dir, "data"));
    try {
      for (const block of transcripts) {
        const runs = block.text.trimEnd().split(/\n(?=\$ )/);
        for (const run of runs) {
          const [command, ...shown] = run.split("\n");
          const got = npmRun(command, dir);
          expect(got.length, command).toBe(shown.length);
          shown.forEach((line, i) => expect(machine(got[i]), `${command}, line ${i + 1}`).toBe(machine(line)));
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(skipFashion)("gives the Fashion-MNIST recipe with dropout that reaches at least 89.5% on the official test set, and the figure it quotes", () => {
    const line = readme.split("\n").find((l) => l.startsWith("npm run train -- --dataset fashion-mnist") && l.includes("--dropout"));
    expect(line, "a Fashion-MNIST command with --dropout").toBeDefined();
    const summary = JSON.parse(train([...argsOf(line!), "--json"]).at(-1)!);
    expect(summary.test_accuracy).toBeGreaterThanOrEqual(0.895);
    const quoted = /20 epochs reach ([\d.]+)% on the test set/.exec(readme);
    expect(quoted).not.toBeNull();
    expect((summary.test_accuracy * 100).toFixed(1)).toBe(quoted![1]);
  }, 180_000);

  it("gives the --json report of epoch 100 as the program prints it", () => {
    const example = /each report is `(\{"epoch":100[^`]*\})`/.exec(readme);
    expect(example, "the --json example").not.toBeNull();
    const lines = train(["--json", "--epochs", "101"]);
    expect(lines[1]).toBe(example![1]);
  });

  it("gives the SLP's first, second and last one-decimal accuracies", () => {
    const m = /`--model slp` prints its one-decimal accuracies: ([\d.]+%), ([\d.]+%), \.\.\.,\s+([\d.]+%)/.exec(readme);
    expect(m, "the SLP's accuracies").not.toBeNull();
    const reports = train(["--model", "slp"]).filter((l) => l.startsWith("Epoch"));
    const acc = (l: string) => /Acc: ([\d.]+%)/.exec(l)![1];
    expect([acc(reports[0]), acc(reports[1]), acc(reports.at(-1)!)]).toEqual([m![1], m![2], m![3]]);
  });

  it("gives MNIST's held-out accuracy for seed 42: the command above the table and each of the table's rows", () => {
    const command = blocks.map((b) => b.text.trim()).find((t) => t.startsWith("npm run train -- --dataset mnist"));
    expect(command).toBeDefined();
    const base = argsOf(command!);
    const claimed = /to \*\*([\d.]+)% held-out accuracy\*\*/.exec(readme);
    expect(claimed).not.toBeNull();
    const heldOut = (extra: string[]) => {
      const summary = JSON.parse(train([...base, ...extra, "--json"]).at(-1)!);
      return (summary.test_accuracy * 100).toFixed(2) + "%";
    };
    expect(heldOut([])).toBe(`${claimed![1]}%`);
    // | flags added | mean | range | seed 42 |
    const table = readme.slice(readme.indexOf("| flags added |")).split("\n\n")[0].split("\n").slice(2);
    expect(table.length).toBeGreaterThan(3);
    for (const row of table) {
      const cells = row.split("|").map((c) => c.trim());
      const flags = cells[1].startsWith("(none") ? [] : cells[1].replace(/`/g, "").split(/\s+/);
      expect(heldOut(flags), row).toBe(cells[4].replace(/\*/g, ""));
    }
  }, 120_000);
});
