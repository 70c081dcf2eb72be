import type { MigrationMeta } from "drizzle-orm/migrator";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import type { DeviceTransaction } from "./device-database.ts";

/**
 * Applies drizzle-kit migrations inside the caller's transaction (which should not enforce
 * foreign keys, as SQLite wants for a change of a table's shape), keeping drizzle's own journal:
 * the table `journal` with each applied migration's hash and folder time, so a database migrated
 * by drizzle's migrators is recognised. Applies those newer than the newest recorded, in order.
 */
export async function applyMigrations(
  tx: DeviceTransaction,
  migrations: readonly MigrationMeta[],
  journal: string,
): Promise<void> {
  const table = quoteIdentifier(journal);
  await tx.execute(
    `CREATE TABLE IF NOT EXISTS ${table} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
  );
  const { rows } = await tx.execute(
    `SELECT created_at FROM ${table} ORDER BY created_at DESC LIMIT 1`,
  );
  const newest = rows[0] === undefined ? undefined : Number(rows[0][0]);
  for (const migration of migrations) {
    if (newest !== undefined && newest >= migration.folderMillis) continue;
    for (const sql of migration.sql) if (sql.trim() !== "") await tx.execute(sql);
    await tx.execute({
      sql: `INSERT INTO ${table} (hash, created_at) VALUES (?, ?)`,
      args: [migration.hash, migration.folderMillis],
    });
  }
}
