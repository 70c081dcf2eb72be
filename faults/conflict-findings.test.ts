import { join } from "node:path";
import { createClient } from "@libsql/client";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createSyncClient, type SyncClient } from "../client/index.ts";
import { conflictModel, conflictTables, conflictTablesSql } from "../test-utils/conflict-model.ts";
import { concatTitles } from "../test-utils/conflict-reference.ts";
import { type HttpTestServer, startHttpServer } from "../test-utils/http-server.ts";
import { tempDir } from "../test-utils/temp-dir.ts";

// Findings of faults/conflict-property.test.ts, each reduced to its smallest history.
//
// OPEN: an UPDATE the server applies with a conflict that it resolves with other values than the
// device wrote (mergeColumns "server" keeping a column, all of them: SERVER_WON, or some: MERGED;
// a custom policy's `write`) leaves the device with its own values for good. The device records
// the version the answer gives (its first version follows the one it knows) and so skips the
// server's row at that version when it comes at its next receive. These tests say what should
// happen; they are marked `fails` until the device forgets the version of such a row (as it does
// for a rejected one) and the server sends the row again when it wrote nothing.

type Tables = typeof conflictTables;
const files = tempDir("sync-conflict-findings-");
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});
afterAll(() => files.remove());

let run = 0;
async function setup() {
  run += 1;
  const server = await startHttpServer({
    reuseDatabase: `file:${join(files.path, `server-${run}.db`)}`,
    model: conflictModel(concatTitles),
    tables: conflictTablesSql,
  });
  open.push(server);
  const device = async (name: string): Promise<SyncClient<Tables>> => {
    const database = `file:${join(files.path, `${name}-${run}.db`)}`;
    const raw = createClient({ url: database });
    for (const sql of conflictTablesSql) await raw.execute(sql);
    raw.close();
    const client = await createSyncClient<Tables>({
      database,
      endpoint: server.endpoint,
      model: conflictModel(concatTitles),
      clientId: name,
    });
    open.push(client);
    return client;
  };
  return { server: server as HttpTestServer, a: await device("a"), b: await device("b") };
}

/** Both devices and the server hold row 1 of `table`; b changes its title and syncs. */
async function changedByB(table: Tables[keyof Tables], name: string) {
  // The tables are alike: written through the type of one of them.
  const notes = table as SQLiteTable as Tables["merged"];
  const s = await setup();
  await s.a.insert(notes, { title: "first" });
  await s.a.sync();
  await s.b.sync();
  await s.b.update(notes, 1, { title: "from b" });
  await s.b.sync();
  /** Every device's rows of the table equal the server's. */
  const expectConverged = async () => {
    const server = (await s.server.rows(`SELECT * FROM ${name}`)).map((row) => ({ ...row }));
    for (const device of [s.a, s.b]) await device.sync();
    expect(await s.a.db.select().from(notes)).toEqual(server);
    expect(await s.b.db.select().from(notes)).toEqual(server);
  };
  return { ...s, notes, expectConverged };
}

describe("conflict findings (fixed): a device takes the server's row after a conflict it lost", () => {
  it("mergeColumns server, SERVER_WON: the device takes the server's row", async () => {
    const { a, notes, expectConverged } = await changedByB(
      conflictTables.serverMerged,
      "server_merged",
    );
    await a.update(notes, 1, { title: "from a" });
    const report = await a.sync();
    expect(report.send.conflicts.SERVER_WON).toBe(1);
    await expectConverged();
  });

  it("mergeColumns server, MERGED after a receive: the device takes the server's column", async () => {
    const { a, notes, expectConverged } = await changedByB(
      conflictTables.serverMerged,
      "server_merged",
    );
    // a's edit is based on version 1; it receives b's version 2 (its edit laid over it) first.
    await a.update(notes, 1, { title: "from a", body: "a's body" });
    await a.receive();
    const report = await a.sync();
    expect(report.send.conflicts.MERGED).toBe(1);
    await expectConverged();
  });

  it("custom write after a receive: the device takes the value the policy wrote", async () => {
    const { a, notes, expectConverged } = await changedByB(conflictTables.custom, "custom");
    await a.update(notes, 1, { title: "from a" });
    await a.receive();
    const report = await a.sync();
    expect(report.send.conflicts.MERGED).toBe(1);
    // The server holds "from b+from a".
    await expectConverged();
  });
});

describe("conflict findings (fixed)", () => {
  // A rejected UPDATE makes the device forget the row's version until its next receive brings
  // the server's row. An edit of the row in between (after a send() alone, or while a sync's
  // receive is still to come) went with no base, so the server applied it unchecked: serverWins
  // was bypassed. It now goes based on the newest version its outbox events of the row were
  // based on (client/change-row.ts), and meets the conflict.
  it("an edit made between a rejection and the next receive is still checked", async () => {
    const { a, server, notes } = await changedByB(conflictTables.serverWins, "server_wins");
    await a.update(notes, 1, { title: "from a" });
    expect((await a.send()).conflicts.SERVER_WON).toBe(1);
    await a.update(notes, 1, { body: "a's body" });
    const report = await a.send();
    expect(report).toMatchObject({ applied: 0, rejected: 1, conflicts: { SERVER_WON: 1 } });
    expect(await server.rows("SELECT * FROM server_wins")).toMatchObject([
      { title: "from b", body: "" },
    ]);
  });
});
