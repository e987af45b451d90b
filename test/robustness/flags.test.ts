// Wrong flags. The long list runs against parseTrainFlags (every problem a UsageError naming the flag); a
// representative set runs through the CLI: exit 2, one line, nothing trained, a model at --save untouched.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { parseTrainFlags } from "../../src/cli/train-flags.js";
import { UsageError, WasmMlpError } from "../../src/errors.js";
import { MLP } from "../../src/model/mlp.js";
import {
  ensureBuilt, expectUntouched, expectUserError, plantFile, predict, smallCsv, tempDir, train, removeTempDirs,
} from "./helpers.js";

afterAll(removeTempDirs);

function usageError(argv: string[]): string {
  let err: unknown;
  try {
    parseTrainFlags(argv);
  } catch (e) {
    err = e;
  }
  expect(err, `expected a UsageError for ${JSON.stringify(argv)}`).toBeInstanceOf(UsageError);
  const msg = (err as Error).message;
  expect(msg).not.toContain("\n");
  return msg;
}

describe("parseTrainFlags (library): every wrong flag is a UsageError naming the flag", () => {
  const cases: [string, string[], (string | RegExp)[]][] = [
    ["unknown flag", ["--epoch", "3"], ["--epoch", /unknown/]],
    ["unknown short flag", ["-e", "3"], ["-e", /unknown/]],
    ["positional argument", ["digits.csv"], ['"digits.csv"', /unexpected/]],
    ["missing value at the end", ["--epochs"], ["--epochs", /needs a value/]],
    ["missing value before another flag", ["--epochs", "--lr", "0.1"], ["--epochs", /needs a value|missing/]],
    ["missing value for --save", ["--save"], ["--save", /needs a value/]],
    ["empty --save", ["--save", ""], ["--save"]],
    ["boolean given a value", ["--json=yes"], ["--json"]],
    ["epochs: text", ["--epochs", "ten"], ["--epochs", '"ten"']],
    ["epochs: fraction", ["--epochs", "1.5"], ["--epochs", '"1.5"']],
    ["epochs: zero", ["--epochs", "0"], ["--epochs", /got 0$/]],
    ["epochs: negative", ["--epochs", "-3"], ["--epochs", /got -3$/]],
    ["epochs: beyond a safe integer", ["--epochs", "99999999999999999999"], ["--epochs"]],
    ["lr: zero", ["--lr", "0"], ["--lr", /greater than 0/, /got 0$/]],
    ["lr: negative", ["--lr", "-0.1"], ["--lr", /got -0\.1$/]],
    ["lr: NaN", ["--lr", "NaN"], ["--lr", /finite/, '"NaN"']],
    ["lr: Infinity", ["--lr", "Infinity"], ["--lr", /finite/]],
    ["lr: huge", ["--lr", "1e300"], ["--lr", /at most/]],
    ["lr: text", ["--lr", "fast"], ["--lr", '"fast"']],
    ["lr: empty", ["--lr="], ["--lr"]],
    ["hidden: zero", ["--hidden", "0"], ["--hidden", /got 0$/]],
    ["hidden: zero in a list", ["--hidden", "32,0"], ["--hidden", /got 0$/]],
    ["hidden: negative", ["--hidden", "-8"], ["--hidden", '"-8"']],
    ["hidden: not a list of integers", ["--hidden", "32;16"], ["--hidden", '"32;16"']],
    ["hidden: absurd", ["--hidden", "99999999999"], ["--hidden", "1048576"]],
    ["hidden with slp", ["--model", "slp", "--hidden", "8"], ["--hidden", "slp"]],
    ["batch: zero", ["--batch", "0"], ["--batch", /got 0$/]],
    ["batch: text", ["--batch", "all"], ["--batch", '"all"']],
    ["test-split: 0", ["--test-split", "0"], ["--test-split", /between 0 and 1/]],
    ["test-split: 1", ["--test-split", "1"], ["--test-split", /between 0 and 1/]],
    ["test-split: 1.5", ["--test-split", "1.5"], ["--test-split", /got 1\.5$/]],
    ["test-split: negative", ["--test-split", "-0.2"], ["--test-split", /got -0\.2$/]],
    ["test-split: NaN", ["--test-split", "NaN"], ["--test-split", /finite/]],
    ["seed: negative", ["--seed", "-1"], ["--seed"]],
    ["seed: above 2^32-1", ["--seed", "4294967296"], ["--seed"]],
    ["kernels: unknown build", ["--kernels", "gpu"], ["--kernels", '"gpu"', "scalar"]],
    ["optimizer: unknown", ["--optimizer", "rmsprop"], ["--optimizer", '"rmsprop"']],
    ["momentum without --optimizer momentum", ["--momentum", "0.5"], ["--momentum"]],
    ["momentum: 1", ["--optimizer", "momentum", "--momentum", "1"], ["--momentum"]],
    ["patience without a split", ["--patience", "3"], ["--patience", "--test-split"]],
    ["both --data and --dataset", ["--data", "a.csv", "--dataset", "digits"], ["--data", "--dataset"]],
    ["every: zero", ["--every", "0"], ["--every"]],
  ];
  it.each(cases)("%s", (_name, argv, patterns) => {
    const msg = usageError(argv);
    for (const p of patterns) typeof p === "string" ? expect(msg).toContain(p) : expect(msg).toMatch(p);
  });

  it("the limits themselves are accepted", () => {
    const c = parseTrainFlags(["--epochs", "1", "--lr", "1e6", "--hidden", "1,1048576", "--test-split", "0.999", "--batch", "1"]);
    expect(c).not.toBe("help");
    if (c === "help") return;
    expect([c.epochs, c.lr, c.hidden, c.testSplit, c.batch]).toEqual([1, 1e6, [1, 1048576], 0.999, 1]);
  });
});

describe("MLP (library): sizes that cannot fit in wasm memory are refused before allocating", () => {
  it("create() with 100000x100000 hidden weights says how much memory it would need", async () => {
    const t0 = performance.now();
    let err: unknown;
    try {
      await MLP.create({ layers: [64, 100000, 100000, 10], kernels: "scalar" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WasmMlpError);
    expect((err as Error).message).toMatch(/\d+(\.\d+)? GiB/);
    expect((err as Error).message).toMatch(/4 GiB/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it("fit() refuses data + network that cannot fit, with the size", async () => {
    // small weights, but 600,000 rows of 2000 hidden activations is 4.5 GiB
    const m = await MLP.create({ layers: [4, 2000, 2], kernels: "scalar", seed: 1 });
    const n = 600_000;
    const X = new Float32Array(n * 4).fill(1), y = new Uint8Array(n).map((_, i) => i % 2);
    expect(() => m.fit(X, y, { epochs: 1 })).toThrow(WasmMlpError);
    expect(() => m.fit(X, y, { epochs: 1 })).toThrow(/GiB/);
  });
});

describe.concurrent("CLI: wrong flags exit 2 with one line, before any work", () => {
  let dir: string;
  let planted = 0;
  beforeAll(async () => {
    await ensureBuilt();
    dir = await tempDir();
    await writeFile(join(dir, "small.csv"), smallCsv(40, 8, 3));
  }, 120_000);

  async function flagFails(args: string[], mentions: (string | RegExp)[], opts: { stdoutEmpty?: boolean; timeoutMs?: number } = {}) {
    const name = `existing-${++planted}.wmlp`;
    const existing = await plantFile(join(dir, name), "WMLP-do-not-touch");
    // --save first, so a test can end the command line with a flag that lacks its value
    const r = await train(["--save", name, ...args], { cwd: dir, timeoutMs: opts.timeoutMs });
    const line = expectUserError(r, { tool: "train", code: 2, mentions, stdoutEmpty: opts.stdoutEmpty ?? true });
    await expectUntouched(existing);
    return { r, line };
  }

  it("unknown flag", () => flagFails(["--epoch", "3"], ["--epoch", /unknown/]));
  it("missing value (last flag)", () => flagFails(["--data", "small.csv", "--lr"], ["--lr", /needs a value/]));
  it("missing value (followed by another flag)", () => flagFails(["--epochs", "--lr", "0.1"], ["--epochs", /needs a value|missing/]));
  it("wrong type", () => flagFails(["--epochs", "many"], ["--epochs", '"many"']));
  it("zero epochs", () => flagFails(["--epochs", "0"], ["--epochs", "0"]));
  it("negative epochs", () => flagFails(["--epochs", "-5"], ["--epochs", "-5"]));
  it("learning rate 0", () => flagFails(["--lr", "0"], ["--lr", "0"]));
  it("negative learning rate", () => flagFails(["--lr", "-1"], ["--lr", "-1"]));
  it("NaN learning rate", () => flagFails(["--lr", "NaN"], ["--lr", "NaN"]));
  it("huge learning rate", () => flagFails(["--lr", "1e9"], ["--lr", /at most/]));
  it("hidden size 0", () => flagFails(["--hidden", "0"], ["--hidden", "0"]));
  it("hidden size absurd (beyond the flag's limit)", () => flagFails(["--hidden", "5000000"], ["--hidden", "5000000"]));
  it("split outside (0,1)", () => flagFails(["--test-split", "1.5"], ["--test-split", "1.5"]));
  it("split 0", () => flagFails(["--test-split", "0"], ["--test-split"]));

  it("batch larger than the data (digits: 1797 rows)", () =>
    flagFails(["--epochs", "1", "--batch", "5000"], ["--batch 5000", "1797"], { stdoutEmpty: true }));

  // Hidden sizes the flag parser accepts but wasm memory cannot hold: refused fast (no allocating 4 GB of
  // weights first) with the size it would need. A correct check is arithmetic: the whole run takes ~0.3 s.
  it("hidden 100000,100000: refused at once, saying how much memory it would need", async () => {
    const { r } = await flagFails(["--data", "small.csv", "--epochs", "1", "--hidden", "100000,100000"], [/\d+(\.\d+)? GiB/, /4 GiB/], {
      stdoutEmpty: false,
      timeoutMs: 4000,
    });
    expect(r.ms).toBeLessThan(3000);
  });

  it("hidden 30000,30000 (weights fit, the training arena does not): refused before initialising 900M weights", async () => {
    const { r } = await flagFails(["--data", "small.csv", "--epochs", "1", "--hidden", "30000,30000"], [/\d+(\.\d+)? GiB/, /4 GiB/], {
      stdoutEmpty: false,
      timeoutMs: 4000,
    });
    expect(r.ms).toBeLessThan(3000);
  });

  it("predict: unknown flag, missing --model, missing value", async () => {
    for (const [args, mentions] of [
      [["--modle", "m.wmlp"], ["--modle"]],
      [["--data", "small.csv"], ["--model", /required/]],
      [["--data", "small.csv", "--model"], ["--model", /needs a value/]],
      [["--model", "m.wmlp", "--data", "small.csv", "--kernels", "gpu"], ["--kernels"]],
    ] as [string[], (string | RegExp)[]][]) {
      const r = await predict(args, { cwd: dir });
      expectUserError(r, { tool: "predict", code: 2, mentions, stdoutEmpty: true });
    }
  });
});
