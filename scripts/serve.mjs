// A tiny static file server for the demo page (dist/web): GET and HEAD only, no directory listings,
// nothing outside the served folder, the right MIME types (application/wasm lets browsers compile the
// kernels while they download). Used by `npm run demo` and the browser test.
//
//   const { server, url } = await serve("dist/web", 5173);   // port 0: any free port

import { createServer } from "node:http";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";

export const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  // served as is: no Content-Encoding, the page inflates the data itself
  ".gz": "application/gzip",
  ".csv": "text/csv; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/** The headers that make a page cross-origin isolated (SharedArrayBuffer, so wasm threads, need it). */
export const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

/**
 * Serves `dir` on 127.0.0.1:`port` (0 for any free port), cross-origin isolated unless `isolate` is false.
 * Resolves once listening, with the server and its base URL; rejects with the listen error (EADDRINUSE, ...).
 */
export function serve(dir, port = 0, host = "127.0.0.1", { isolate = true } = {}) {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    const send = (code, text) => {
      res.writeHead(code, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(req.method === "HEAD" ? undefined : text);
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return send(405, "method not allowed\n");
    }
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    } catch {
      return send(400, "bad request\n");
    }
    if (path.endsWith("/")) path += "index.html";
    const file = resolve(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return send(403, "forbidden\n");
    let st;
    try {
      st = await stat(file);
    } catch {
      return send(404, "not found\n");
    }
    if (!st.isFile()) return send(404, "not found\n");
    res.writeHead(200, {
      "Content-Type": MIME[extname(file).toLowerCase()] ?? "application/octet-stream",
      "Content-Length": st.size,
      // hashed assets never change; the page itself is always revalidated
      "Cache-Control": file.includes(`${sep}assets${sep}`) ? "public, max-age=31536000, immutable" : "no-cache",
      "X-Content-Type-Options": "nosniff",
      // cross-origin isolation: the page may share memory with workers, so training can use every core
      ...(isolate && ISOLATION),
    });
    if (req.method === "HEAD") return res.end();
    createReadStream(file).on("error", () => res.destroy()).pipe(res);
  });
  return new Promise((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const { port: actual } = server.address();
      resolveListen({ server, port: actual, url: `http://${host === "0.0.0.0" ? "localhost" : host}:${actual}/` });
    });
  });
}
