// npm run train, predict, evaluate, bench, test, build:web: `node scripts/run.mjs ENTRY [args...]` builds
// whatever is stale (a few stat calls when nothing is), then runs ENTRY, a Node script, in this same
// process with the remaining arguments, as if it had been started as `node ENTRY args...`.

import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "./build.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error("usage: node scripts/run.mjs ENTRY [args...]");
  process.exit(2);
}

try {
  // a first run builds for several seconds: say so on stderr (stdout may be a pipe of JSON lines)
  await build({ ifStale: true, say: (line) => process.stderr.write(`wasm-mlp: ${line}\n`) });
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
const script = resolve(root, entry);
process.argv = [process.argv[0], script, ...args];
await import(pathToFileURL(script).href);
