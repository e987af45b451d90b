// Loading the kernel module: build detection, and compiling from a Response whatever its MIME type.

import { describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { compileKernels, compileModule, engineSupports, KERNEL_BUILDS, type KernelBuild } from "../src/engine/kernels.js";
import { WasmMlpError } from "../src/errors.js";

/** The .wasm files the build writes beside their JS modules (and the package ships for hosting elsewhere). */
const kernelUrl = (build: KernelBuild) => new URL(`../build/kernels.${build}.wasm`, import.meta.url);

describe("kernel loading", () => {
  it("this engine runs every build (Node 20 gets relaxed SIMD through V8's flag), and auto picks relaxed", async () => {
    for (const b of KERNEL_BUILDS) expect(await engineSupports(b)).toBe(true);
    expect((await compileKernels("auto")).build).toBe("relaxed");
  });

  it("compiles from a Response with the right MIME type, and falls back when a server sends the wrong one", async () => {
    const bytes = await readFile(kernelUrl("simd"));
    for (const type of ["application/wasm", "application/octet-stream", "text/plain"]) {
      const module = await compileModule(new Response(bytes, { headers: { "content-type": type } }));
      expect(WebAssembly.Module.exports(module).map((e) => e.name)).toContain("gemm_nn");
    }
  });

  it("a user-supplied relaxed module compiles from bytes, and a relative path resolves against the working directory", async () => {
    const { MLP } = await import("../src/model/mlp.js");
    const { relative } = await import("node:path");
    const bytes = await readFile(kernelUrl("relaxed"));
    expect((await MLP.create({ layers: [4, 2], kernels: { build: "relaxed", source: bytes } })).kernels.build).toBe("relaxed");
    const path = relative(process.cwd(), kernelUrl("simd").pathname);
    expect(path.startsWith("/")).toBe(false);
    expect(WebAssembly.Module.exports(await compileModule(path)).length).toBeGreaterThan(10);
  });

  it("a missing module is a clear error, not a compile error on an HTML page", async () => {
    await expect(compileModule(new Response("<html>not found</html>", { status: 404 }))).rejects.toThrow(WasmMlpError);
    await expect(compileModule(new URL("../build/kernels.nope.wasm", import.meta.url))).rejects.toThrow(/kernels.nope.wasm: no such file/);
  });
});

describe("choosing a build", () => {
  it("models created at once in a fresh process all get the same build (the relaxed-SIMD flag is set before any of them asks)", async () => {
    const { spawnSync } = await import("node:child_process");
    const { fileURLToPath } = await import("node:url");
    const root = fileURLToPath(new URL("..", import.meta.url));
    const script = `
      import { MLP } from "./dist/src/index.js";
      const models = await Promise.all([1, 2, 3, 4].map(() => MLP.create({ layers: [4, 3, 2], threads: 1 })));
      console.log(JSON.stringify(models.map((m) => m.kernels.build)));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const builds: string[] = JSON.parse(r.stdout);
    expect(new Set(builds).size, builds.join(", ")).toBe(1);
    expect(builds[0]).toBe((await engineSupports("relaxed")) ? "relaxed" : (await engineSupports("simd")) ? "simd" : "scalar");
  });
});
