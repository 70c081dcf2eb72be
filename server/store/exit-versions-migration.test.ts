import { join } from "node:path";
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test-utils/temp-dir.ts";
import { storeMigrations } from "../generated/store-migrations.ts";
import { migrateLibsql } from "./libsql-migrate.ts";

// The exit_versions migration: a DELETE for a row that left a scope now carries the version the
// row left with (kept with the exit). Exits saved before it take the version their rows have, which
// is what their DELETEs carried until then; an exit whose row is gone takes 0.

const journal = "__sync_server_migrations";

describe("the exit_versions migration (libSQL)", () => {
  it("gives the exits saved before it their rows' versions", async () => {
    const dir = tempDir("exit-versions-");
    const database = createClient({ url: `file:${join(dir.path, "server.db")}` });
    try {
      const step = storeMigrations.findIndex((m) =>
        m.sql.join("").includes("sync_scope_exit` ADD `version"),
      );
      expect(step).toBeGreaterThan(0);
      await migrateLibsql(database, storeMigrations.slice(0, step), journal);
      await database.batch([
        `INSERT INTO sync_row (seq, table_name, row_key, version, scope, deleted, changed_at)
         VALUES (5, 'project', 1, 7, 't2', 0, 0), (6, 'task', 'a', 3, 't2', 1, 0)`,
        `INSERT INTO sync_scope_exit (table_name, row_key, scope, seq, changed_at)
         VALUES ('project', 1, 't1', 3, 0), ('task', 'a', 't1', 4, 0), ('task', 'gone', 't1', 2, 0)`,
        `INSERT INTO sync_writer_exit (client_id, table_name, row_key, seq, changed_at)
         VALUES ('dev', 'project', 1, 1, 0)`,
      ]);
      await migrateLibsql(database, storeMigrations, journal);
      const exits = await database.execute(
        "SELECT table_name, row_key, version FROM sync_scope_exit ORDER BY seq",
      );
      expect(exits.rows.map((row) => [row[0], row[1], row[2]])).toEqual([
        ["task", "gone", 0],
        ["project", 1, 7],
        ["task", "a", 3],
      ]);
      const writer = await database.execute("SELECT row_key, version FROM sync_writer_exit");
      expect(writer.rows.map((row) => [row[0], row[1]])).toEqual([[1, 7]]);
    } finally {
      database.close();
      dir.remove();
    }
  });
});
