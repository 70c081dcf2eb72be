import type { MigrationMeta } from "drizzle-orm/migrator";
import { migrationJournal } from "../writer/migration-journal.ts";
import type { DeviceTransaction } from "./device-database.ts";

/**
 * Applies the drizzle-kit migrations newer than the newest recorded in `journal`, inside the
 * caller's transaction (which should not enforce foreign keys, as SQLite wants for a change of a
 * table's shape).
 */
export async function applyMigrations(
  tx: DeviceTransaction,
  migrations: readonly MigrationMeta[],
  journal: string,
): Promise<void> {
  const steps = migrationJournal(journal);
  await tx.execute(steps.create);
  const { rows } = await tx.execute(steps.newest);
  for (const statement of steps.pending(migrations, rows[0]?.[0])) await tx.execute(statement);
}
