// vitest globalSetup of the `postgres` project: one real PostgreSQL for the whole run, whose URL
// the tests read with `inject("postgresUrl")` (`test-utils/test-postgres.ts`). A server that
// cannot start fails the run: a skipped PostgreSQL suite would pass for a broken one.
import type { TestProject } from "vitest/node";
import { startPostgres } from "./postgres-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The admin URL of the run's PostgreSQL server (database `postgres`). */
    postgresUrl: string;
  }
}

/** Starts the run's PostgreSQL and provides its URL; the returned function stops it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres();
  project.provide("postgresUrl", server.url);
  return async () => {
    await server.stop();
  };
}
