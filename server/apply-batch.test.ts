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
