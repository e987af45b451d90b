// The kernels import a shared memory, so worker threads can run on it. Where an engine will not create one
// (Firefox and Safari refuse `shared: true` on pages that are not cross-origin isolated), the same module
// runs on an ordinary memory once its import says so: the import's limits flag goes from "shared, with
// maximum" (3) to "with maximum" (1). Nothing else changes: the kernels use no atomic instructions (threads
// synchronise from JS), and the bytes, and so the results, are otherwise the same.

let available: boolean | undefined;

/** Whether this engine creates shared WebAssembly memories here (asked once). */
export function sharedMemoryAvailable(): boolean {
  if (available === undefined) {
    try {
      new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/** A new memory of exactly `pages` pages, never grown: shared where the engine allows it. */
export function newMemory(pages: number): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: sharedMemoryAvailable() });
}

/** Reads an unsigned LEB128 at `at`: its value and the offset after it. */
function leb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0, shift = 0, b: number;
  do {
    if (at >= bytes.length) throw new Error("truncated module");
    b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [value, at];
}

/**
 * A copy of a module's bytes whose imported memory is not shared; the bytes themselves when it imports no
 * shared memory. Throws on bytes that are not a well-formed module header and import section.
 */
export function unshareMemoryImport(module: Uint8Array): Uint8Array {
  let at = 8; // magic and version
  while (at < module.length) {
    const id = module[at];
    const [size, body] = leb(module, at + 1);
    if (id === 2) {
      let [count, p] = leb(module, body);
      for (; count > 0; count--) {
        for (let name = 0; name < 2; name++) {
          const [len, q] = leb(module, p);
          p = q + len;
        }
        const kind = module[p++];
        if (kind === 2) {
          // memory: limits flag, then initial and maximum
          if (module[p] === 3) {
            const copy = module.slice();
            copy[p] = 1;
            return copy;
          }
          return module;
        }
        if (kind === 0) p = leb(module, p)[1]; // function: type index
        else if (kind === 1) p = skipLimits(module, p + 1); // table: element type, limits
        else if (kind === 3) p += 2; // global: value type, mutability
        else throw new Error(`import of unknown kind ${kind}`);
      }
      return module;
    }
    at = body + size;
  }
  return module;
}

function skipLimits(bytes: Uint8Array, at: number): number {
  const flag = bytes[at];
  let p = leb(bytes, at + 1)[1];
  if (flag & 1) p = leb(bytes, p)[1];
  return p;
}
