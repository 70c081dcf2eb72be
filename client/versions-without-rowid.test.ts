import { describe, expect, it } from "vitest";
import { migratingDevice } from "../test-utils/migrating-device.ts";
import { outboxMigrations } from "./generated/outbox-migrations.ts";

// The versions_without_rowid migration: sync_row_version becomes a WITHOUT ROWID table (its
// primary key's b-tree alone); every version a device knew, forgotten ones (negated) included,
// stays as it was.

const tableSql = "SELECT sql FROM sqlite_schema WHERE name = 'sync_row_version'";

describe("the versions_without_rowid migration", () => {
  it("keeps every version, negated ones included, in a table without rowid", async () => {
    const { database, migrate, stepOf, close } = await migratingDevice("versions-without-rowid-");
    try {
      const step = stepOf("WITHOUT ROWID");
      expect(step).toBeGreaterThan(0);
      await migrate(step);
      expect(String((await database.read(tableSql)).rows[0]?.[0])).not.toMatch(/WITHOUT ROWID/);
      const versions = [
        ["customer", "1", 3],
        ["customer", "10", 1],
        ["note", "a'b", -5],
        ["note", "𝔘nicode", 7],
      ] as const;
      await database.transaction((tx) =>
        tx.batch(
          versions.map((args) => ({ sql: "INSERT INTO sync_row_version VALUES (?, ?, ?)", args })),
        ),
      );
      await migrate(outboxMigrations.length);
      expect(String((await database.read(tableSql)).rows[0]?.[0])).toMatch(/\) WITHOUT ROWID$/);
      const { rows } = await database.read(
        "SELECT table_name, row_key, version FROM sync_row_version ORDER BY table_name, row_key",
      );
      expect(rows.map((row) => [row[0], row[1], row[2]])).toEqual(versions);
      // The primary key still decides: one version a row, replaced by an upsert.
      await database.transaction((tx) =>
        tx.execute({
          sql: `INSERT INTO sync_row_version VALUES ('customer', '1', 4)
                ON CONFLICT (table_name, row_key) DO UPDATE SET version = excluded.version`,
        }),
      );
      const duplicate = database.transaction((tx) =>
        tx.execute("INSERT INTO sync_row_version VALUES ('customer', '10', 2)"),
      );
      await expect(duplicate).rejects.toThrow(/UNIQUE|PRIMARY KEY|constraint/i);
      const after = await database.read(
        "SELECT version FROM sync_row_version WHERE table_name = 'customer' ORDER BY row_key",
      );
      expect(after.rows.map((row) => row[0])).toEqual([4, 1]);
      expect((await database.read("PRAGMA integrity_check")).rows).toEqual([["ok"]]);
    } finally {
      await close();
    }
  });
});
