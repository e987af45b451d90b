// The package as others get it: npm pack, install the tarball into an empty folder elsewhere, import it,
// train a little, predict; and run its CLI from there.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
let dir: string;
let app: string;

beforeAll(() => {
  execFileSync(process.execPath, [join(root, "scripts/build.mjs"), "--if-stale"], { cwd: root, stdio: "pipe" });
  dir = mkdtempSync(join(tmpdir(), "wasm-mlp-pack-"));
  execFileSync(npm, ["pack", "--silent", "--pack-destination", dir], { cwd: root, stdio: "pipe" });
  const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
  app = join(dir, "app");
  execFileSync("mkdir", [app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  execFileSync(npm, ["install", "--no-audit", "--no-fund", "--silent", join(dir, tgz)], { cwd: app, stdio: "pipe" });
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

  it("ships type declarations, the three wasm builds and the data, and nothing from the repo's tests", () => {
    const pkg = join(app, "node_modules", "wasm-mlp");
    const files = readdirSync(pkg, { recursive: true }).map(String);
    for (const f of ["dist/src/index.d.ts", "dist/build/kernels.simd.wasm", "dist/build/kernels.scalar.wasm", "dist/build/kernels.relaxed.wasm", "dist/data/digits.csv.gz"]) {
      expect(files).toContain(f);
    }
    expect(files.some((f) => f.startsWith("test") || f.startsWith("assembly") || f.includes("node_modules"))).toBe(false);
  });

  it("its train CLI runs from the installed package", () => {
    const out = execFileSync(join(app, "node_modules", ".bin", "wasm-mlp-train"), ["--epochs", "3", "--every", "1", "--json"], { cwd: app, encoding: "utf8" });
    const lines = out.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[3].epochs).toBe(3);
  });
});
