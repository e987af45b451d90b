// The typed errors: each has a stable name (also after a minifier renames the classes, as every production
// bundle does) and instanceof works down the hierarchy.

import { describe, expect, it } from "vitest";
import { build } from "vite";
import { fileURLToPath } from "node:url";
import * as errors from "../src/errors.js";
import { KernelTrap } from "../src/engine/kernels.js";

const NAMES = ["WasmMlpError", "DataError", "UsageError", "ModelFileError", "DivergenceError"] as const;

type ErrorClass = new (message: string) => Error;

function expectNamed(classes: Record<string, ErrorClass>, base: ErrorClass) {
  for (const name of NAMES) {
    const e = new classes[name]("what went wrong");
    expect(e.name).toBe(name);
    expect(String(e)).toBe(`${name}: what went wrong`);
    expect(e.stack!.split("\n")[0]).toBe(`${name}: what went wrong`);
    expect(e).toBeInstanceOf(classes[name]);
    expect(e).toBeInstanceOf(base);
    expect(e).toBeInstanceOf(Error);
    expect(Object.keys(e)).toEqual([]);
  }
}

describe("error classes", () => {
  it("have their names and the WasmMlpError / Error ancestry", () => {
    expectNamed(errors as unknown as Record<string, ErrorClass>, errors.WasmMlpError);
    expect(new KernelTrap("x").name).toBe("KernelTrap");
    expect(new errors.DataError("x")).not.toBeInstanceOf(errors.UsageError);
  });

  it("keep their names in a minified bundle, where the classes themselves are renamed", async () => {
    const out = await build({
      configFile: false,
      logLevel: "silent",
      build: {
        lib: { entry: fileURLToPath(new URL("../src/errors.ts", import.meta.url)), formats: ["es"], fileName: "errors" },
        minify: true,
        write: false,
      },
    });
    const code = (Array.isArray(out) ? out[0] : out as { output: { code?: string }[] }).output[0].code!;
    expect(code).not.toMatch(/class DataError/);
    const minified = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
    expectNamed(minified, minified.WasmMlpError);
  });
});
