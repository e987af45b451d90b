// The package as others get it: npm pack, install the tarball into an empty folder elsewhere, import it,
// train a little, predict; and run its CLI from there.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packedApp } from "./packed.js";

const root = fileURLToPath(new URL("..", import.meta.url));
let dir: string;
let app: string;
let tarball: string;

beforeAll(async () => {
  ({ dir, app, tarball } = await packedApp("wasm-mlp-pack-"));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm pack -> install -> use", () => {
  it("imports, trains on the bundled digits, predicts, saves and reloads", () => {
    writeFileSync(
      join(app, "use.mjs"),
      `import { loadDigits, MLP, KERNEL_BUILDS } from "wasm-mlp";
const d = await loadDigits();
const m = await MLP.create({ layers: [64, 32, 10], seed: 42 });
const s = m.fit(d.X, d.y, { epochs: 300 });
const again = await MLP.fromBytes(m.toBytes());
const p = again.predict(d.X);
let ok = 0; for (let i = 0; i < d.n; i++) ok += p[i] === d.y[i] ? 1 : 0;
console.log(JSON.stringify({ n: d.n, accuracy: s.accuracy, reloaded: ok / d.n, kernels: s.kernels, builds: KERNEL_BUILDS }));
`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ["use.mjs"], { cwd: app, encoding: "utf8" }));
    expect(out.n).toBe(1797);
    expect(out.accuracy).toBeGreaterThan(0.95);
    expect(out.reloaded).toBeCloseTo(out.accuracy, 12);
    expect(out.builds).toContain(out.kernels);
  });

  it("runs the README's low-level example verbatim and prints what its comment says", () => {
    const blocks = [...readFileSync(join(root, "README.md"), "utf8").matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    const example = blocks.filter((b) => b.includes("new Arena("));
    expect(example, "README.md has one ```js block that makes an Arena").toHaveLength(1);
    const printed = /console\.log\(.*\/\/ (.*)$/m.exec(example[0])![1].trim();
    writeFileSync(join(app, "low-level.mjs"), example[0]);
    const out = execFileSync(process.execPath, ["low-level.mjs"], { cwd: app, encoding: "utf8" }).trim();
    expect(out).toBe(printed);
  });

  it("ships type declarations, the three wasm builds and the data, and nothing from the repo's tests", () => {
    const pkg = join(app, "node_modules", "wasm-mlp");
    const files = readdirSync(pkg, { recursive: true }).map(String);
    const builds = ["scalar", "simd", "relaxed"].flatMap((b) => [`dist/build/kernels.${b}.wasm`, `dist/build/kernels.${b}.js`]);
    for (const f of ["LICENSE", "README.md", "dist/src/index.d.ts", ...builds, "dist/build/digits.js", "dist/data/digits.csv.gz"]) {
      expect(files).toContain(f);
    }
    expect(files.some((f) => f.startsWith("test") || f.startsWith("assembly") || f.includes("node_modules"))).toBe(false);
  });

  it("installs one wasm-mlp command whose train prints the original's table as the README shows it, and whose predict and evaluate read the model it saves", () => {
    const bin = join(app, "node_modules", ".bin", "wasm-mlp");
    const run = (...args: string[]) => spawnSync(bin, args, { cwd: app, encoding: "utf8" });
    const transcript = /```\n\$ npm run train\n([\s\S]*?)```/.exec(readFileSync(join(root, "README.md"), "utf8"))![1];
    const epochs = (text: string) => text.split("\n").filter((l) => l.startsWith("Epoch "));
    const trained = run("train", "--save", "m.wmlp");
    expect(trained.status, trained.stderr).toBe(0);
    expect(epochs(trained.stdout)).toEqual(epochs(transcript));
    expect(epochs(trained.stdout)).toHaveLength(10);
    const digits = join(app, "node_modules", "wasm-mlp", "dist", "data", "digits.csv.gz");
    const evaluated = run("evaluate", "--model", "m.wmlp", "--data", digits);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/^1797 rows \| Acc: 99\.7% \| Loss: 0\.0315\n/);
    const predicted = run("predict", "--model", "m.wmlp", "--data", digits, "--json");
    expect(predicted.stdout.trim().split("\n")).toHaveLength(1797 + 1);
    const help = run("--help");
    expect(help.stdout).toMatch(/^Usage: wasm-mlp COMMAND/);
    for (const c of ["train", "predict", "evaluate", "export"]) expect(help.stdout).toContain(`  ${c} `);
    const unknown = run("tran");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe('wasm-mlp: unknown command "tran": the commands are train, predict, evaluate, export (see wasm-mlp --help)\n');
    const badFlag = run("train", "--epochs", "0");
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr).toMatch(/^wasm-mlp train: --epochs must be between 1 and/);
  });

  it("lists, in the tarball, the built package and nothing else", () => {
    const listed = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n").map((f) => f.replace(/^package\//, ""));
    const unexpected = listed.filter((f) => !/^(dist\/(src|build|data)\/|README\.md$|LICENSE$|package\.json$)/.test(f));
    expect(unexpected).toEqual([]);
    expect(listed).toContain("dist/src/cli/wasm-mlp.js");
    expect(listed.some((f) => f.includes("reference"))).toBe(false);
  });

  it("CommonJS require() works (Node's require of ES modules, which engines promises)", () => {
    const pkg = JSON.parse(readFileSync(join(app, "node_modules", "wasm-mlp", "package.json"), "utf8"));
    expect(pkg.engines.node).toBe("^20.19.0 || >=22.12.0");
    writeFileSync(
      join(app, "use.cjs"),
      `const { loadDigits, MLP, DataError } = require("wasm-mlp");
loadDigits().then(async (d) => {
  const m = await MLP.create({ layers: [64, 8, 10], seed: 1 });
  console.log(JSON.stringify({ n: d.n, epochs: m.fit(d.X, d.y, { epochs: 2 }).epochs, error: DataError.prototype.name }));
});
`,
    );
    const r = spawnSync(process.execPath, ["use.cjs"], { cwd: app, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ n: 1797, epochs: 2, error: "DataError" });
  });

  it("its declarations compile in a Node-only TypeScript project (no DOM lib) with skipLibCheck false, and with DOM or WebWorker", () => {
    // the repository's TypeScript and @types/node stand in for the consumer's own
    mkdirSync(join(app, "node_modules", "@types"), { recursive: true });
    symlinkSync(join(root, "node_modules", "@types", "node"), join(app, "node_modules", "@types", "node"));
    symlinkSync(join(root, "node_modules", "undici-types"), join(app, "node_modules", "undici-types"));
    writeFileSync(
      join(app, "main.ts"),
      `import { loadDigits, MLP, DataError, compileKernels, type FitOptions, type KernelChoice } from "wasm-mlp";
const data = await loadDigits();
const kernels: KernelChoice = { build: "simd", source: new Uint8Array(8) };
const model = await MLP.create({ layers: [64, 32, 10], seed: 42, kernels: kernels && "auto" });
const options: FitOptions = { epochs: 10 };
const again = await MLP.fromBytes(new URL("file:///m.wmlp"));
const module: WebAssembly.Module = (await compileKernels()).module;
console.log(model.fit(data.X, data.y, options).accuracy, again.predict(data.X).length, new DataError("x").name, module);
// and the types are checked: tsc fails on an unused @ts-expect-error
// @ts-expect-error seed is a number
await MLP.create({ layers: [64, 10], seed: "42" });
`,
    );
    const tsc = (lib: string[], types: string[]) => {
      const compilerOptions = { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", lib, types, strict: true, skipLibCheck: false, noEmit: true };
      writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["main.ts"] }));
      return spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", app], { encoding: "utf8" });
    };
    for (const [lib, types] of [[["ES2022"], ["node"]], [["ES2022", "DOM"], ["node"]], [["ES2022", "WebWorker"], []]]) {
      const r = tsc(lib, types);
      expect(r.stdout + r.stderr, `lib ${lib}, types ${types}`).toBe("");
      expect(r.status).toBe(0);
    }
  });

  it("its train CLI runs from the installed package", () => {
    const out = execFileSync(join(app, "node_modules", ".bin", "wasm-mlp-train"), ["--epochs", "3", "--every", "1", "--json"], { cwd: app, encoding: "utf8" });
    const lines = out.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[3].epochs).toBe(3);
  });
});
