import { afterAll, afterEach, describe, expect, it } from "vitest";
import { conflictDevices } from "../test-utils/conflict-devices.ts";
import { conflictTables } from "../test-utils/conflict-model.ts";

// The device's side of SYNC.md "Conflicts": every UPDATE and DELETE carries the version the
// device held and the changed columns' previous values; a conflict shows in the send report; an
// event rejected for one keeps the server's row for the app, the device takes the server's values
// at its next receive, and retryEvent sends the change again over them.

const devices = conflictDevices("sync-conflict-devices-", () => ({ accept: true }));
const setup = devices.setup;
afterEach(devices.closeAll);
afterAll(devices.remove);

describe("conflicts on the device", () => {
  it("sends its base, reports a merged conflict, and ends with the merged row on both devices", async () => {
    const { server, a, b } = await setup();
    await a.insert(conflictTables.merged, { title: "first" });
    await a.sync();
    await b.sync();
    await b.update(conflictTables.merged, 1, { color: "red" });
    await b.sync();
    await a.update(conflictTables.merged, 1, { title: "from a" });
    const [event] = await a.events({ status: "pending" });
    expect(event).toMatchObject({ kind: "update", data: { title: "from a" } });
    const report = await a.sync();
    expect(report.send.conflicts).toEqual({
      CLIENT_WON: 0,
      MERGED: 1,
      SERVER_WON: 0,
      DELETED_REMOTELY: 0,
    });
    await b.sync();
    const expected = [{ id: 1, title: "from a", body: "", color: "red" }];
    expect(await server.rows("SELECT * FROM merged")).toEqual(expected);
    for (const device of [a, b]) {
      expect(await device.db.select().from(conflictTables.merged)).toEqual(expected);
    }
  });

  it("serverWins: the event stays rejected with the server's row, the device takes it, retryEvent overwrites", async () => {
    const { server, a, b } = await setup();
    await a.insert(conflictTables.serverWins, { title: "first" });
    await a.sync();
    await b.sync();
    await b.update(conflictTables.serverWins, 1, { title: "from b" });
    await b.sync();
    await a.update(conflictTables.serverWins, 1, { title: "from a", body: "a's body" });
    const report = await a.sync();
    expect(report.send).toMatchObject({ rejected: 1, conflicts: { SERVER_WON: 1 } });
    const [rejected] = await a.events({ status: "rejected" });
    expect(rejected).toMatchObject({
      error: { code: "CONFLICT" },
      data: { title: "from a", body: "a's body" },
      conflict: {
        serverVersion: 2,
        serverRow: { title: "from b", body: "", color: "white" },
        columns: ["title"],
        resolution: "SERVER_WON",
      },
    });
    // The receive of the same sync gave the device the server's row.
    expect(await a.db.select().from(conflictTables.serverWins)).toEqual([
      { id: 1, title: "from b", body: "", color: "white" },
    ]);
    // The app decides to overwrite: the change goes again, based on the version it now holds.
    await a.retryEvent(rejected?.id ?? 0);
    expect(await a.db.select().from(conflictTables.serverWins)).toEqual([
      { id: 1, title: "from a", body: "a's body", color: "white" },
    ]);
    expect((await a.sync()).send).toMatchObject({ applied: 1, rejected: 0 });
    await b.sync();
    const expected = [{ id: 1, title: "from a", body: "a's body", color: "white" }];
    expect(await server.rows("SELECT * FROM server_wins")).toEqual(expected);
    expect(await b.db.select().from(conflictTables.serverWins)).toEqual(expected);
  });

  it("a device's own successive offline edits, sent in several batches, never conflict", async () => {
    const { a } = await setup();
    await a.insert(conflictTables.serverWins, { title: "first" });
    await a.sync();
    for (const title of ["one", "two", "three"]) {
      await a.update(conflictTables.serverWins, 1, { title });
      await a.setSendCheckpoint();
    }
    await a.delete(conflictTables.serverWins, 1);
    const report = await a.sync();
    expect(report.send).toMatchObject({ batches: 4, applied: 4, rejected: 0 });
    expect(Object.values(report.send.conflicts)).toEqual([0, 0, 0, 0]);
  });

  it("an update of a row another device deleted is DELETED_REMOTELY; the device drops the row", async () => {
    const { a, b } = await setup();
    await a.insert(conflictTables.merged, { title: "first" });
    await a.sync();
    await b.sync();
    await b.delete(conflictTables.merged, 1);
    await b.sync();
    await a.update(conflictTables.merged, 1, { title: "late" });
    const report = await a.sync();
    expect(report.send.conflicts.DELETED_REMOTELY).toBe(1);
    expect(await a.db.select().from(conflictTables.merged)).toEqual([]);
    const [rejected] = await a.events({ status: "rejected" });
    expect(rejected?.conflict).toMatchObject({ resolution: "DELETED_REMOTELY", serverRow: null });
  });
});
