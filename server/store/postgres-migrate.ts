import type { MigrationMeta } from "drizzle-orm/migrator";
import type postgres from "postgres";
import { quoteIdentifier } from "../../writer/quote-identifier.ts";

/**
 * One lock for every migration set: server processes starting together over one database must
 * not both apply a migration (a second `CREATE TABLE` fails; a second data step would run twice).
 */
const lock = "SELECT pg_advisory_xact_lock(hashtextextended('checkpoint-sync:migrations', 0))";

/**
 * Applies the drizzle-kit migrations newer than the newest recorded in the journal table
 * `journal` (created when missing, in the current schema), all in one transaction that holds an
 * advisory lock: either every pending migration and its journal row commit, or none does, and
 * concurrent callers (other processes) wait and then find nothing left to do. The journal keeps
 * drizzle's shape (a row per applied migration: its hash and folder time), as drizzle's own
 * PostgreSQL migrator keeps it. A second run is a no-op.
 */
export async function migratePostgres(
  sql: postgres.Sql,
  migrations: readonly MigrationMeta[],
  journal: string,
): Promise<void> {
  const table = quoteIdentifier(journal);
  await sql.begin(async (tx) => {
    await tx.unsafe(lock);
    await tx.unsafe(
      `CREATE TABLE IF NOT EXISTS ${table} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
    );
    const rows = await tx.unsafe(
      `SELECT created_at FROM ${table} ORDER BY created_at DESC LIMIT 1`,
    );
    const newest: unknown = rows[0]?.created_at;
    // int8 arrives as text unless the connection maps it: compare as numbers either way.
    const after = newest === undefined || newest === null ? undefined : Number(newest);
    for (const migration of migrations) {
      if (after !== undefined && after >= migration.folderMillis) continue;
      for (const statement of migration.sql) {
        if (statement.trim() !== "") await tx.unsafe(statement);
      }
      await tx.unsafe(`INSERT INTO ${table} (hash, created_at) VALUES ($1, $2)`, [
        migration.hash,
        String(migration.folderMillis),
      ]);
    }
  });
}
