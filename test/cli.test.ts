// The training CLI as a user runs it: node dist/cli/train.js [flags].

import { beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
// the package's own entry for the training CLI (dist/src/cli/train.js), else the original dist/cli/train.js
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const CLI = join(root, pkg.bin?.["wasm-mlp-train"] ?? "dist/cli/train.js");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const lines = (s: string) => s.split("\n").filter((l) => l !== "");

beforeAll(() => {
  // builds only what is out of date (nothing, normally); the wasm and dist/ must exist for the CLI to run
  const r = spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale"], { cwd: root, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  expect(existsSync(CLI)).toBe(true);
}, 180_000);

describe.concurrent("train CLI", () => {
  it("a reader that has gone away (| head, closed early) ends it quietly: exit 0, no stack trace", async () => {
    // the read end is closed before the CLI writes its first line, so that write fails with EPIPE
    const r = await new Promise<Run>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, "--epochs", "5"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.destroy();
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout: "", stderr }));
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("--epochs 3 --every 1 --json: three report lines, then a summary", async () => {
    const r = await cli(["--epochs", "3", "--every", "1", "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.endsWith("\n")).toBe(true);
    const out = lines(r.stdout).map((l) => JSON.parse(l));
    expect(out.length).toBe(4);
    out.slice(0, 3).forEach((rep, i) => {
      expect(Object.keys(rep).sort()).toEqual(["accuracy", "epoch", "loss"]);
      expect(rep.epoch).toBe(i);
      expect(rep.accuracy).toBeGreaterThanOrEqual(0);
      expect(rep.accuracy).toBeLessThanOrEqual(1);
      expect(rep.loss).toBeGreaterThan(0);
    });
    // the original MLP starts at 10% (test/fixtures/original.json)
    expect(Math.round(out[0].accuracy * 100)).toBe(10);
    const s = out[3];
    for (const key of ["epochs", "accuracy", "loss", "train_ms", "kernels"]) expect(s, key).toHaveProperty(key);
    expect(s.epochs).toBe(3);
    expect(s.accuracy).toBeGreaterThanOrEqual(0);
    expect(s.accuracy).toBeLessThanOrEqual(1);
    expect(s.loss).toBeGreaterThan(0);
    expect(s.train_ms).toBeGreaterThanOrEqual(0);
    expect(["scalar", "simd", "relaxed"]).toContain(s.kernels);
  });

  it("--model slp --epochs 101: prints epochs 0 and 100 as the original does, with one decimal", async () => {
    const r = await cli(["--model", "slp", "--epochs", "101"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const out = lines(r.stdout);
    expect(out.some((l) => l.startsWith("Epoch    0 | Acc: 12.4%")), r.stdout).toBe(true);
    expect(out.some((l) => l.startsWith("Epoch  100 | Acc: 93.5%")), r.stdout).toBe(true);
    expect(out.filter((l) => l.startsWith("Epoch ")).length).toBe(2);
  });

  it("--epochs 101 (MLP): prints whole percents as the original does", async () => {
    const r = await cli(["--epochs", "101"]);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out.some((l) => l.startsWith("Epoch    0 | Acc: 10% ")), r.stdout).toBe(true);
    expect(out.some((l) => l.startsWith("Epoch  100 | Acc: 93% ")), r.stdout).toBe(true);
  });

  it("--kernels scalar: the summary says scalar", async () => {
    const [json, human] = await Promise.all([
      cli(["--kernels", "scalar", "--epochs", "2", "--json"]),
      cli(["--kernels", "scalar", "--epochs", "2"]),
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(lines(json.stdout).at(-1)!).kernels).toBe("scalar");
    expect(human.code).toBe(0);
    expect(lines(human.stdout).at(-1)).toMatch(/kernels: scalar \| threads: \d+$/);
  });

  // the flags the CLI compatible with the original has always had; --help may list more
  const FLAGS = ["--model", "--hidden", "--epochs", "--lr", "--seed", "--every", "--normalize", "--kernels", "--json", "--help"];
  const helpFlags = (text: string) => [...new Set(text.match(/--[a-z][a-z0-9-]*/g) ?? [])];

  it("--help exits 0 and mentions every flag", async () => {
    const r = await cli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const listed = helpFlags(r.stdout);
    for (const f of FLAGS) expect(listed, f).toContain(f);
  });

  it("every flag --help lists is a flag the CLI accepts", async () => {
    const listed = helpFlags((await cli(["--help"])).stdout).filter((f) => f !== "--help");
    expect(listed.length).toBeGreaterThanOrEqual(FLAGS.length - 1);
    // all at once, each given a value; a flag that takes none is passed bare instead. --help then ends the
    // run before any value is checked, so only an unknown flag can make it fail.
    const bare = new Set<string>();
    for (let attempt = 0; attempt <= listed.length; attempt++) {
      const r = await cli([...listed.map((f) => (bare.has(f) ? f : `${f}=1`)), "--help"]);
      if (r.code === 0) {
        expect(r.stdout).toContain("--help");
        return;
      }
      const noValue = /'(--[a-z0-9-]+)' does not take an argument/.exec(r.stderr);
      expect(noValue, `rejected: ${r.stderr}`).not.toBeNull();
      bare.add(noValue![1]);
    }
    throw new Error("unreachable");
  });

  const INVALID: { args: string[]; mentions: string }[] = [
    { args: ["--foo"], mentions: "--foo" },
    { args: ["--epochs", "0"], mentions: "--epochs" },
    { args: ["--epochs", "abc"], mentions: "--epochs" },
    { args: ["--epochs", "2.5"], mentions: "--epochs" },
    { args: ["--lr", "-1"], mentions: "--lr" },
    { args: ["--lr=-1"], mentions: "--lr" },
    { args: ["--lr", "0"], mentions: "--lr" },
    { args: ["--lr", "nan"], mentions: "--lr" },
    { args: ["--lr"], mentions: "--lr" },
    { args: ["--model", "cnn"], mentions: "--model" },
    { args: ["--hidden", "0"], mentions: "--hidden" },
    { args: ["--seed", "-1"], mentions: "--seed" },
    { args: ["--every", "0"], mentions: "--every" },
    { args: ["--normalize", "minmax"], mentions: "--normalize" },
    { args: ["--kernels", "gpu"], mentions: "--kernels" },
    { args: ["--lr-schedule", "linear"], mentions: "--lr-schedule" },
    { args: ["--json=yes"], mentions: "--json" },
    { args: ["extra"], mentions: "extra" },
    { args: ["--epochs", "5", "extra"], mentions: "extra" },
  ];

  it.each(INVALID)("$args: exit 2, one line on stderr naming it, no stack, empty stdout", async ({ args, mentions }) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.endsWith("\n")).toBe(true);
    expect(r.stderr.split("\n").length, r.stderr).toBe(2); // one line and its newline
    expect(r.stderr).not.toMatch(/^\s*at /m);
    expect(r.stderr).toContain(mentions);
  });
});
