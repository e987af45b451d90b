// `npm run demo`: builds the kernels and host if stale, builds the demo page into dist/web with vite,
// and serves it on localhost (PORT, else 5173; the next free port if that one is taken). All in this one
// process: the staleness check and both builds run here, not in child processes.

import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { build } from "./build.mjs";
import { serve } from "./serve.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

try {
  await build({ ifStale: true });
  const vite = await import("vite");
  await vite.build({ configFile: join(root, "web", "vite.config.ts") });
} catch (e) {
  console.error(e.message);
  process.exit(1);
}

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
