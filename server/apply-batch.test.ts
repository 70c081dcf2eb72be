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

describe("edge cases of applying a batch", () => {
  it("applies a row that refers to itself and rows of a tree in one run", async () => {
    server = await startTestServer({ model: defineSyncModel({ employee }) });
    await server.rows(
      "CREATE TABLE employee (id integer PRIMARY KEY AUTOINCREMENT, manager_id integer REFERENCES employee(id), name text NOT NULL)",
    );
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
        variables: { input: { clientId: "dev", batchId: "big", operations: ops } },
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
