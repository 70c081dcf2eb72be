import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { afterEach, describe, expect, it } from "vitest";
import { modelMigrationsFolder, exampleTables as t } from "../schema/index.ts";
import { type HttpTestServer, startHttpServer } from "../test-utils/http-server.ts";
import { insert } from "../test-utils/operations.ts";
import { tempDir } from "../test-utils/temp-dir.ts";
import { createSyncClient } from "./index.ts";

let dir: ReturnType<typeof tempDir> | undefined;
let server: HttpTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  dir?.remove();
  dir = undefined;
});

/** A copy of the device's outbox migrations that stops after the first `count`. */
function firstMigrations(into: string, count: number): string {
  const folder = fileURLToPath(new URL("./migrations", import.meta.url));
  const journal = JSON.parse(readFileSync(join(folder, "meta/_journal.json"), "utf8")) as {
    entries: Array<{ tag: string }>;
  };
  journal.entries = journal.entries.slice(0, count);
  mkdirSync(join(into, "meta"), { recursive: true });
  writeFileSync(join(into, "meta/_journal.json"), JSON.stringify(journal));
  for (const { tag } of journal.entries) {
    copyFileSync(join(folder, `${tag}.sql`), join(into, `${tag}.sql`));
  }
  return into;
}

/**
 * A device database `device.db` in `folder` as an earlier version left it: the example model and
 * the first `count` outbox migrations, with client id `old-device`. The caller closes it.
 */
async function oldDevice(folder: string, count: number) {
  const old = createClient({ url: `file:${join(folder, "device.db")}` });
  await migrate(drizzle(old), { migrationsFolder: modelMigrationsFolder });
  await migrate(drizzle(old), {
    migrationsFolder: firstMigrations(join(folder, "old-migrations"), count),
    migrationsTable: "__sync_client_migrations",
  });
  await old.execute("INSERT INTO sync_state (name, value) VALUES ('client_id', 'old-device')");
  return old;
}

describe("the device migrations since the outbox's first release", () => {
  it("keep a piece that was in flight at the upgrade: its resend is a replay", async () => {
    dir = tempDir("in-flight-upgrade-");
    server = await startHttpServer();
    const database = `file:${join(dir.path, "device.db")}`;
    // A device as the code before wire forms left it (outbox migrations 0000-0006), with a piece
    // of three inserts sent and its answer lost.
    const old = await oldDevice(dir.path, 7);
    const fixes = [0.46628, 41.390010000000004, -3.5].map((latitude, i) => ({
      device_id: "phone",
      latitude,
      longitude: 2,
      recorded_at: `t${i}`,
    }));
    for (const [i, fix] of fixes.entries()) {
      await old.execute({
        sql: "INSERT INTO location (id, device_id, latitude, longitude, recorded_at) VALUES (?, ?, ?, ?, ?)",
        args: [-(i + 1), fix.device_id, fix.latitude, fix.longitude, fix.recorded_at],
      });
      await old.execute({
        sql: `INSERT INTO sync_outbox (seq, kind, table_name, row_key, data, batch_id)
              VALUES (?, 'insert', 'location', ?, ?, 'piece-1')`,
        args: [i + 1, String(-(i + 1)), JSON.stringify(fix)],
      });
    }
    await old.execute("INSERT INTO sync_piece VALUES ('piece-1', 1, 3, NULL, 3)");
    await old.execute("INSERT INTO sync_temp_key VALUES ('location', -3)");
    old.close();
    // What the old code had sent: its own key order (eventId, table, kind, key, data).
    const operations = fixes.map((fix, i) => ({
      ...insert("location", -(i + 1), fix),
      eventId: String(i + 1),
    }));
    const sent = await server.syncBatch("old-device", "piece-1", operations);
    expect(sent.answer.keyMappings).toHaveLength(3);

    const client = await createSyncClient({ database, endpoint: server.endpoint });
    const report = await client.send();
    expect(report).toMatchObject({ pieces: 1, replayed: 1, applied: 3, mappingsApplied: 3 });
    const reader = createClient({ url: database });
    const rows = "SELECT id, device_id, latitude, longitude, recorded_at FROM location ORDER BY id";
    expect((await reader.execute(rows)).rows.map((row) => ({ ...row }))).toEqual(
      (await server.rows(rows)).map((row) => ({ ...row })),
    );
    expect(await client.events()).toEqual([]);
    reader.close();
    await client.close();
  });

  it("turn mapped keys into runs a held key still reaches, keep references, give events their wire form", async () => {
    dir = tempDir("mapped-key-migration-");
    const database = `file:${join(dir.path, "device.db")}`;
    // A device database as the code before runs left it, with five mapped keys.
    const old = createClient({ url: database });
    await migrate(drizzle(old), {
      migrationsFolder: firstMigrations(join(dir.path, "old-migrations"), 3),
      migrationsTable: "__sync_client_migrations",
    });
    const mapped: Array<[string, number, number]> = [
      ["location", -1, 10],
      ["location", -2, 11],
      ["location", -3, 12],
      ["location", -4, 20],
      ["location", -6, 13],
      ["customer", -1, 7],
    ];
    for (const row of mapped) {
      await old.execute({ sql: "INSERT INTO sync_mapped_key VALUES (?, ?, ?)", args: row });
    }
    await old.execute(
      `INSERT INTO sync_outbox (seq, kind, table_name, row_key, data) VALUES (1, 'insert', 'invoice', '-9', '{"customer_id":-1}')`,
    );
    await old.execute("INSERT INTO sync_outbox_ref VALUES (1, 'customer_id', 'customer', -1)");
    old.close();

    const client = await createSyncClient({ database, endpoint: "http://127.0.0.1:9/graphql" });
    await client.transaction(async (w) => {
      await w.insert(t.location, {
        deviceId: "phone",
        latitude: 1,
        longitude: 2,
        recordedAt: "t",
      });
    });
    const reader = createClient({ url: database });
    const runs = await reader.execute(
      "SELECT table_name, first_client, last_client, first_server FROM sync_mapped_run ORDER BY table_name, first_client DESC",
    );
    expect(runs.rows.map((row) => Object.values(row))).toEqual([
      ["customer", -1, -1, 7],
      ["location", -1, -3, 10],
      ["location", -4, -4, 20],
      ["location", -6, -6, 13],
    ]);
    const tables = await reader.execute(
      "SELECT name FROM sqlite_master WHERE name = 'sync_mapped_key'",
    );
    expect(tables.rows).toHaveLength(0);
    // The waiting event has its wire form, and data no column of its own.
    const [migrated] = (await reader.execute("SELECT operation FROM sync_outbox WHERE seq = 1"))
      .rows;
    expect(JSON.parse(String(migrated?.operation))).toEqual({
      data: { customer_id: -1 },
      eventId: "1",
      key: "-9",
      kind: "INSERT",
      table: "invoice",
    });
    const columns = await reader.execute("SELECT name FROM pragma_table_info('sync_outbox')");
    expect(columns.rows.map((row) => row.name)).not.toContain("data");
    // References stay, now without a foreign key to the outbox.
    const refs = await reader.execute(
      "SELECT seq, column_name, ref_table, ref_key FROM sync_outbox_ref",
    );
    expect(refs.rows.map((row) => Object.values(row))).toEqual([
      [1, "customer_id", "customer", -1],
    ]);
    expect((await reader.execute("PRAGMA foreign_key_list(sync_outbox_ref)")).rows).toEqual([]);
    // The app still holds temporary key -2: its server key is 11, so an update names row 11.
    await reader.execute(
      "INSERT INTO location (id, device_id, latitude, longitude, recorded_at) VALUES (11, 'phone', 0, 0, 'old')",
    );
    await client.transaction((w) => w.update(t.location, -2, { recordedAt: "new" }));
    const [row] = (await reader.execute("SELECT recorded_at FROM location WHERE id = 11")).rows;
    expect(row?.recorded_at).toBe("new");
    const [event] = await client.events({ status: "pending", after: 2 });
    expect(event).toMatchObject({ kind: "update", key: "11" });
    reader.close();
    await client.close();
  });
  it("resend pieces open at the upgrade in the order the earlier version formed them", async () => {
    dir = tempDir("formation-order-upgrade-");
    server = await startHttpServer();
    const database = `file:${join(dir.path, "device.db")}`;
    // A device as the code before formation counters left it (outbox migrations 0000-0011): the
    // piece formed first holds seqs 4-5; the one formed after it, from events put back for a retry,
    // holds seqs 1-3 and so lies below it.
    const old = await oldDevice(dir.path, 12);
    for (let seq = 1; seq <= 5; seq++) {
      const data = { device_id: "phone", latitude: seq, longitude: 2, recorded_at: `t${seq}` };
      await old.execute({
        sql: "INSERT INTO location (id, device_id, latitude, longitude, recorded_at) VALUES (?, ?, ?, ?, ?)",
        args: [-seq, data.device_id, data.latitude, data.longitude, data.recorded_at],
      });
      const operation = {
        data,
        eventId: String(seq),
        key: String(-seq),
        kind: "INSERT",
        table: "location",
      };
      await old.execute({
        sql: "INSERT INTO sync_outbox (seq, kind, table_name, row_key, operation) VALUES (?, 'insert', 'location', ?, ?)",
        args: [seq, String(-seq), JSON.stringify(operation)],
      });
    }
    await old.execute(
      "INSERT INTO sync_piece (batch_id, first_seq, last_seq, checkpoint_seq, operations, members_marked) VALUES ('formed-first', 4, 5, NULL, 2, 0)",
    );
    await old.execute(
      "INSERT INTO sync_piece (batch_id, first_seq, last_seq, checkpoint_seq, operations, members_marked) VALUES ('formed-second', 1, 3, NULL, 3, 0)",
    );
    await old.execute("INSERT INTO sync_temp_key VALUES ('location', -5)");
    old.close();

    const client = await createSyncClient({ database, endpoint: server.endpoint });
    const reader = createClient({ url: database });
    const formed = await reader.execute(
      "SELECT batch_id, formed FROM sync_piece ORDER BY batch_id",
    );
    expect(formed.rows.map((row) => [row.batch_id, row.formed])).toEqual([
      ["formed-first", 1],
      ["formed-second", 2],
    ]);
    expect(await client.send()).toMatchObject({ pieces: 2, applied: 5, mappingsApplied: 5 });
    // The server numbers rows in the order it applies them: seqs 4-5 came first.
    const rows = await reader.execute("SELECT id, latitude FROM location ORDER BY id");
    expect(rows.rows.map((row) => [row.id, row.latitude])).toEqual([
      [1, 4],
      [2, 5],
      [3, 1],
      [4, 2],
      [5, 3],
    ]);
    expect(await client.events()).toEqual([]);
    const all = "SELECT id, device_id, latitude, longitude, recorded_at FROM location ORDER BY id";
    expect((await reader.execute(all)).rows.map((row) => ({ ...row }))).toEqual(
      (await server.rows(all)).map((row) => ({ ...row })),
    );
    reader.close();
    await client.close();
  });
});
