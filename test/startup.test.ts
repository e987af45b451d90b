// Start-up: the path from import to the first epoch loads nothing it does not need. In Node, the first touch
// of the Response global loads undici (~30 ms: its HTTP parser is a wasm module of its own) and the first
// use of `performance` loads perf_hooks (~1 ms); reading local files and bytes needs neither.

import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ensureBuilt, ROOT } from "./robustness/helpers.js";

beforeAll(() => ensureBuilt(), 120_000);

const PROBE = `
const lib = await import(${JSON.stringify(join(ROOT, "dist/src/index.js"))});
const data = await lib.loadDigits();
await lib.loadCsv(new TextEncoder().encode("1,2,0\\n3,4,1\\n"));
await lib.loadDigits(${JSON.stringify(join(ROOT, "data/digits.csv.gz"))});
const model = await lib.MLP.create({ layers: [64, 8, 10], seed: 1 });
model.fit(data.X, data.y, { epochs: 2, every: 1, onReport() {} });
await lib.MLP.fromBytes(model.toBytes());
await lib.MLP.fromBytes(model.toBytes().buffer);
model.predict(data.X);
if (process.argv[1] === "touch") void Response;
console.log(JSON.stringify(process.moduleLoadList.filter((m) => /undici|perf_hooks/.test(m))));
`;

const loaded = (arg = "") => {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", PROBE, arg], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout) as string[];
};

describe("from import to trained model in Node", () => {
  it("loads neither undici nor perf_hooks", () => {
    expect(loaded()).toEqual([]);
  });

  it("(and the probe would see them: touching Response loads undici)", () => {
    expect(loaded("touch").some((m) => m.includes("undici"))).toBe(true);
  });
});
