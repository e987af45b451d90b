// Preloaded with `node --import` into a CLI run to simulate a crash (power cut, kill -9) at a chosen point
// of a save, in the real code path: WMLP_CRASH_AT=write kills the process after half of the temporary file
// is written; WMLP_CRASH_AT=rename kills it after the temporary file is complete, just before the rename.
// Only writes of files ending in .tmp (the atomic-write scratch file) are affected. It patches the CommonJS
// exports of node:fs/promises and syncs them into the ES module bindings the CLI imports.

import { createRequire, syncBuiltinESMExports } from "node:module";

const require = createRequire(import.meta.url);
const fsp = require("node:fs/promises");
const at = process.env.WMLP_CRASH_AT;
const isTmp = (p) => String(p).endsWith(".tmp");
const die = () => process.kill(process.pid, "SIGKILL");

if (at === "rename") {
  const rename = fsp.rename;
  fsp.rename = async (from, to) => {
    if (isTmp(from)) die();
    return rename(from, to);
  };
}

if (at === "write") {
  const open = fsp.open;
  fsp.open = async (path, ...rest) => {
    const fh = await open(path, ...rest);
    if (isTmp(path)) {
      fh.writeFile = async (data) => {
        const b = Buffer.from(data);
        await fh.write(b, 0, b.length >> 1, 0);
        await fh.sync();
        die();
      };
    }
    return fh;
  };
}

// any direct write to a path not ending in .tmp (a non-atomic save) is also a crash point: half, then die
if (at === "write") {
  const writeFile = fsp.writeFile;
  fsp.writeFile = async (path, data, ...rest) => {
    if (!isTmp(path) && /\.wmlp$/.test(String(path))) {
      const b = Buffer.from(data);
      await writeFile(path, b.subarray(0, b.length >> 1), ...rest);
      die();
    }
    return writeFile(path, data, ...rest);
  };
}

syncBuiltinESMExports();
