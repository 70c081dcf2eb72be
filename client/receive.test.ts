import { describe, expect, it } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { syncedRows } from "../test-utils/compare-databases.ts";
import { sendFixtures } from "../test-utils/send-fixtures.ts";
import type { TestDevice } from "../test-utils/test-device.ts";
import { typedStageRows } from "../test-utils/typed-stage-rows.ts";
import { ReceiveError } from "./sync-client-error.ts";

const fixtures = sendFixtures();

/** A server and two devices on it: `a` writes, `b` receives. */
async function twoDevices() {
  const server = await fixtures.server();
  const a = await fixtures.device(server.endpoint);
  const b = await fixtures.device(server.endpoint);
  return { server, a, b };
}

/**
 * The device's staged entries (rows held, the changes of the pages staged, the rows of a typed
 * stage) and cursors.
 */
async function staged(device: TestDevice) {
  const entries = await device.rows(
    `SELECT table_name, row_key, kind FROM sync_receive_stage
     UNION ALL SELECT j.value->>1, NULL, NULL FROM sync_receive_page p, json_each(p.changes, '$[1]') j`,
  );
  const typed = await typedStageRows(device);
  const state = await device.rows(
    "SELECT name FROM sync_state WHERE name LIKE 'receive_%' ORDER BY name",
  );
  return { entries: entries.length + typed.rows, state: state.map((row) => row.name) };
}

async function integrity(device: TestDevice) {
  expect(await device.rows("PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
  expect(await device.rows("PRAGMA foreign_key_check")).toEqual([]);
}

describe("receive()", () => {
  it("brings another device's rows, page by page, and the device ends equal to the server", async () => {
    const { server, a, b } = await twoDevices();
    await a.client.transaction(async (w) => {
      for (let i = 0; i < 5; i++) {
        const customerId = await w.insert(t.customer, { name: `c${i}`, email: `${i}@x` });
        const invoiceId = await w.insert(t.invoice, {
          customerId,
          issuedAt: "2026-12-01",
          total: i,
        });
        await w.insert(t.invoiceLine, { invoiceId, product: "p", quantity: 1, price: 0.1 + i });
        await w.insert(t.note, { customerId, body: `note ${i}` });
      }
    });
    await a.client.send();
    const progress: unknown[] = [];
    const report = await b.client.receive({ limit: 3, onProgress: (p) => progress.push(p) });
    expect(report).toMatchObject({ pages: 7, changes: 20, applied: 20, skipped: 0, held: 0 });
    expect(report.reset).toBeNull();
    expect(progress.at(-1)).toEqual({ pages: 7, changes: 20, hasMore: false, reset: null });
    expect(await syncedRows(b.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
    expect(await b.client.events()).toEqual([]);
    expect(await staged(b)).toEqual({ entries: 0, state: ["receive_cursor"] });
    await integrity(b);
    // Nothing new: one page, nothing applied.
    expect(await b.client.receive()).toMatchObject({ pages: 1, changes: 0, applied: 0 });
  });

  it("skips the device's own writes coming back: the versions from syncBatch answers", async () => {
    const { a } = await twoDevices();
    const customerId = await a.client.insert(t.customer, { name: "Ada" });
    await a.client.insert(t.invoice, { customerId, issuedAt: "x", total: 1 });
    const report = await a.client.sync();
    expect(report.send.applied).toBe(2);
    expect(
      await a.rows("SELECT table_name, row_key, version FROM sync_row_version ORDER BY 1"),
    ).toEqual([
      { table_name: "customer", row_key: "1", version: 1 },
      { table_name: "invoice", row_key: "1", version: 1 },
    ]);
    expect(report.receive).toMatchObject({ changes: 2, applied: 0, skipped: 2 });
    await a.client.update(t.customer, 1, { email: "ada@x" });
    await a.client.delete(t.invoice, 1);
    expect((await a.client.sync()).receive).toMatchObject({ changes: 2, applied: 0, skipped: 2 });
    // A delete's version goes with it.
    expect(await a.rows("SELECT table_name, row_key, version FROM sync_row_version")).toEqual([
      { table_name: "customer", row_key: "1", version: 2 },
    ]);
  });

  it("applies a run whose child comes before its parent, across pages", async () => {
    const { server, a, b } = await twoDevices();
    const customerId = await a.client.insert(t.customer, { name: "Ada" });
    await a.client.insert(t.invoice, { customerId, issuedAt: "x", total: 1 });
    await a.client.send();
    // The customer's latest change now comes after the invoice's.
    await a.client.update(t.customer, 1, { name: "Ada L" });
    await a.client.send();
    const seen: string[] = [];
    const fetch: typeof globalThis.fetch = async (url, init) => {
      const response = await globalThis.fetch(url, init);
      const text = await response.clone().text();
      if (text.includes("syncChanges"))
        seen.push(...[...text.matchAll(/"table":"(\w+)"/g)].map((m) => m[1] as string));
      return response;
    };
    const reader = await fixtures.device(server.endpoint, { fetch });
    const report = await reader.client.receive({ limit: 1 });
    expect(seen).toEqual(["invoice", "customer"]);
    expect(report).toMatchObject({ pages: 2, applied: 2 });
    expect(await reader.rows("SELECT id, name FROM customer")).toEqual([{ id: 1, name: "Ada L" }]);
    await integrity(reader);
    await b.client.receive();
    expect(await syncedRows(b.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
  });

  it("re-applies pending local events over a pulled row: local writes win until answered", async () => {
    const { server, a, b } = await twoDevices();
    await a.client.insert(t.customer, { name: "Ada", email: "ada@x" });
    await a.client.insert(t.customer, { name: "Bob" });
    await a.client.sync();
    await b.client.receive();
    await b.client.update(t.customer, 1, { name: "Ada (b)" });
    await b.client.delete(t.customer, 2);
    await a.client.update(t.customer, 1, { name: "Ada (a)", email: "new@x" });
    await a.client.update(t.customer, 2, { name: "Bob (a)" });
    await a.client.send();
    const report = await b.client.receive();
    expect(report).toMatchObject({ applied: 2, skipped: 0 });
    // The server's email, the device's own unsent name; the row it deleted stays deleted.
    expect(await b.rows("SELECT id, name, email FROM customer")).toEqual([
      { id: 1, name: "Ada (b)", email: "new@x" },
    ]);
    expect((await b.client.events({ status: "pending" })).map((e) => e.kind)).toEqual([
      "update",
      "delete",
    ]);
    await b.client.sync();
    await a.client.sync();
    const onServer = await syncedRows((sql) => server.rows(sql));
    expect(onServer.customer).toEqual([{ id: 1, name: "Ada (b)", email: "new@x" }]);
    expect(await syncedRows(a.rows)).toEqual(onServer);
    expect(await syncedRows(b.rows)).toEqual(onServer);
  });

  it("keeps every write the app makes while a receive runs, between pages and during the apply", async () => {
    const { server, a, b } = await twoDevices();
    await a.client.transaction(async (w) => {
      for (let i = 0; i < 40; i++) await w.insert(t.customer, { name: `a${i}` });
    });
    await a.client.send();
    await b.client.receive({ limit: 1000 });
    await a.client.transaction(async (w) => {
      for (let i = 1; i <= 40; i++) await w.update(t.customer, i, { email: `a${i}@x` });
    });
    await a.client.send();
    const writes: Array<Promise<unknown>> = [];
    const racing = (i: number) => b.client.insert(t.customer, { name: `racing ${i}` });
    const report = await b.client.receive({
      limit: 5,
      onProgress: ({ pages, hasMore }) => {
        // A pulled row changed locally before its page is applied, and new rows.
        writes.push(b.client.update(t.customer, pages, { name: `b${pages}` }));
        writes.push(b.client.insert(t.note, { body: `during page ${pages}` }));
        // And writes racing the apply itself, before and after it begins.
        if (!hasMore) {
          writes.push(racing(1));
          setImmediate(() => writes.push(racing(2)));
          setTimeout(() => writes.push(racing(3)), 1);
        }
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.all(writes);
    expect(report).toMatchObject({ pages: 8, applied: 40 });
    const rows = await b.rows("SELECT id, name, email FROM customer WHERE id > 0 ORDER BY id");
    expect(rows).toHaveLength(40);
    for (const row of rows) {
      const id = Number(row.id);
      expect(row).toEqual({ id, name: id <= 8 ? `b${id}` : `a${id - 1}`, email: `a${id}@x` });
    }
    expect(await b.rows("SELECT count(*) AS n FROM note")).toEqual([{ n: 8 }]);
    expect(await b.rows("SELECT count(*) AS n FROM customer WHERE id < 0")).toEqual([{ n: 3 }]);
    expect(await b.client.events({ status: "pending" })).toHaveLength(19);
    await b.client.sync();
    await a.client.sync();
    const onServer = await syncedRows((sql) => server.rows(sql));
    expect(await syncedRows(b.rows)).toEqual(onServer);
    expect(await syncedRows(a.rows)).toEqual(onServer);
    await integrity(b);
  });

  it("stages pages durably: a client closed between pages resumes from the staged cursor", async () => {
    const { server, a, b } = await twoDevices();
    await a.client.transaction(async (w) => {
      for (let i = 0; i < 10; i++) {
        const customerId = await w.insert(t.customer, { name: `c${i}` });
        await w.insert(t.invoice, { customerId, issuedAt: "x", total: i });
      }
    });
    await a.client.send();
    const cursors: Array<string | null> = [];
    const fetch: typeof globalThis.fetch = async (url, init) => {
      const body = JSON.parse(String(init?.body)) as {
        query: string;
        variables: { input: { cursor: string | null } };
      };
      if (body.query.includes("syncChanges")) cursors.push(body.variables.input.cursor);
      return globalThis.fetch(url, init);
    };
    const first = await b.reopen({ fetch }).then(() => b.client);
    const stopped = await first
      .receive({
        limit: 4,
        onProgress: ({ pages }) => {
          if (pages === 3) void b.closeClient();
        },
      })
      .catch((error: unknown) => error);
    expect(stopped).toBeInstanceOf(ReceiveError);
    expect(stopped).toMatchObject({ code: "ABORTED", report: { pages: 3, changes: 12 } });
    // Nothing applied, three pages staged with the last one's cursor.
    expect(await b.rows("SELECT count(*) AS n FROM customer")).toEqual([{ n: 0 }]);
    // An empty device stages the rows as table rows, for the apply.
    expect(await staged(b)).toEqual({
      entries: 12,
      state: ["receive_staged_cursor", "receive_typed_stage"],
    });
    const stagedCursor = (
      await b.rows("SELECT value FROM sync_state WHERE name = 'receive_staged_cursor'")
    )[0]?.value;
    cursors.length = 0;
    const second = await b.reopen({ fetch });
    const report = await second.receive({ limit: 4 });
    expect(cursors[0]).toBe(stagedCursor);
    expect(report).toMatchObject({ pages: 2, changes: 8, applied: 20 });
    expect(await syncedRows(b.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
    expect(await staged(b)).toEqual({ entries: 0, state: ["receive_cursor"] });
    await integrity(b);
  });

  it("holds a delete while a pending local row refers to the row, and makes it once none does", async () => {
    const { a, b } = await twoDevices();
    await a.client.insert(t.customer, { name: "Ada" });
    await a.client.sync();
    await b.client.receive();
    const invoiceId = await b.client.insert(t.invoice, { customerId: 1, issuedAt: "x", total: 1 });
    await a.client.delete(t.customer, 1);
    await a.client.send();
    expect(await b.client.receive()).toMatchObject({ applied: 0, held: 1 });
    expect(await b.rows("SELECT id FROM customer")).toEqual([{ id: 1 }]);
    await integrity(b);
    await b.client.delete(t.invoice, invoiceId);
    expect(await b.client.receive()).toMatchObject({ applied: 1, held: 0 });
    expect(await b.rows("SELECT id FROM customer")).toEqual([]);
    await integrity(b);
  });

  it("refuses to apply while a sent batch has no answer, keeping the pages; applies after a send", async () => {
    const { server, a, b } = await twoDevices();
    await a.client.insert(t.customer, { name: "from a" });
    await a.client.send();
    let loseAnswers = true;
    const fetch: typeof globalThis.fetch = async (url, init) => {
      const response = await globalThis.fetch(url, init);
      if (loseAnswers && String(init?.body).includes("syncBatch(")) throw new TypeError("lost");
      return response;
    };
    const device = await b.reopen({ fetch, retry: { retries: 0 } });
    await device.insert(t.customer, { name: "from b" });
    await expect(device.send()).rejects.toMatchObject({ code: "NETWORK" });
    // The server applied b's insert; b does not know its server key yet.
    expect(await server.rows("SELECT count(*) AS n FROM customer")).toEqual([{ n: 2 }]);
    await expect(device.receive()).rejects.toMatchObject({ code: "UNANSWERED_BATCH" });
    loseAnswers = false;
    const report = await device.sync();
    expect(report.send).toMatchObject({ replayed: 1, mappingsApplied: 1 });
    expect(report.receive).toMatchObject({ applied: 1, skipped: 1 });
    expect(await syncedRows(b.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
  });

  it("starts over once when the server refuses its cursor: unlisted rows go, pending ones stay", async () => {
    const { server, a, b } = await twoDevices();
    await a.client.insert(t.customer, { name: "Ada" });
    await a.client.insert(t.customer, { name: "Bob" });
    await a.client.sync();
    await b.client.receive();
    await b.client.update(t.customer, 2, { email: "bob@b" });
    const tempKey = await b.client.insert(t.customer, { name: "unsent" });
    // Rows the server no longer has (as after a purge of their tombstones).
    await b.rows("INSERT INTO customer (id, name) VALUES (90, 'gone'), (91, 'gone, with a note')");
    await b.rows("INSERT INTO note (id, customer_id, body) VALUES ('n1', 91, 'gone too')");
    await b.rows("UPDATE sync_state SET value = 'garbled' WHERE name = 'receive_cursor'");
    const report = await b.client.receive();
    expect(report).toMatchObject({ reset: "FROM_START", applied: 2, removed: 3 });
    expect(await b.rows("SELECT id, name, email FROM customer ORDER BY id")).toEqual([
      { id: tempKey, name: "unsent", email: null },
      { id: 1, name: "Ada", email: null },
      { id: 2, name: "Bob", email: "bob@b" },
    ]);
    expect(await b.rows("SELECT count(*) AS n FROM note")).toEqual([{ n: 0 }]);
    await integrity(b);
    await b.client.sync();
    expect(await syncedRows(b.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
  });
});
