// Preloaded with `node --import` into a CLI run to hold a save half-way: the atomic writer's temporary file
// (a path ending in .tmp) gets half its bytes, then the write waits WMLP_STALL_MS milliseconds (30 s by
// default) before the rest, with the event loop free, so a test can interrupt the process in the middle of
// the real save.

import { createRequire, syncBuiltinESMExports } from "node:module";

const fsp = createRequire(import.meta.url)("node:fs/promises");
const stallMs = Number(process.env.WMLP_STALL_MS ?? 30_000);
const open = fsp.open;

fsp.open = async (path, ...rest) => {
  const fh = await open(path, ...rest);
  if (String(path).endsWith(".tmp")) {
    fh.writeFile = async (data) => {
      const b = Buffer.from(data);
      await fh.write(b, 0, b.length >> 1, 0);
      await fh.sync();
      await new Promise((r) => setTimeout(r, stallMs));
      await fh.write(b, b.length >> 1, b.length - (b.length >> 1), b.length >> 1);
    };
  }
  return fh;
};

syncBuiltinESMExports();
