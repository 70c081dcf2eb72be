import { join } from "node:path";
import type { DeviceDatabase } from "../client/device-database.ts";
import { applyMigrations } from "../client/device-migrations.ts";
import { outboxMigrations } from "../client/generated/outbox-migrations.ts";
import { openNodeDeviceDatabase } from "../client/node-device-database.ts";
import { tempDir } from "./temp-dir.ts";

/** A device database of its own, migrated step by step: for the tests of one migration. */
export interface MigratingDevice {
  readonly database: DeviceDatabase;
  /** Applies the device's migrations before `upTo` (all of them: `outboxMigrations.length`). */
  migrate(upTo: number): Promise<void>;
  /** The position of the first migration whose SQL holds `text`. */
  stepOf(text: string): number;
  /** Closes the database and removes its folder. */
  close(): Promise<void>;
}

/** Opens a new device database in a folder named from `prefix`, with no migration applied. */
export async function migratingDevice(prefix: string): Promise<MigratingDevice> {
  const dir = tempDir(prefix);
  const database = await openNodeDeviceDatabase({
    path: join(dir.path, "device.db"),
    busyTimeoutMs: 1_000,
  });
  return {
    database,
    migrate: (upTo) =>
      database.transaction(
        (tx) => applyMigrations(tx, outboxMigrations.slice(0, upTo), "__sync_client_migrations"),
        { foreignKeys: false },
      ),
    stepOf: (text) => outboxMigrations.findIndex((m) => m.sql.join("").includes(text)),
    async close() {
      await database.close();
      dir.remove();
    },
  };
}
