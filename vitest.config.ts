import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "schema/**/*.test.ts",
      "writer/**/*.test.ts",
      "server/**/*.test.ts",
      "client/**/*.test.ts",
      "bench/**/*.test.ts",
      "faults/**/*.test.ts",
      "e2e/**/*.test.ts",
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
