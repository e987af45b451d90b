// Builds the three kernel builds (scalar, simd, relaxed) with asc and the TypeScript host with tsc.
// With --if-stale it does nothing when every output is newer than every input, so `npm run train`,
// `test` and `bench` can call it on every run.

import { readdirSync, statSync, existsSync, mkdirSync, copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const targets = ["scalar", "simd", "relaxed"];
const ifStale = process.argv.includes("--if-stale");

function newest(paths) {
  let t = 0;
  for (const p of paths) {
    const full = join(root, p);
    if (!existsSync(full)) continue;
    const st = statSync(full);
    // a directory's own mtime changes when a file in it is deleted or renamed
    t = Math.max(t, st.mtimeMs);
    if (st.isDirectory()) t = Math.max(t, newest(readdirSync(full).map((f) => join(p, f))));
  }
  return t;
}

function oldest(paths) {
  let t = Infinity;
  for (const p of paths) {
    const full = join(root, p);
    if (!existsSync(full)) return 0;
    t = Math.min(t, statSync(full).mtimeMs);
  }
  return t;
}

const wasmOut = targets.map((t) => `build/kernels.${t}.wasm`);
const wasmStale = newest(["assembly", "asconfig.json", "package-lock.json"]) > oldest(wasmOut);
const hostStale = newest(["src", "bench", "tsconfig.json", "package-lock.json"]) > oldest(["dist/src/cli/train.js"]);

if (!ifStale || wasmStale) {
  const { default: asc } = await import("assemblyscript/asc");
  for (const target of targets) {
    const { error } = await asc.main(["--config", join(root, "asconfig.json"), "--target", target], { stderr: process.stderr });
    if (error) {
      console.error(`asc (${target}) failed: ${error.message}`);
      process.exit(1);
    }
  }
}

// dist/ is the package: the host's JS next to copies of the wasm builds and the digits data, at the same
// relative paths (../build, ../data) that src/ sees in the repository.
const copies = [...wasmOut, "data/digits.csv.gz"];
for (const f of copies) {
  const from = join(root, f), to = join(root, "dist", f);
  if (!existsSync(to) || statSync(from).mtimeMs > statSync(to).mtimeMs) {
    mkdirSync(join(to, ".."), { recursive: true });
    copyFileSync(from, to);
  }
}

if (!ifStale || hostStale) {
  // from scratch, so the JS of a deleted source file does not linger in dist/ (and in the package)
  for (const d of ["dist/src", "dist/bench"]) rmSync(join(root, d), { recursive: true, force: true });
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.json")], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

