import { join } from "node:path";
import { createClient } from "@libsql/client";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { defineSyncModel, exampleTables as t } from "../schema/index.ts";
import { startHttpServer } from "../test-utils/http-server.ts";
import { useServerAndDevice } from "../test-utils/server-and-device.ts";
import { tempDir } from "../test-utils/temp-dir.ts";
import { createSyncClient } from "./index.ts";

const fixture = useServerAndDevice();

describe("rejected events", () => {
  it("stay rejected with the server's code, dependents too; retryEvent after a fix sends them again", async () => {
    const c = fixture.device.client;
    // A customer key that exists on the device but not (yet) on the server: the device got it
    // from a mapping of another session, say. Here it is planted to make the server refuse.
    await fixture.device.rows("INSERT INTO customer (id, name) VALUES (500, 'local only')");
    const ok = await c.insert(t.customer, { name: "Ada" });
    const invoice = await c.insert(t.invoice, {
      customerId: 500,
      issuedAt: "2026-11-26",
      total: 1,
    });
    await c.insert(t.invoiceLine, { invoiceId: invoice, product: "pen", quantity: 1, price: 1 });
    await c.update(t.invoice, invoice, { total: 2 });
    await c.insert(t.invoice, { customerId: ok, issuedAt: "2026-11-26", total: 3 });

    const report = await c.send();
    expect(report).toMatchObject({ applied: 2, rejected: 3 });
    const rejected = await c.events({ status: "rejected" });
    expect(rejected.map((e) => [e.kind, e.table, e.error?.code])).toEqual([
      ["insert", "invoice", "CONSTRAINT_VIOLATION"],
      ["insert", "invoice_line", "DEPENDENCY_REJECTED"],
      ["update", "invoice", "DEPENDENCY_REJECTED"],
    ]);
    expect(rejected[0]?.error?.message).toMatch(/FOREIGN KEY/);
    expect(await c.events({ status: "pending" })).toEqual([]);
    expect(await fixture.server.rows("SELECT total FROM invoice")).toEqual([
      expect.objectContaining({ total: 3 }),
    ]);

    // The cause is fixed on the server; the app retries the invoice: its dependents come along.
    await fixture.server.rows("INSERT INTO customer (id, name) VALUES (500, 'now on the server')");
    const retried = await c.retryEvent(rejected[0]?.id ?? 0);
    expect(retried).toEqual(rejected.map((e) => e.id));
    const again = await c.send();
    expect(again).toMatchObject({ applied: 3, rejected: 0, mappingsApplied: 2 });
    expect(await c.events()).toEqual([]);
    expect(await fixture.server.rows("SELECT customer_id, total FROM invoice ORDER BY id")).toEqual(
      [
        expect.objectContaining({ total: 3 }),
        expect.objectContaining({ customer_id: 500, total: 2 }),
      ],
    );
    expect(
      await fixture.device.rows("SELECT count(*) AS n FROM invoice_line WHERE invoice_id > 0"),
    ).toEqual([{ n: 1 }]);
  });

  it("removeEvent drops a rejected event; unknown, pending-in-flight and non-rejected ids are refused clearly", async () => {
    const c = fixture.device.client;
    await c
      .insert(t.invoice, { customerId: 999_999, issuedAt: "x", total: 1 })
      .catch(() => undefined);
    await fixture.device.rows("INSERT INTO customer (id, name) VALUES (77, 'local only')");
    await c.insert(t.invoice, { customerId: 77, issuedAt: "x", total: 1 });
    await c.send();
    const [rejected] = await c.events({ status: "rejected" });
    expect(rejected?.error?.code).toBe("CONSTRAINT_VIOLATION");
    await expect(c.retryEvent(12345)).rejects.toMatchObject({
      code: "INVALID_EVENT",
      message: expect.stringMatching(/no such event/),
    });
    await expect(c.removeEvent(12345)).rejects.toMatchObject({ code: "INVALID_EVENT" });
    await c.insert(t.customer, { name: "pending" });
    const [pending] = await c.events({ status: "pending" });
    await expect(c.retryEvent(pending?.id ?? 0)).rejects.toMatchObject({
      message: expect.stringMatching(/not rejected/),
    });
    await c.removeEvent(rejected?.id ?? 0);
    expect((await c.events()).map((e) => e.kind)).toEqual(["insert"]);
    await expect(c.events({ status: "sent" as "pending" })).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringMatching(/status must be "pending" or "rejected", got "sent"/),
    });
  });

  it("retryEvent of an INSERT brings back the row's later events and rows referring to it by a device-made key", async () => {
    const folder = sqliteTable("folder", {
      id: text("id").primaryKey(),
      name: text("name").notNull(),
    });
    const doc = sqliteTable("doc", {
      id: integer("id").primaryKey({ autoIncrement: true }),
      folderId: text("folder_id").references(() => folder.id),
      title: text("title").notNull(),
    });
    const model = defineSyncModel({ folder, doc });
    const tables = [
      "CREATE TABLE folder (id text PRIMARY KEY, name text NOT NULL)",
      "CREATE TABLE doc (id integer PRIMARY KEY AUTOINCREMENT, folder_id text REFERENCES folder(id), title text NOT NULL)",
    ];
    const server = await startHttpServer({ model, tables });
    const dir = tempDir("client-keyed-retry-");
    const database = `file:${join(dir.path, "device.db")}`;
    const local = createClient({ url: database });
    try {
      for (const sql of tables) await local.execute(sql);
      // A rule on the server refuses the device's folder until it is lifted.
      await server.rows(
        "CREATE TRIGGER no_mine BEFORE INSERT ON folder WHEN NEW.name = 'mine' BEGIN SELECT RAISE(ABORT, 'no folder called mine'); END",
      );
      const c = await createSyncClient({ database, endpoint: server.endpoint, model });
      try {
        const folderId = await c.insert(folder, { id: "f1", name: "mine" });
        await c.insert(doc, { folderId, title: "notes" });
        await c.update(folder, folderId, { name: "mine, renamed" });
        expect(await c.send()).toMatchObject({ applied: 0, rejected: 3 });
        const rejected = await c.events({ status: "rejected" });
        expect(rejected.map((e) => [e.table, e.kind, e.error?.code])).toEqual([
          ["folder", "insert", "CONSTRAINT_VIOLATION"],
          ["doc", "insert", "DEPENDENCY_REJECTED"],
          ["folder", "update", "DEPENDENCY_REJECTED"],
        ]);

        await server.rows("DROP TRIGGER no_mine");
        expect(await c.retryEvent(rejected[0]?.id ?? 0)).toEqual(rejected.map((e) => e.id));
        expect(await c.send()).toMatchObject({ applied: 3, rejected: 0 });
        expect(await server.rows("SELECT id, name FROM folder")).toEqual([
          expect.objectContaining({ id: "f1", name: "mine, renamed" }),
        ]);
        expect(await server.rows("SELECT folder_id, title FROM doc")).toEqual([
          expect.objectContaining({ folder_id: "f1", title: "notes" }),
        ]);
      } finally {
        await c.close();
      }
    } finally {
      local.close();
      await server.close();
      dir.remove();
    }
  });

  it("refuses event ids and paging values that are not integers, naming the call", async () => {
    const c = fixture.device.client;
    await expect(c.retryEvent("1" as unknown as number)).rejects.toMatchObject({
      code: "INVALID_EVENT",
      message: 'retryEvent("1"): an event id is a positive integer (SyncEvent.id), got "1"',
    });
    await expect(c.removeEvent(1.5)).rejects.toMatchObject({ code: "INVALID_EVENT" });
    await expect(c.events({ limit: 1.5 })).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message: "events(): limit must be an integer from 1 to 10000, got 1.5",
    });
    await expect(c.events({ after: "x" as unknown as number })).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringMatching(/events\(\): after must be an integer/),
    });
  });

  it("retryEvent sends a rejected row as it is now: an INSERT the app fixed locally, an UPDATE newer ones overtook", async () => {
    const c = fixture.device.client;
    const first = await c.insert(t.customer, { name: "first" });
    const second = await c.insert(t.customer, { name: "second" });
    await c.send();
    // Another device deletes the first customer; the device does not know yet.
    await fixture.server.syncBatch("other", "gone", [
      { eventId: "1", table: "customer", kind: "DELETE", key: "1", data: null },
    ]);
    const invoice = await c.insert(t.invoice, { customerId: first, issuedAt: "x", total: 1 });
    await c.insert(t.invoiceLine, { invoiceId: invoice, product: "p", quantity: 1, price: 1 });
    // And a rule on the server refuses one name until it is lifted.
    await fixture.server.rows(
      "CREATE TRIGGER no_x BEFORE UPDATE OF name ON customer WHEN NEW.name = 'X' BEGIN SELECT RAISE(ABORT, 'not X'); END",
    );
    await c.update(t.customer, second, { name: "X" });
    await c.update(t.customer, second, { name: "Y", email: "y@example.com" });
    expect(await c.send()).toMatchObject({ applied: 1, rejected: 3 });
    const rejected = await c.events({ status: "rejected" });
    expect(rejected.map((e) => [e.table, e.kind, e.error?.code])).toEqual([
      ["invoice", "insert", "CONSTRAINT_VIOLATION"],
      ["invoice_line", "insert", "DEPENDENCY_REJECTED"],
      ["customer", "update", "CONSTRAINT_VIOLATION"],
    ]);

    // The app moves the invoice to the second customer, lifts the rule, and retries both.
    await c.update(t.invoice, invoice, { customerId: second });
    await fixture.server.rows("DROP TRIGGER no_x");
    await c.retryEvent(rejected[0]?.id ?? 0);
    await c.retryEvent(rejected[2]?.id ?? 0);
    expect((await c.events()).find((e) => e.id === rejected[0]?.id)?.data).toMatchObject({
      customer_id: 2,
    });
    expect(await c.send()).toMatchObject({ rejected: 0 });
    expect(await c.events()).toEqual([]);
    const rows =
      "SELECT c.id, c.name, c.email, i.customer_id, l.product FROM customer c LEFT JOIN invoice i ON i.customer_id = c.id LEFT JOIN invoice_line l ON l.invoice_id = i.id ORDER BY c.id";
    const onServer = await fixture.server.rows(rows);
    expect(onServer).toEqual([
      expect.objectContaining({
        id: 2,
        name: "Y",
        email: "y@example.com",
        customer_id: 2,
        product: "p",
      }),
    ]);
    expect((await fixture.device.rows(rows)).filter((row) => row.id === 2)).toEqual(
      onServer.map((row) => ({ ...row })),
    );
  });
});
