// How a script of this folder ends when it is run as `node scripts/NAME.mjs` rather than imported: its
// main's error as one line on stderr and exit status 1, no stack trace.

import { pathToFileURL } from "node:url";

/** Runs `main(args)` when the module at `url` (its import.meta.url) is the script Node was started with. */
export async function runIfMain(url, main) {
  if (!process.argv[1] || url !== pathToFileURL(process.argv[1]).href) return;
  try {
    await main(process.argv.slice(2));
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
