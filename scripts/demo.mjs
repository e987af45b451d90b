// `npm run demo`: builds the kernels and host if stale, builds the demo page into dist/web with vite,
// and serves it on localhost (PORT, else 5173; the next free port if that one is taken).

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { serve } from "./serve.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run([join(root, "scripts", "build.mjs"), "--if-stale"]);
run([join(root, "node_modules", "vite", "bin", "vite.js"), "build", "--config", join(root, "web", "vite.config.ts")]);

const wanted = process.env.PORT !== undefined ? Number(process.env.PORT) : 5173;
if (!Number.isInteger(wanted) || wanted < 0 || wanted > 65535) {
  console.error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(1);
}

let served;
try {
  served = await serve(join(root, "dist", "web"), wanted);
} catch (e) {
  if (e.code !== "EADDRINUSE" && e.code !== "EACCES") throw e;
  served = await serve(join(root, "dist", "web"), 0);
  console.log(`port ${wanted} is not available; using ${served.port}`);
}
console.log(`\nwasm-mlp demo: ${served.url}  (Ctrl+C to stop)`);
