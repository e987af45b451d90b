// The edge between a command-line tool and the user: typed user errors become one line and an exit code;
// anything else is a bug and keeps its stack.

import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { UsageError, WasmMlpError } from "../errors.js";

/**
 * Whether the module at `url` is the script Node was started with (directly, through npm's bin symlink, or
 * through scripts/run.mjs), rather than imported by another command.
 */
export function isMain(url: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === url;
  } catch {
    return false;
  }
}

export async function runCli(tool: string, main: (argv: string[]) => Promise<void>): Promise<void> {
  // a reader that stops early (`npm run train | head`) is not an error: stop quietly, as Unix tools do
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
  try {
    await main(process.argv.slice(2));
  } catch (e) {
    if (e instanceof WasmMlpError) {
      process.stderr.write(`${tool}: ${e.message}\n`);
      process.exitCode = e instanceof UsageError ? 2 : 1;
      return;
    }
    throw e;
  }
}
