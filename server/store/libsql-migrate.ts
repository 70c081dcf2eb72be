import type { Client } from "@libsql/client";
import type { MigrationMeta } from "drizzle-orm/migrator";
import { migrationJournal } from "../../writer/migration-journal.ts";

/**
 * Applies the drizzle-kit migrations newer than the newest recorded in `journal`, in one libSQL
 * migration batch (foreign keys off, as SQLite wants for a change of a table's shape).
 */
export async function migrateLibsql(
  database: Client,
  migrations: readonly MigrationMeta[],
  journal: string,
): Promise<void> {
  const steps = migrationJournal(journal);
  await database.execute(steps.create);
  const { rows } = await database.execute(steps.newest);
  const statements = steps.pending(migrations, rows[0]?.[0]);
  if (statements.length > 0) await database.migrate(statements);
}
