// The demo page's build: `vite build --config web/vite.config.ts` → dist/web, with relative URLs so the
// folder works from any path. The repository's root vite/vitest configs are for the library's tests.

import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Cross-origin isolation, as scripts/serve.mjs sends it: the page may share memory with its workers. */
const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

export default defineConfig({
  root: here("."),
  base: "./",
  // nothing to copy verbatim: the library imports the digits and the kernels as JS chunks
  publicDir: false,
  build: {
    outDir: here("../dist/web"),
    emptyOutDir: true,
    target: "es2022",
  },
  // module workers, so the worker can share chunks with the page and fetch only the kernel build it runs
  worker: { format: "es" },
  server: { fs: { allow: [here("..")] }, headers: ISOLATION },
  preview: { headers: ISOLATION },
});
