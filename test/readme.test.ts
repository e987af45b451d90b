// The README's transcripts and figures, checked against what the commands print now: the two first
// commands, the training transcript, the --json example, the SLP's accuracies, and the MNIST table's seed-42
// column with the command above it. A README line that drifts from the program fails here.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, ROOT, TRAIN } from "./robustness/helpers.js";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));

/** Runs the training CLI (what `npm run train -- ARGS` runs once built) and returns its stdout lines. */
function train(args: string[]): string[] {
  const r = spawnSync(process.execPath, [TRAIN, ...args], { cwd: ROOT, encoding: "utf8" });
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

describe("the README", () => {
  it("starts with the two commands a newcomer types, and both scripts exist", () => {
    const first = blocks[0];
    expect(first.lang).toBe("sh");
    const commands = first.text.trim().split("\n").map((l) => l.replace(/#.*$/, "").trim());
    expect(commands).toEqual(["npm ci && npm run train", "npm test"]);
    const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts;
    expect(Object.keys(scripts)).toEqual(expect.arrayContaining(["train", "test"]));
  });

  it("shows what `npm run train` prints: the header and every report exactly, the Final line but its timing", () => {
    const block = blocks.find((b) => b.text.startsWith("$ npm run train\n"));
    expect(block, "a transcript block starting with `$ npm run train`").toBeDefined();
    const [command, ...shown] = block!.text.trimEnd().split("\n");
    const got = train(argsOf(command));
    expect(got).toHaveLength(shown.length);
    // the header names the kernel build and threads this machine picks: compare the rest
    const machine = (l: string) => l.replace(/kernels: \w+ \| threads: [\w ]+$/, "kernels: K | threads: T");
    expect(machine(got[0])).toBe(machine(shown[0]));
    for (let i = 1; i < shown.length - 1; i++) expect(got[i]).toBe(shown[i]);
    const final = (l: string) => l.replace(/\| \d+ epochs in .*$/, "");
    expect(final(got.at(-1)!)).toBe(final(shown.at(-1)!));
    expect(got.at(-1)).toMatch(/\| 1000 epochs in \d+\.\d\d s \(\d+ epochs\/s\) \| kernels: \w+ \| threads: \d+$/);
  });

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
