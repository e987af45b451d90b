// An engine that will not create shared memory (Firefox and Safari on pages that are not cross-origin
// isolated): the kernels run on an ordinary memory, on one thread, with the same results. Played here by
// a WebAssembly.Memory that refuses `shared: true`, with the library's modules loaded afresh under it.

import { afterEach, describe, expect, it, vi } from "vitest";
import { createHash } from "node:crypto";
import { MLP, loadDigits, KERNEL_BUILDS } from "../src/index.js";
import { engineSupports, kernelBytes } from "../src/engine/kernels.js";
import { unshareMemoryImport } from "../src/engine/shared-memory.js";

const RealMemory = WebAssembly.Memory;

class UnsharedOnlyMemory extends RealMemory {
  constructor(descriptor: WebAssembly.MemoryDescriptor) {
    if (descriptor.shared) throw new TypeError("WebAssembly.Memory: shared memory is not available here");
    super(descriptor);
  }
}

afterEach(() => {
  WebAssembly.Memory = RealMemory;
  vi.resetModules();
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("unshareMemoryImport", () => {
  it("changes exactly the memory import's flag byte of each build, from shared (3) to not (1)", async () => {
    for (const build of KERNEL_BUILDS) {
      expect(await engineSupports(build)).toBe(true); // on Node 20, turns on relaxed SIMD
      const bytes = await kernelBytes(build);
      const out = unshareMemoryImport(bytes);
      const changed = [...out.keys()].filter((i) => out[i] !== bytes[i]);
      expect(changed).toHaveLength(1);
      expect([bytes[changed[0]], out[changed[0]]]).toEqual([3, 1]);
      expect(out.length).toBe(bytes.length);
      // the result is a module whose memory import an unshared memory satisfies
      const module = await WebAssembly.compile(out);
      const memory = new RealMemory({ initial: 20, maximum: 20 });
      expect(() => new WebAssembly.Instance(module, { env: { memory, step_check: () => {} } })).not.toThrow();
    }
  });

  it("returns a module without a shared memory import as it is", () => {
    // (module (func)) with no imports, and one importing an unshared memory
    const noImports = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 4, 1, 2, 0, 11]);
    expect(unshareMemoryImport(noImports)).toBe(noImports);
    const unshared = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 2, 16, 1, 3, 101, 110, 118, 6, 109, 101, 109, 111, 114, 121, 2, 1, 1, 2]);
    expect(() => new WebAssembly.Module(unshared)).not.toThrow();
    expect(unshareMemoryImport(unshared)).toBe(unshared);
  });
});

describe("an engine without shared memory", () => {
  it("trains on one thread on an ordinary memory, to the same model as with shared memory", async () => {
    const data = await loadDigits();
    const opts = { epochs: 30, every: 10 };
    const shared = await MLP.create({ layers: [64, 16, 10], seed: 3, threads: 1 });
    const want = { summary: shared.fit(data.X, data.y, opts), bytes: sha256(shared.toBytes()), predicted: shared.predict(data.X) };

    WebAssembly.Memory = UnsharedOnlyMemory as typeof WebAssembly.Memory;
    vi.resetModules();
    const fresh = await import("../src/index.js");
    const model = await fresh.MLP.create({ layers: [64, 16, 10], seed: 3 });
    const summary = model.fit(data.X, data.y, opts);
    expect(summary.threads).toBe(1);
    expect(summary.kernels).toBe(want.summary.kernels);
    expect(summary.loss).toBe(want.summary.loss);
    expect(sha256(model.toBytes())).toBe(want.bytes);
    expect(model.predict(data.X)).toEqual(want.predicted);
  });

  it("says what to pass instead when given a compiled module that imports shared memory", async () => {
    const module = await WebAssembly.compile(await kernelBytes("simd"));
    WebAssembly.Memory = UnsharedOnlyMemory as typeof WebAssembly.Memory;
    vi.resetModules();
    const fresh = await import("../src/index.js");
    const model = await fresh.MLP.create({ layers: [64, 10], kernels: { build: "simd", source: module } });
    const data = await loadDigits();
    expect(() => model.fit(data.X, data.y, { epochs: 1 })).toThrow(/cannot create shared memory here .*pass the kernel module's bytes, URL or Response instead/);
  });
});
