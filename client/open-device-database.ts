import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { type Client, createClient } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { quoteIdentifier } from "../writer/index.ts";
import type { ResolvedOptions } from "./resolve-options.ts";
import { SyncClientError } from "./sync-client-error.ts";

const outboxMigrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));

/** The device database, ready: migrated, with its client id. */
export interface DeviceDatabase {
  readonly client: Client;
  readonly db: LibSQLDatabase;
  readonly clientId: string;
}

/**
 * Partial indexes on foreign-key columns that hold temporary keys: they let a key mapping find
 * the rows pointing at a temporary key without scanning the table.
 */
async function createTempKeyIndexes(client: Client, options: ResolvedOptions): Promise<void> {
  for (const table of options.model.ordered) {
    for (const column of table.references) {
      if (options.model.byName.get(column.references ?? "")?.keyKind !== "autonumber") continue;
      const name = quoteIdentifier(`sync_temp_${table.name}_${column.name}`);
      const col = quoteIdentifier(column.name);
      await client.execute(
        `CREATE INDEX IF NOT EXISTS ${name} ON ${quoteIdentifier(table.name)} (${col}) WHERE ${col} < 0`,
      );
    }
  }
}

async function ensureClientId(client: Client, wanted: string | undefined): Promise<string> {
  const { rows } = await client.execute("SELECT value FROM sync_state WHERE name = 'client_id'");
  const stored = rows[0]?.value;
  if (typeof stored === "string") {
    if (wanted !== undefined && wanted !== stored) {
      throw new SyncClientError(
        "CLIENT_ID_MISMATCH",
        `createSyncClient: this database belongs to client "${stored}", not "${wanted}"; a client id lives exactly as long as its database`,
      );
    }
    return stored;
  }
  const clientId = wanted ?? randomUUID();
  await client.execute({
    sql: "INSERT INTO sync_state (name, value) VALUES ('client_id', ?)",
    args: [clientId],
  });
  return clientId;
}

/** Opens (creating if needed) and migrates the device database. */
export async function openDeviceDatabase(options: ResolvedOptions): Promise<DeviceDatabase> {
  mkdirSync(dirname(options.databasePath), { recursive: true });
  const client = createClient({ url: options.database, timeout: options.busyTimeoutMs });
  try {
    await client.execute("PRAGMA journal_mode = WAL");
    const db = drizzle(client);
    if (options.migrationsFolder) await migrate(db, { migrationsFolder: options.migrationsFolder });
    await migrate(db, {
      migrationsFolder: outboxMigrationsFolder,
      migrationsTable: "__sync_client_migrations",
    });
    await createTempKeyIndexes(client, options);
    const clientId = await ensureClientId(client, options.clientId);
    return { client, db, clientId };
  } catch (error) {
    client.close();
    throw error;
  }
}
