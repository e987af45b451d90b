// The demo page's build: `vite build --config web/vite.config.ts` → dist/web, with relative URLs so the
// folder works from any path. The repository's root vite/vitest configs are for the library's tests.

import { defineConfig, type Plugin } from "vite";
import { fileURLToPath } from "node:url";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

/**
 * The library reaches for node:fs and node:v8 only when it runs in Node (behind `isNode` checks, through
 * dynamic imports). In the page those imports become a module that throws if it is ever loaded, instead
 * of vite's "externalized for browser compatibility" stand-in and its warnings.
 */
const nodeBuiltinsStub: Plugin = {
  name: "wasm-mlp:node-builtins-stub",
  enforce: "pre",
  resolveId(id) {
    return id.startsWith("node:") ? `\0node-stub:${id}` : undefined;
  },
  load(id) {
    if (!id.startsWith("\0node-stub:")) return undefined;
    const name = id.slice("\0node-stub:".length);
    return `throw new Error(${JSON.stringify(`${name} is not available in browsers`)});`;
  },
};

export default defineConfig({
  plugins: [nodeBuiltinsStub],
  root: here("."),
  base: "./",
  // nothing to copy verbatim: the data and the kernels are imported as assets
  publicDir: false,
  build: {
    outDir: here("../dist/web"),
    emptyOutDir: true,
    target: "es2022",
    // the digits and the kernels must stay files (fetched and compiled by URL), never inlined
    assetsInlineLimit: 0,
  },
  // module workers, so the worker can share chunks with the page and import the library as ESM
  worker: { format: "es", plugins: () => [nodeBuiltinsStub] },
  // cross-origin isolation, as scripts/serve.mjs sends it: the page may share memory with its workers
  server: { fs: { allow: [here("..")] }, headers: ISOLATION },
  preview: { headers: ISOLATION },
});
