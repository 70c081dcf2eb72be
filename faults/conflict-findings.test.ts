import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { conflictDevices } from "../test-utils/conflict-devices.ts";
import { conflictTables } from "../test-utils/conflict-model.ts";
import { concatTitles } from "../test-utils/conflict-reference.ts";

// Findings of faults/conflict-property.test.ts, each reduced to its smallest history and kept as
// a regression test: a device takes the server's row after a conflict the server resolved with
// other values than it wrote, and an edit made between a rejection and the next receive is still
// checked for a conflict.

type Tables = typeof conflictTables;
const devices = conflictDevices("sync-conflict-findings-", concatTitles);
const setup = devices.setup;
afterEach(devices.closeAll);
afterAll(devices.remove);

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
  // was bypassed. It now goes based on the version the device forgot, which it keeps negated
  // until that receive (client/apply-answer.ts, client/change-row.ts), and meets the conflict.
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

  // The same edit after the app removed the rejected event (removeEvent), before the next receive:
  // its base was read from that event, and went with it, so the edit was sent with none and
  // applied unchecked. The device keeps the version it forgot (client/apply-answer.ts) instead.
  it("an edit made after the rejected event is removed, before the next receive, is still checked", async () => {
    const { a, server, notes, expectConverged } = await changedByB(
      conflictTables.serverWins,
      "server_wins",
    );
    await a.update(notes, 1, { title: "from a" });
    expect((await a.send()).conflicts.SERVER_WON).toBe(1);
    const [rejected] = await a.events({ status: "rejected" });
    expect(await a.removeEvent(rejected?.id ?? 0)).toEqual([rejected?.id]);
    await a.update(notes, 1, { body: "a's body" });
    const report = await a.send();
    expect(report).toMatchObject({ applied: 0, rejected: 1, conflicts: { SERVER_WON: 1 } });
    expect(await server.rows("SELECT * FROM server_wins")).toMatchObject([
      { title: "from b", body: "" },
    ]);
    // The app lets that one go too; the next receive brings b's row.
    const [again] = await a.events({ status: "rejected" });
    await a.removeEvent(again?.id ?? 0);
    await expectConverged();
  });
});
