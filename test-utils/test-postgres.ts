import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";

/**
 * The admin URL of the run's PostgreSQL (started by `test-utils/postgres-global-setup.ts`).
 * Throws outside the `postgres` vitest project, where no server was started.
 */
export function postgresUrlForTests(): string {
  const url = inject("postgresUrl");
  if (typeof url !== "string" || url === "") {
    throw new Error("no PostgreSQL for this run: run the test in the vitest project 'postgres'");
  }
  return url;
}

/**
 * Creates a database of its own on the server of `adminUrl` (a fresh name: tests in parallel
 * never share one) and returns its URL; `drop()` removes it, closing any connection left open.
 */
export async function freshPostgresDatabase(
  adminUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  // Lower-case letters and digits only: a safe identifier without quoting rules to get wrong.
  const name = `sync_test_${randomBytes(8).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => undefined });
      try {
        await dropper.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
