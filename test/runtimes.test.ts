// The same bits in every runtime people use: the packed tarball, installed in a fresh app, trains under
// Node, Bun and Deno (the npm packages bun and deno bring their binaries: devDependencies), on one thread
// and on two, and every run's model file has the same SHA-256 (the simd build: the same arithmetic in any
// engine; a relaxed build may fuse multiply-adds in one engine and not another).

import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inCi } from "./e2e/chromium.js";
import { packedApp } from "./packed.js";
import { ROOT } from "./robustness/helpers.js";

const BIN = (name: string) => join(ROOT, "node_modules", ".bin", name);
const runtimes: [string, string[]][] = [
  ["node", [process.execPath]],
  ["bun", [BIN("bun")]],
  ["deno", [BIN("deno"), "run", "-A"]],
];
const missing = runtimes.filter(([, cmd]) => !existsSync(cmd[0])).map(([name]) => name);
const skip = missing.length > 0 && !inCi();
if (skip) process.stderr.write(`runtimes test skipped: ${missing.join(" and ")} not installed (npm ci installs the bun and deno packages). (With CI=true this fails.)\n`);

const SCRIPT = `import { loadDigits, MLP } from "wasm-mlp";
const d = await loadDigits();
const out = {};
for (const threads of [1, 2]) {
  const m = await MLP.create({ layers: [64, 16, 10], seed: 7, kernels: "simd", threads });
  const s = m.fit(d.X, d.y, { epochs: 30, batch: 256, optimizer: "adam", threads });
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", m.toBytes()));
  out["threads " + threads] = { hash: Array.from(h, (b) => b.toString(16).padStart(2, "0")).join(""), ran: s.threads, kernels: s.kernels };
  m.dispose();
}
console.log(JSON.stringify(out));
`;

describe.skipIf(skip)("the packed library in Node, Bun and Deno", () => {
  let dir: string, app: string;
  beforeAll(async () => {
    ({ dir, app } = await packedApp("wasm-mlp-runtimes-"));
    writeFileSync(join(app, "same.mjs"), SCRIPT);
  }, 240_000);
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  it("trains to byte-identical model files in each, on one thread and on two", () => {
    if (missing.length) throw new Error(`${missing.join(" and ")} not installed: run npm ci (the bun and deno packages are devDependencies)`);
    const hashes: Record<string, unknown> = {};
    for (const [name, [cmd, ...args]] of runtimes) {
      const r = spawnSync(cmd, [...args, "same.mjs"], { cwd: app, encoding: "utf8", timeout: 120_000 });
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
      for (const [threads, v] of Object.entries(out) as [string, { hash: string; ran: number; kernels: string }][]) {
        expect(v.kernels, `${name} ${threads}`).toBe("simd");
        expect(v.ran, `${name} ${threads}: the threads that ran`).toBe(Number(threads.split(" ")[1]));
        hashes[`${name}, ${threads}`] = v.hash;
      }
    }
    expect(new Set(Object.values(hashes)).size, JSON.stringify(hashes, null, 1)).toBe(1);
  }, 300_000);
});
