// The package as others get it: built, packed with `npm pack`, and installed from the tarball into a fresh
// app in a temporary folder. Offline: the package has no dependencies, so npm needs no registry.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, ROOT } from "./robustness/helpers.js";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** A temporary folder holding the packed tarball and `app/`, a fresh project with the package installed. */
export async function packedApp(prefix: string): Promise<{ dir: string; app: string }> {
  await ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  execFileSync(npm, ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT, stdio: "pipe" });
  const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
  const app = join(dir, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  execFileSync(npm, ["install", "--offline", "--no-audit", "--no-fund", "--silent", join(dir, tgz)], { cwd: app, stdio: "pipe" });
  return { dir, app };
}
