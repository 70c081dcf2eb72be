import { findModelGap, type SyncModel } from "../schema/index.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import type { DeviceDatabase, DeviceTransaction } from "./device-database.ts";
import { applyMigrations } from "./device-migrations.ts";
import { type DeviceReads, drizzleReads } from "./device-reads.ts";
import { outboxMigrations } from "./generated/outbox-migrations.ts";
import { openNodeDeviceDatabase } from "./node-device-database.ts";
import type { ResolvedOptions } from "./resolve-options.ts";
import { SyncClientError } from "./sync-client-error.ts";

/** The device database, ready for the client: migrated, with its client id. */
export interface OpenedDevice {
  readonly database: DeviceDatabase;
  /** drizzle over `database.read`, for the app's reads. */
  readonly db: DeviceReads;
  readonly clientId: string;
}

/**
 * Partial indexes on foreign-key columns that hold temporary keys: they let a key mapping find
 * the rows pointing at a temporary key without scanning the table.
 */
async function createTempKeyIndexes(tx: DeviceTransaction, model: SyncModel): Promise<void> {
  for (const table of model.ordered) {
    for (const column of table.references) {
      if (model.byName.get(column.references ?? "")?.keyKind !== "autonumber") continue;
      const name = quoteIdentifier(`sync_temp_${table.name}_${column.name}`);
      const col = quoteIdentifier(column.name);
      await tx.execute(
        `CREATE INDEX IF NOT EXISTS ${name} ON ${quoteIdentifier(table.name)} (${col}) WHERE ${col} < 0`,
      );
    }
  }
}

/** Refuses a device database that lacks a table or column of the model, naming it. */
async function checkModelTables(tx: DeviceTransaction, model: SyncModel): Promise<void> {
  const gap = await findModelGap(model, async (table) => {
    const { rows } = await tx.execute({
      sql: "SELECT name FROM pragma_table_info(?)",
      args: [table],
    });
    return rows.map((row) => String(row[0]));
  });
  if (gap) {
    throw new SyncClientError(
      "INVALID_OPTION",
      `createSyncClient: the device database does not hold the model: ${gap}. Give migrationsFolder or migrations (the model's drizzle-kit migrations) or create its tables first.`,
    );
  }
}

/** The stored client id, or `wanted` (else a new one) stored for a new database. */
async function ensureClientId(tx: DeviceTransaction, wanted: string | undefined): Promise<string> {
  const { rows } = await tx.execute("SELECT value FROM sync_state WHERE name = 'client_id'");
  const stored = rows[0]?.[0];
  if (typeof stored === "string") {
    if (wanted !== undefined && wanted !== stored) {
      throw new SyncClientError(
        "CLIENT_ID_MISMATCH",
        `createSyncClient: this database belongs to client "${stored}", not "${wanted}"; a client id lives exactly as long as its database`,
      );
    }
    return stored;
  }
  const clientId = wanted ?? crypto.randomUUID();
  await tx.execute({
    sql: "INSERT INTO sync_state (name, value) VALUES ('client_id', ?)",
    args: [clientId],
  });
  return clientId;
}

/**
 * Brings a device database up to date in one transaction: the model's migrations, the client's
 * own (outbox, batches, key counters, mapped keys), the indexes of temporary keys, the client id.
 */
export function prepareDeviceDatabase(
  database: DeviceDatabase,
  options: Pick<ResolvedOptions, "model" | "migrations" | "clientId">,
): Promise<string> {
  const { model, migrations, clientId } = options;
  return database.transaction(
    async (tx) => {
      if (migrations) await applyMigrations(tx, migrations, "__drizzle_migrations");
      await applyMigrations(tx, outboxMigrations, "__sync_client_migrations");
      await checkModelTables(tx, model);
      await createTempKeyIndexes(tx, model);
      return ensureClientId(tx, clientId);
    },
    { foreignKeys: false },
  );
}

/**
 * Opens the device database (creating and migrating it). The one place that picks the
 * implementation: a libSQL file through Node's driver.
 */
export async function openDeviceDatabase(options: ResolvedOptions): Promise<OpenedDevice> {
  const database = await openNodeDeviceDatabase({
    path: options.databasePath,
    busyTimeoutMs: options.busyTimeoutMs,
  });
  try {
    const clientId = await prepareDeviceDatabase(database, options);
    return { database, db: drizzleReads(database), clientId };
  } catch (error) {
    await database.close();
    throw error;
  }
}
