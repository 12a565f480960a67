/** Jest runs the TypeScript sources as ES modules (swc strips types; `npm run typecheck` checks them). */
export default {
  testEnvironment: "<rootDir>/tests/helpers/environment.mjs",
  extensionsToTreatAsEsm: [".ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "es6" } }],
  },
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  testMatch: ["<rootDir>/tests/**/*.test.ts", "<rootDir>/src/**/*.test.ts"],
  globalSetup: "<rootDir>/tests/helpers/global-setup.mjs",
  globalTeardown: "<rootDir>/tests/helpers/global-teardown.mjs",
  // A hang guard, not a speed check: process-level tests (servers, workers, the CLI, browsers) on a
  // loaded 2-core machine take minutes. Tests never assert on wall-clock time.
  testTimeout: 180_000,
  maxWorkers: 2,
  // A worker whose heap has grown past this after a test file is replaced by a new one. Each file's modules
  // (Prisma's query compiler, TensorFlow.js, the views) are loaded again in its own sandbox and the worker's
  // heap only grows: by the end of a full run each worker held about 3 GB, and freeing that at exit took
  // longer than Jest waits (500 ms), so it killed one ("A worker process has failed to exit gracefully").
  workerIdleMemoryLimit: "1GB",
};
