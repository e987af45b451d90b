// Which Chromium the browser tests drive, and whether it can run here. Debian's /usr/bin/chromium by
// default, or the binary named by CHROMIUM_PATH; nothing here downloads a browser. Without a runnable
// Chromium the browser tests are skipped with one line saying why and how to enable them, except under CI
// (CI=true, as .ci/run sets), where a missing or broken browser is a failure.

import { accessSync, constants, statSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { LAUNCH_ARGS } from "../../scripts/chromium.mjs";

export const CHROMIUM_ENV = "CHROMIUM_PATH";
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

export { LAUNCH_ARGS };

export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env[CHROMIUM_ENV] || DEFAULT_CHROMIUM;
}

/** CI=true (or 1, yes): a browser that cannot run fails the tests instead of skipping them. */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(true|1|yes)$/i.test(env.CI ?? "");
}

/** Launches the Chromium at `path`, or says in one line why it cannot. */
export async function launchChromium(path: string): Promise<{ browser: Browser; problem?: undefined } | { browser?: undefined; problem: string }> {
  try {
    if (!statSync(path).isFile()) return { problem: `${path} is not a file` };
  } catch {
    return { problem: `${path} does not exist` };
  }
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return { problem: `${path} is not executable` };
  }
  try {
    return { browser: await chromium.launch({ executablePath: path, args: LAUNCH_ARGS, timeout: 60_000 }) };
  } catch (e) {
    const msg = String((e as Error).message);
    const exit = /process did exit: exitCode=(\w+), signal=(\w+)/.exec(msg);
    const why = exit
      ? `it exited with ${exit[2] !== "null" ? `signal ${exit[2]}` : `code ${exit[1]}`}`
      : (msg.split("\n").find((l) => l.trim() !== "") ?? "unknown error").replace(/^browserType\.launch: /, "").trim();
    return { problem: `${path} did not start (${why})` };
  }
}

/** The line printed when the browser tests are skipped, and the message they fail with under CI. */
export function explain(problem: string): string {
  return `${problem}. To run the browser tests, install Debian's chromium (apt-get install chromium) or set ${CHROMIUM_ENV} to a Chromium binary.`;
}

/**
 * Chromium for one test file's browser tests, launched while the file is collected: `skip` is true where none
 * can run here and CI is not set (one line on stderr says why, starting with `label`); `need()`, in the
 * tests' beforeAll, gives the browser, or under CI=true fails with the reason none is usable.
 */
export async function browserForTests(label = "browser tests"): Promise<{ skip: boolean; need: () => Browser }> {
  const launched = await launchChromium(chromiumPath());
  const skip = launched.problem !== undefined && !inCi();
  if (skip) process.stderr.write(`${label} skipped: ${explain(launched.problem!)} (With CI=true this fails.)\n`);
  const need = (): Browser => {
    if (launched.problem !== undefined) throw new Error(`CI=true and no usable browser: ${explain(launched.problem)}`);
    return launched.browser;
  };
  return { skip, need };
}
