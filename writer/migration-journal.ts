import type { MigrationMeta } from "drizzle-orm/migrator";
import { quoteIdentifier } from "./quote-identifier.ts";

/** One SQL statement of a migration step, with its arguments. */
export interface MigrationStatement {
  readonly sql: string;
  readonly args: (string | number)[];
}

/**
 * drizzle's migration journal, kept in the same shape as drizzle's own migrators keep it (a row per
 * applied migration: its hash and folder time), so a database migrated by either is recognised.
 */
export function migrationJournal(journal: string) {
  const table = quoteIdentifier(journal);
  return {
    /** Creates the journal when it is missing. */
    create: `CREATE TABLE IF NOT EXISTS ${table} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
    /** Reads the folder time of the newest applied migration (no row for a new database). */
    newest: `SELECT created_at FROM ${table} ORDER BY created_at DESC LIMIT 1`,
    /**
     * The statements that apply, in order, every migration newer than `newest`, each followed by
     * its journal row. Empty when the database is current.
     */
    pending(migrations: readonly MigrationMeta[], newest: unknown): MigrationStatement[] {
      const after = newest === undefined || newest === null ? undefined : Number(newest);
      const statements: MigrationStatement[] = [];
      for (const migration of migrations) {
        if (after !== undefined && after >= migration.folderMillis) continue;
        for (const sql of migration.sql) if (sql.trim() !== "") statements.push({ sql, args: [] });
        statements.push({
          sql: `INSERT INTO ${table} (hash, created_at) VALUES (?, ?)`,
          args: [migration.hash, migration.folderMillis],
        });
      }
      return statements;
    },
  };
}
