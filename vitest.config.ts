import { configDefaults, defineConfig } from "vitest/config";

/** What every project shares. */
const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: "forks",
} as const;

/**
 * The tests that run again on PostgreSQL (`SYNC_TEST_STORE=postgres`, one embedded server for the
 * run). It grows as suites learn to run on both stores: add a suite here once it reads the store
 * from `SYNC_TEST_STORE`. Not here: suites about SQLite itself (column defaults written as
 * SQLite SQL, `VACUUM INTO` copies, database files) and the client's.
 */
const postgresTests = [
  "server/store/postgres-*.test.ts",
  "schema/to-pg-tables.test.ts",
  "server/store/store-contract.test.ts",
  "server/database-url.test.ts",
  "server/sync-batch.test.ts",
  "server/replay.test.ts",
  "server/rejections.test.ts",
  "server/rejection-messages.test.ts",
  "server/apply-batch.test.ts",
  "server/limits.test.ts",
  "server/json-scalar.test.ts",
  "server/batch-retention.test.ts",
  "server/rules.test.ts",
  "server/rate-limits.test.ts",
  "server/authentication.test.ts",
  "server/write-scopes.test.ts",
  "server/writes-come-back.test.ts",
  "server/use-commit-signal.test.ts",
  "server/use-next-cursor.test.ts",
  "server/conflict-edges.test.ts",
  "server/conflict-policies.test.ts",
  "server/leaving-a-scope.test.ts",
  "server/read-scopes.test.ts",
  "server/sync-changes.test.ts",
  "server/sync-changes-order.test.ts",
  "server/sync-changes-resets.test.ts",
  "server/sync-changes-read-ahead.test.ts",
  "server/stored-answer.test.ts",
  "server/use-jit.test.ts",
  "server/use-one-sync-batch.test.ts",
  "server/graphiql-example.test.ts",
  "faults/bad-input-server.test.ts",
  "faults/bad-input-code-injection.test.ts",
  "faults/hostile-requests-clients.test.ts",
  "faults/hostile-requests-scopes.test.ts",
  "faults/hostile-requests-tokens.test.ts",
  "faults/event-accounting.test.ts",
  "faults/conflict-devices.test.ts",
  "faults/postgres-processes.test.ts",
];

/** Tests of the PostgreSQL store alone: they need the server that only the `postgres` project starts. */
const postgresOnlyTests = ["server/store/postgres-*.test.ts", "faults/postgres-processes.test.ts"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: "libsql",
          include: [
            "schema/**/*.test.ts",
            "writer/**/*.test.ts",
            "server/**/*.test.ts",
            "client/**/*.test.ts",
            "bench/**/*.test.ts",
            "faults/**/*.test.ts",
            "e2e/**/*.test.ts",
          ],
          exclude: [...configDefaults.exclude, ...postgresOnlyTests],
        },
      },
      {
        test: {
          ...shared,
          name: "postgres",
          include: postgresTests,
          globalSetup: ["test-utils/postgres-global-setup.ts"],
          env: { SYNC_TEST_STORE: "postgres" },
        },
      },
    ],
  },
});
