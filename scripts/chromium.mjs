// How the scripts that look at the built page (pictures, screenshots, page-timing, soak-browser) and the
// browser tests start Chromium: Debian's /usr/bin/chromium, or the binary CHROMIUM_PATH names, headless through
// playwright-core. Nothing here downloads a browser.

export const LAUNCH_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Chromium started, or an Error of one line that says which binary would not start and what to do. */
export async function launch(executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium") {
  const { chromium } = await import("playwright-core");
  try {
    return await chromium.launch({ executablePath, args: LAUNCH_ARGS, timeout: 60_000 });
  } catch (e) {
    throw new Error(`cannot start ${executablePath} (${String(e.message).split("\n")[0]}); install Debian's chromium or set CHROMIUM_PATH`);
  }
}

/**
 * Serves the built page in `dir` (cross-origin isolated: scripts/serve.mjs) and starts Chromium, runs
 * `use(browser, url)`, then closes both however it ended.
 */
export async function withServedPage(dir, use) {
  const { serve } = await import("./serve.mjs");
  const { server, url } = await serve(dir, 0);
  let browser;
  try {
    browser = await launch();
    return await use(browser, url);
  } finally {
    await browser?.close();
    await new Promise((r) => server.close(() => r()));
  }
}
