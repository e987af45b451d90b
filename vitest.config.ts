import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // vitest leaves one core free by default; on a 2-core machine that runs the files one at a time
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
