import { defineConfig } from "vitest/config";

/**
 * `npm run test:e2e`: every journey in Chromium against the app started as a
 * newcomer starts it (see test/journeys/setup/newcomer-app.ts). One app for
 * the run; journeys run one after another, each from a clean state.
 */
export default defineConfig({
  test: {
    include: ["test/journeys/**/*.test.ts"],
    globalSetup: "test/journeys/setup/newcomer-app.ts",
    pool: "forks",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
  },
});
