import { type AnySQLiteColumn, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { afterEach, describe, expect, it } from "vitest";
import { defineSyncModel } from "../schema/index.ts";
import { insert } from "../test-utils/operations.ts";
import { startTestServer, type TestServer } from "../test-utils/test-server.ts";
import { createSyncServer } from "./server.ts";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const employee = sqliteTable("employee", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  managerId: integer("manager_id").references((): AnySQLiteColumn => employee.id),
  name: text("name").notNull(),
});

/** A tree whose names are unique: a second "root" breaks a constraint only the database sees. */
const folder = sqliteTable("folder", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  parentId: integer("parent_id").references((): AnySQLiteColumn => folder.id),
  name: text("name").notNull().unique(),
});

describe("edge cases of applying a batch", () => {
  it("applies a row that refers to itself and rows of a tree in one run", async () => {
    server = await startTestServer({
      model: defineSyncModel({ employee }),
      tables: [
        "CREATE TABLE employee (id integer PRIMARY KEY, manager_id integer REFERENCES employee(id), name text NOT NULL)",
      ],
    });
    const { answer } = await server.syncBatch("dev", "b1", [
      insert("employee", -1, { manager_id: -1, name: "the boss" }),
      insert("employee", -2, { manager_id: -1, name: "a report" }),
      insert("employee", -3, { manager_id: -2, name: "a report's report" }),
    ]);
    expect(answer.results.map((r) => r.error?.code ?? r.status)).toEqual([
      "APPLIED",
      "APPLIED",
      "APPLIED",
    ]);
    expect(await server.rows("SELECT id, manager_id FROM employee ORDER BY id")).toEqual([
      expect.objectContaining({ id: 1, manager_id: 1 }),
      expect.objectContaining({ id: 2, manager_id: 1 }),
      expect.objectContaining({ id: 3, manager_id: 2 }),
    ]);
  });

  it("records a key mapping only once its row is written, also row by row after a run failed", async () => {
    server = await startTestServer({
      model: defineSyncModel({ folder }),
      tables: [
        "CREATE TABLE folder (id integer PRIMARY KEY, parent_id integer REFERENCES folder(id), name text NOT NULL UNIQUE)",
      ],
    });
    await server.syncBatch("dev", "b0", [insert("folder", -1, { parent_id: -1, name: "root" })]);
    const { answer } = await server.syncBatch("dev", "b1", [
      insert("folder", -2, { parent_id: -2, name: "itself" }),
      insert("folder", -3, { parent_id: -1, name: "root" }),
      insert("folder", -4, { parent_id: -3, name: "under the second root" }),
      insert("folder", -5, { parent_id: -2, name: "under itself" }),
    ]);
    expect(answer.results.map((r) => r.error?.code ?? r.status)).toEqual([
      "APPLIED",
      "CONSTRAINT_VIOLATION",
      "DEPENDENCY_REJECTED",
      "APPLIED",
    ]);
    expect(answer.results[2]?.error?.message).toBe(
      "data.parent_id: folder -3 was not created because its INSERT was rejected",
    );
    const serverKeyOf = (clientKey: string) =>
      Number(answer.keyMappings.find((m) => m.clientKey === clientKey)?.serverKey);
    expect(answer.keyMappings.map((m) => m.clientKey)).toEqual(["-2", "-5"]);
    expect(await server.rows("SELECT id, parent_id FROM folder ORDER BY id")).toEqual([
      expect.objectContaining({ id: 1, parent_id: 1 }),
      expect.objectContaining({ id: serverKeyOf("-2"), parent_id: serverKeyOf("-2") }),
      expect.objectContaining({ id: serverKeyOf("-5"), parent_id: serverKeyOf("-2") }),
    ]);
    // Only the written rows are mapped; the others are remembered as rejected, until fixed.
    const mapped = await server.rows(
      "SELECT first_client, last_client FROM sync_key_run ORDER BY first_client DESC",
    );
    const mappedKeys = mapped.flatMap((run) => {
      const keys: number[] = [];
      for (let key = Number(run.first_client); key >= Number(run.last_client); key--)
        keys.push(key);
      return keys;
    });
    expect(mappedKeys).toEqual([-1, -2, -5]);
    expect(await server.rows("SELECT client_key FROM sync_rejected_key ORDER BY 1 DESC")).toEqual([
      expect.objectContaining({ client_key: -3 }),
      expect.objectContaining({ client_key: -4 }),
    ]);
    const fixed = await server.syncBatch("dev", "b2", [
      insert("folder", -3, { parent_id: -1, name: "second root" }),
      insert("folder", -4, { parent_id: -3, name: "under the second root" }),
    ]);
    expect(fixed.answer.results.map((r) => r.status)).toEqual(["APPLIED", "APPLIED"]);
    expect(await server.rows("SELECT client_key FROM sync_rejected_key")).toEqual([]);
  });

  it("writes interleaved parents and children per table, and keeps list-order verdicts when a row fails", async () => {
    server = await startTestServer();
    const line = (invoice: number, product: string) =>
      insert("invoice_line", -Number(product.slice(1)), {
        invoice_id: invoice,
        product,
        quantity: 1,
        price: 2.5,
      });
    const invoiceOf = (key: number, customer: number) =>
      insert("invoice", key, { customer_id: customer, issued_at: "2026-11-26", total: 1 });
    // All good: customers, invoices and lines interleaved as a device records them.
    const good = await server.syncBatch("dev", "b1", [
      insert("customer", -1, { name: "Ada" }),
      invoiceOf(-1, -1),
      line(-1, "p1"),
      line(-1, "p2"),
      insert("customer", -2, { name: "Grace" }),
      invoiceOf(-2, -2),
      line(-2, "p3"),
    ]);
    expect(good.answer.results.every((r) => r.status === "APPLIED")).toBe(true);
    expect(
      await server.rows(
        "SELECT c.name, l.product FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id JOIN customer c ON c.id = i.customer_id ORDER BY l.id",
      ),
    ).toEqual([
      expect.objectContaining({ name: "Ada", product: "p1" }),
      expect.objectContaining({ name: "Ada", product: "p2" }),
      expect.objectContaining({ name: "Grace", product: "p3" }),
    ]);
    // An invoice of a customer the server does not have breaks a foreign key only the database
    // sees: that invoice and its line are rejected, everything around them applies.
    const mixed = await server.syncBatch("dev", "b2", [
      insert("customer", -3, { name: "Edsger" }),
      invoiceOf(-3, -3),
      invoiceOf(-4, 999_999),
      line(-4, "p4"),
      line(-3, "p5"),
      insert("customer", -4, { name: "Barbara" }),
    ]);
    expect(mixed.answer.results.map((r) => r.error?.code ?? r.status)).toEqual([
      "APPLIED",
      "APPLIED",
      "CONSTRAINT_VIOLATION",
      "DEPENDENCY_REJECTED",
      "APPLIED",
      "APPLIED",
    ]);
    expect(mixed.answer.keyMappings.map((m) => `${m.table} ${m.clientKey}`)).toEqual([
      "customer -3",
      "invoice -3",
      "invoice_line -5",
      "customer -4",
    ]);
    const invoice3 = mixed.answer.keyMappings[1]?.serverKey;
    expect(
      await server.rows(
        "SELECT product, invoice_id FROM invoice_line WHERE product IN ('p4', 'p5')",
      ),
    ).toEqual([expect.objectContaining({ product: "p5", invoice_id: Number(invoice3) })]);
    expect(await server.rows("SELECT count(*) AS n FROM customer")).toEqual([
      expect.objectContaining({ n: 4 }),
    ]);
  });

  it("rejects a row that refers by value to a row inserted only later in the list, as list order would", async () => {
    server = await startTestServer();
    // The new customer will get server key 1: the note names it before it exists.
    const { answer } = await server.syncBatch("dev", "b1", [
      insert("note", "n-1", { customer_id: 1, body: "too early" }),
      insert("customer", -1, { name: "Ada" }),
      insert("note", "n-2", { customer_id: 1, body: "in time" }),
    ]);
    expect(answer.results.map((r) => r.error?.code ?? r.status)).toEqual([
      "CONSTRAINT_VIOLATION",
      "APPLIED",
      "APPLIED",
    ]);
    expect(answer.keyMappings).toEqual([{ table: "customer", clientKey: "-1", serverKey: "1" }]);
    expect(await server.rows("SELECT id FROM note")).toEqual([
      expect.objectContaining({ id: "n-2" }),
    ]);
  });

  it("replays a batch applied under a larger operation cap instead of refusing it as too large", async () => {
    server = await startTestServer({ limits: { maxOperationsPerRequest: 100 } });
    const ops = Array.from({ length: 50 }, (_, i) =>
      insert("customer", -(i + 1), { name: `c${i}` }),
    );
    const first = await server.syncBatch("dev", "big", ops);
    // The same database behind a server with a smaller cap (another instance, or a new config).
    const smaller = await createSyncServer({
      database: server.sync.store,
      limits: { maxOperationsPerRequest: 10 },
      logging: false,
    });
    const response = await smaller.yoga.fetch("http://127.0.0.1/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query:
          "mutation($input: SyncBatchInput!) { syncBatch(input: $input) { replayed keyMappings { serverKey } } }",
        variables: { input: { clientId: "dev", batchId: "big", batchSeq: 1, operations: ops } },
      }),
    });
    const body = (await response.json()) as {
      data: { syncBatch: { replayed: boolean; keyMappings: unknown[] } };
    };
    expect(body.data.syncBatch.replayed).toBe(true);
    expect(body.data.syncBatch.keyMappings).toHaveLength(first.answer.keyMappings.length);
    expect(await server.rows("SELECT count(*) AS n FROM customer")).toEqual([
      expect.objectContaining({ n: 50 }),
    ]);
  });
});

describe("rows with device-made keys", () => {
  it("answers DEPENDENCY_REJECTED for an UPDATE or DELETE of a note whose INSERT was rejected, until it is inserted", async () => {
    server = await startTestServer();
    const noteId = "6b1c5a52-2f7e-4c55-9d38-0f7b2a2d7e99";
    const first = await server.syncBatch("dev", "1", [insert("note", noteId, { body: null })]);
    expect(first.answer.results[0]?.error?.code).toBe("CONSTRAINT_VIOLATION");
    const later = await server.syncBatch("dev", "2", [
      { eventId: "u", table: "note", kind: "UPDATE", key: noteId, data: { body: "b" } },
      { eventId: "d", table: "note", kind: "DELETE", key: noteId, data: null },
      { eventId: "o", table: "note", kind: "UPDATE", key: "never-sent", data: { body: "b" } },
    ]);
    expect(later.answer.results.map((r) => r.error?.code)).toEqual([
      "DEPENDENCY_REJECTED",
      "DEPENDENCY_REJECTED",
      "NOT_FOUND",
    ]);
    // Another client never tried that row: a plain NOT_FOUND.
    const other = await server.syncBatch("other", "1", [
      { eventId: "u", table: "note", kind: "UPDATE", key: noteId, data: { body: "b" } },
    ]);
    expect(other.answer.results[0]?.error?.code).toBe("NOT_FOUND");
    const fixed = await server.syncBatch("dev", "3", [
      insert("note", noteId, { body: "fixed" }),
      { eventId: "u2", table: "note", kind: "UPDATE", key: noteId, data: { body: "updated" } },
    ]);
    expect(fixed.answer.results.map((r) => r.status)).toEqual(["APPLIED", "APPLIED"]);
    expect(await server.rows("SELECT count(*) AS n FROM sync_rejected_row")).toEqual([
      expect.objectContaining({ n: 0 }),
    ]);
  });
});
