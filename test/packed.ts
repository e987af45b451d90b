// The package as others get it: packed with `npm pack` from a clean copy of the repository (its files as git
// sees them, no build/ and no dist/, so the package must build itself when packed), and installed from the
// tarball into a fresh app in a temporary folder. Offline: the package has no dependencies, so npm needs no
// registry.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./robustness/helpers.js";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** A copy of the repository's files (tracked, and untracked ones git does not ignore) as a fresh clone has them. */
export function cleanCopy(dir: string): string {
  const copy = join(dir, "repo");
  mkdirSync(copy);
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT });
  execFileSync("sh", ["-c", `xargs -0 tar -cf - --ignore-failed-read | tar -xf - -C "${copy}"`], { cwd: ROOT, input: files, stdio: ["pipe", "ignore", "pipe"] });
  // the dependencies `npm ci` would install (a symlink: the tools the build runs, nothing of the package)
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
  return copy;
}

/** A temporary folder holding the packed tarball, the clean copy it was packed from (`repo/`) and `app/`. */
export async function packedApp(prefix: string): Promise<{ dir: string; app: string; tarball: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  execFileSync(npm, ["pack", "--silent", "--pack-destination", dir], { cwd: cleanCopy(dir), stdio: "pipe" });
  const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
  const app = join(dir, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  execFileSync(npm, ["install", "--offline", "--no-audit", "--no-fund", "--silent", join(dir, tgz)], { cwd: app, stdio: "pipe" });
  return { dir, app, tarball: join(dir, tgz) };
}
