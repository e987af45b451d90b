// The WebAssembly types the API names, declared (empty) for TypeScript projects that have neither the DOM
// nor the WebWorker lib, as a Node-only project has not: TypeScript declares WebAssembly only in those
// libs, and @types/node does not. Where a lib is present its full declarations merge with these.

declare global {
  namespace WebAssembly {
    interface Module {}
    interface Memory {}
    interface Global {}
  }
}

export {};
