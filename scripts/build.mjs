// Builds the three kernel builds (scalar, simd, relaxed) with asc and the TypeScript host with tsc.
//
//   node scripts/build.mjs              everything, from scratch
//   node scripts/build.mjs --if-stale   only what is older than its inputs (nothing, usually)
//
// `build({ ifStale: true })` is the same check as a function: scripts/run.mjs calls it in the process that
// then runs the tool (npm run train, test, bench, ...), so finding that nothing changed costs a few stat
// calls, not a second Node process.

import { readdirSync, statSync, existsSync, mkdirSync, copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const targets = ["scalar", "simd", "relaxed"];
const wasmOut = targets.map((t) => `build/kernels.${t}.wasm`);

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

/**
 * Builds the kernels and the host; with `ifStale`, only the parts whose outputs are older than their inputs.
 * Throws when asc or tsc fails (their messages are already on stderr).
 */
export async function build({ ifStale = false } = {}) {
  const wasmStale = !ifStale || newest(["assembly", "asconfig.json", "package-lock.json"]) > oldest(wasmOut);
  const hostStale = !ifStale || newest(["src", "bench", "tsconfig.json", "package-lock.json"]) > oldest(["dist/src/cli/train.js"]);

  if (wasmStale) {
    const { default: asc } = await import("assemblyscript/asc");
    for (const target of targets) {
      const { error } = await asc.main(["--config", join(root, "asconfig.json"), "--target", target], { stderr: process.stderr });
      if (error) throw new Error(`asc (${target}) failed: ${error.message}`);
    }
  }

  // dist/ is the package: the host's JS next to copies of the wasm builds and the digits data, at the same
  // relative paths (../build, ../data) that src/ sees in the repository.
  for (const f of [...wasmOut, "data/digits.csv.gz"]) {
    const from = join(root, f), to = join(root, "dist", f);
    if (!existsSync(to) || statSync(from).mtimeMs > statSync(to).mtimeMs) {
      mkdirSync(join(to, ".."), { recursive: true });
      copyFileSync(from, to);
    }
  }

  if (hostStale) {
    // from scratch, so the JS of a deleted source file does not linger in dist/ (and in the package)
    for (const d of ["dist/src", "dist/bench"]) rmSync(join(root, d), { recursive: true, force: true });
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.json")], { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`tsc failed (exit ${r.status ?? r.signal})`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await build({ ifStale: process.argv.includes("--if-stale") });
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
