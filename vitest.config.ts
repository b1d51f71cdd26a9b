import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/**/*.test.ts",
      "app/**/*.test.ts",
      "dev/**/*.test.ts",
      "server/**/*.test.ts",
      "db/**/*.test.ts",
      "activities/**/*.test.ts",
      "workflows/**/*.test.ts",
    ],
    // The journeys run against `npm start` (npm run test:e2e, vitest.e2e.config.ts).
    exclude: ["**/node_modules/**", "test/journeys/**"],
    // One PostgreSQL and one Temporal dev server for the whole run; each test file clones its own database.
    globalSetup: "test/setup/global-setup.ts",
    // Forks, not threads: the Temporal worker's native core and webpack bundling behave best in their own process.
    pool: "forks",
    // The machines we run on have 2 cores; more workers only contend with PostgreSQL and Temporal.
    minWorkers: 1,
    maxWorkers: 2,
    // Real servers and a first workflow bundle (webpack) are slower than unit tests.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
