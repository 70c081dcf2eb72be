import { afterEach, describe, expect, it } from "vitest";
import {
  type ChangesRequest,
  customerUpsert,
  type FakeChangesServer,
  type FakePage,
  startFakeChangesServer,
} from "../faults/fake-changes-server.ts";
import { exampleTables as t } from "../schema/index.ts";
import { openTestDevice, type TestDevice } from "../test-utils/test-device.ts";

const open: Array<FakeChangesServer | TestDevice> = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

/** A fake server answering each cursor (`""` for null) with its page, and a device on it. */
async function setup(pages: Record<string, FakePage | ((request: ChangesRequest) => FakePage)>) {
  const server = await startFakeChangesServer((request) => {
    const page = pages[request.cursor ?? ""];
    if (!page) return { error: "INVALID_CURSOR" };
    return typeof page === "function" ? page(request) : page;
  });
  open.push(server);
  const device = await openTestDevice(server.endpoint);
  open.push(device);
  return { server, device };
}

const customers = (device: TestDevice) =>
  device.rows("SELECT id, name, email FROM customer ORDER BY id");

async function integrity(device: TestDevice) {
  expect(await device.rows("PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
  expect(await device.rows("PRAGMA foreign_key_check")).toEqual([]);
}

/** Closes the client once `pages` pages are staged, as a crash between pages would leave it. */
const closeAfter = (device: TestDevice, pages: number) => ({
  onProgress: (progress: { pages: number }) => {
    if (progress.pages === pages) void device.closeClient();
  },
});

describe("receive() of a reset", () => {
  it("discards pages staged before a forced snapshot, removes unlisted rows, keeps pending ones", async () => {
    const { device } = await setup({
      "": {
        changes: [1, 2, 3, 4].map((id) => customerUpsert(id, `c${id}`)),
        cursor: "c1",
        hasMore: false,
      },
      c1: { changes: [customerUpsert(5, "staged, then discarded")], cursor: "c2", hasMore: true },
      c2: {
        changes: [customerUpsert(1, "c1 again", 2)],
        cursor: "r1",
        hasMore: true,
        reset: "CURSOR_EXPIRED",
      },
      r1: {
        changes: [
          {
            table: "invoice",
            key: "1",
            kind: "UPSERT",
            version: 1,
            data: { customer_id: 1, issued_at: "x", total: 2.5 },
          },
        ],
        cursor: "r2",
        hasMore: false,
        reset: "CURSOR_EXPIRED",
      },
      r2: { changes: [], cursor: "r2", hasMore: false },
    });
    expect(await device.client.receive()).toMatchObject({ applied: 4, reset: null });
    await device.client.update(t.customer, 2, { email: "pending@x" });
    const tempKey = await device.client.insert(t.customer, { name: "never sent" });
    await device.client.insert(t.note, { customerId: 4, body: "refers to customer 4" });

    await expect(device.client.receive(closeAfter(device, 1))).rejects.toMatchObject({
      code: "ABORTED",
    });
    expect(
      await device.rows(
        "SELECT j.value->>1 AS row_key FROM sync_receive_page p, json_each(p.changes, '$[1]') j",
      ),
    ).toEqual([{ row_key: "5" }]);

    const client = await device.reopen();
    const report = await client.receive();
    expect(report).toMatchObject({
      pages: 2,
      changes: 2,
      applied: 2,
      removed: 1,
      held: 3,
      reset: "CURSOR_EXPIRED",
    });
    expect(await customers(device)).toEqual([
      { id: tempKey, name: "never sent", email: null },
      { id: 1, name: "c1 again", email: null },
      { id: 2, name: "c2", email: "pending@x" },
      { id: 4, name: "c4", email: null },
    ]);
    expect(await device.rows("SELECT id, customer_id FROM invoice")).toEqual([
      { id: 1, customer_id: 1 },
    ]);
    // The removal of the rows kept waits: customer 2's and the note's for their pending events,
    // customer 4's for the note that refers to it. The versions are the snapshot's.
    expect(
      await device.rows(
        "SELECT table_name, row_key, kind, version, held FROM sync_receive_stage ORDER BY 1, 2",
      ),
    ).toEqual([
      { table_name: "customer", row_key: "2", kind: "delete", version: 0, held: 1 },
      { table_name: "customer", row_key: "4", kind: "delete", version: 0, held: 1 },
      { table_name: "note", row_key: expect.any(String), kind: "delete", version: 0, held: 1 },
    ]);
    expect(
      await device.rows("SELECT table_name, row_key, version FROM sync_row_version ORDER BY 1, 2"),
    ).toEqual([
      { table_name: "customer", row_key: "1", version: 2 },
      { table_name: "invoice", row_key: "1", version: 1 },
    ]);
    await integrity(device);

    const [note] = await client
      .events({ status: "pending", limit: 10 })
      .then((events) => events.filter((event) => event.table === "note"));
    await client.removeEvent(note?.id ?? 0);
    await device.rows("DELETE FROM note");
    expect(await client.receive()).toMatchObject({ applied: 1, held: 1 });
    expect((await customers(device)).map((row) => row.id)).toEqual([tempKey, 1, 2]);
    await integrity(device);
  });

  it("goes on with a snapshot staged before a crash: its later pages continue it", async () => {
    const { device, server } = await setup({
      "": { changes: [customerUpsert(1, "one")], cursor: "c1", hasMore: false },
      c1: {
        changes: [customerUpsert(2, "two")],
        cursor: "s1",
        hasMore: true,
        reset: "STORE_CHANGED",
      },
      s1: {
        changes: [customerUpsert(3, "three")],
        cursor: "s2",
        hasMore: false,
        reset: "STORE_CHANGED",
      },
    });
    await device.client.receive();
    await expect(device.client.receive(closeAfter(device, 1))).rejects.toMatchObject({
      code: "ABORTED",
    });
    const report = await (await device.reopen()).receive();
    expect(server.requests.map((request) => request.cursor)).toEqual([null, "c1", "s1"]);
    expect(report).toMatchObject({ pages: 1, applied: 2, removed: 1, reset: "STORE_CHANGED" });
    expect((await customers(device)).map((row) => row.name)).toEqual(["two", "three"]);
  });

  it("discards an interrupted snapshot when the server starts another one, of the same reason", async () => {
    const { device, server } = await setup({
      "": { changes: [customerUpsert(1, "one")], cursor: "c1", hasMore: false },
      c1: {
        changes: [customerUpsert(2, "two, deleted before the second snapshot")],
        cursor: "s1",
        hasMore: true,
        reset: "STORE_CHANGED",
      },
      // The store changed again while the first snapshot ran: a new one starts from scratch.
      s1: {
        changes: [customerUpsert(3, "three")],
        cursor: "t1",
        hasMore: false,
        reset: "STORE_CHANGED",
        snapshotStart: true,
      },
    });
    await device.client.receive();
    await expect(device.client.receive(closeAfter(device, 1))).rejects.toMatchObject({
      code: "ABORTED",
    });
    const report = await (await device.reopen()).receive();
    expect(server.requests.map((request) => request.cursor)).toEqual([null, "c1", "s1"]);
    expect(report).toMatchObject({ reset: "STORE_CHANGED", removed: 1 });
    expect((await customers(device)).map((row) => row.name)).toEqual(["three"]);
  });

  it("starts over from a snapshot once when its cursor is refused, and fails when that is refused too", async () => {
    const { device, server } = await setup({
      "": { changes: [customerUpsert(1, "one")], cursor: "c1", hasMore: false },
    });
    await device.client.receive();
    // c1 is unknown now (a replaced store): INVALID_CURSOR, then the run from the start.
    // A reset forgets the versions it knew: the row is written again, unchanged.
    expect(await device.client.receive()).toMatchObject({ reset: "FROM_START", applied: 1 });
    expect(server.requests.map((request) => request.cursor)).toEqual([null, "c1", null]);

    const refusing = await setup({});
    await expect(refusing.device.client.receive()).rejects.toMatchObject({
      code: "INVALID_CURSOR",
    });
    expect(refusing.server.requests).toHaveLength(1);
  });

  it("applies a change whose version is below the device's after a store was restored", async () => {
    const { device } = await setup({
      "": { changes: [customerUpsert(1, "before", 7)], cursor: "c1", hasMore: false },
      c1: {
        changes: [customerUpsert(1, "restored", 3)],
        cursor: "s1",
        hasMore: false,
        reset: "STORE_CHANGED",
      },
    });
    await device.client.receive();
    expect(await device.client.receive()).toMatchObject({ applied: 1, skipped: 0 });
    expect(await customers(device)).toEqual([{ id: 1, name: "restored", email: null }]);
  });
});

describe("receive() of pages that do not fit", () => {
  it("holds a row whose parent the device lacks until the parent comes", async () => {
    const invoice = {
      table: "invoice",
      key: "9",
      kind: "UPSERT" as const,
      version: 1,
      data: { customer_id: 7, issued_at: "x", total: 1 },
    };
    const { device } = await setup({
      "": { changes: [invoice], cursor: "c1", hasMore: false },
      c1: { changes: [customerUpsert(7, "late parent")], cursor: "c2", hasMore: false },
    });
    expect(await device.client.receive()).toMatchObject({ applied: 0, held: 1 });
    expect(await device.rows("SELECT id FROM invoice")).toEqual([]);
    expect(await device.client.receive()).toMatchObject({ applied: 2, held: 0 });
    expect(await device.rows("SELECT id, customer_id FROM invoice")).toEqual([
      { id: 9, customer_id: 7 },
    ]);
    await integrity(device);
  });

  it("refuses a malformed page before anything local changes, and skips unknown tables", async () => {
    const bad = [
      { changes: [customerUpsert(-1, "a temporary key")], cursor: "x", hasMore: false },
      {
        changes: [{ ...customerUpsert(1, "x"), data: { name: { nested: true } } }],
        cursor: "x",
        hasMore: false,
      },
      { changes: [{ ...customerUpsert(1, "x"), kind: "MERGE" }], cursor: "x", hasMore: false },
      { changes: [customerUpsert(1, "x")], cursor: "", hasMore: false },
      { changes: [customerUpsert(1, "x")], cursor: "x", hasMore: false, reset: "BORED" },
    ] as FakePage[];
    let next = 0;
    const { device } = await setup({ "": () => bad[next++] as FakePage });
    for (let i = 0; i < bad.length; i++) {
      await expect(device.client.receive()).rejects.toMatchObject({ code: "ANSWER_MISMATCH" });
    }
    expect(await device.rows("SELECT count(*) AS n FROM sync_receive_stage")).toEqual([{ n: 0 }]);
    expect(await device.rows("SELECT count(*) AS n FROM customer")).toEqual([{ n: 0 }]);
  });

  it("makes a DELETE at the version the device knows: a row leaving its scopes", async () => {
    const { device } = await setup({
      "": { changes: [customerUpsert(1, "in scope", 3)], cursor: "c1", hasMore: false },
      c1: {
        changes: [{ table: "customer", key: "1", kind: "DELETE", version: 3, data: null }],
        cursor: "c2",
        hasMore: false,
      },
      c2: { changes: [customerUpsert(1, "back in scope", 3)], cursor: "c3", hasMore: false },
    });
    await device.client.receive();
    expect(await device.client.receive()).toMatchObject({ applied: 1, skipped: 0 });
    expect(await customers(device)).toEqual([]);
    expect(await device.client.receive()).toMatchObject({ applied: 1, skipped: 0 });
    expect(await customers(device)).toEqual([{ id: 1, name: "back in scope", email: null }]);
  });

  it("retries a server failure as send() does, counting the retries", async () => {
    let failures = 2;
    const { device } = await setup({
      "": () =>
        failures-- > 0
          ? { error: "INTERNAL_SERVER_ERROR" }
          : { changes: [customerUpsert(1, "at last")], cursor: "c1", hasMore: false },
    });
    expect(await device.client.receive()).toMatchObject({ retries: 2, applied: 1 });
  });

  it("skips the changes of tables the device's model lacks", async () => {
    const { device } = await setup({
      "": {
        changes: [
          { table: "newer_table", key: "1", kind: "UPSERT", version: 1, data: { x: 1 } },
          customerUpsert(1, "known"),
        ],
        cursor: "c1",
        hasMore: false,
      },
    });
    expect(await device.client.receive()).toMatchObject({ changes: 2, applied: 1, skipped: 1 });
  });
});
