// One source for the kernel interface: src/engine/kernel-api.ts is what scripts/kernel-api.mjs makes from
// the AssemblyScript today (a stale copy fails here), and every build's exports are exactly the functions it
// lists, with its parameter counts, its scratch size and the flag values gemm.ts defines.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileKernels, KERNEL_BUILDS } from "../src/engine/kernels.js";
import { GEMM_SCRATCH_BYTES, GemmFlags, KERNEL_ARITY, KERNEL_FUNCTIONS } from "../src/engine/kernel-api.js";
import { newMemory } from "../src/engine/shared-memory.js";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("the kernel interface", () => {
  it("src/engine/kernel-api.ts is what the build generates from assembly/ now", async () => {
    const { kernelApi, KERNEL_API } = await import(join(root, "scripts/kernel-api.mjs"));
    expect(readFileSync(join(root, KERNEL_API), "utf8")).toBe(kernelApi(root, GEMM_SCRATCH_BYTES));
  });

  it("gemm's flags are the values assembly/gemm.ts defines", () => {
    const gemm = readFileSync(join(root, "assembly/gemm.ts"), "utf8");
    for (const [name, value] of Object.entries(GemmFlags)) {
      const asName = name === "INIT_ACC" ? name : `EPI_${name}`;
      expect(gemm, asName).toMatch(new RegExp(`export const ${asName}: i32 = ${value};`));
    }
  });

  for (const build of KERNEL_BUILDS) {
    it(`the ${build} build exports exactly those functions, with those parameter counts, and that scratch size`, async () => {
      const { module } = await compileKernels(build);
      const { exports } = new WebAssembly.Instance(module, { env: { memory: newMemory(8), step_check: () => {} } });
      const fns = Object.entries(exports).filter(([, v]) => typeof v === "function");
      expect(fns.map(([name]) => name)).toEqual([...KERNEL_FUNCTIONS]);
      for (const [name, f] of fns) expect((f as (...a: number[]) => unknown).length, name).toBe(KERNEL_ARITY[name as keyof typeof KERNEL_ARITY]);
      expect(Number((exports.GEMM_SCRATCH_BYTES as WebAssembly.Global).value)).toBe(GEMM_SCRATCH_BYTES);
    });
  }
});
