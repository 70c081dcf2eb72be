import { sql } from "drizzle-orm";
import { integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { buildSchema, parse, validate } from "graphql";
import { afterEach, describe, expect, it } from "vitest";
import { defineSyncModel, exampleModel, type SyncModel, typeDefs } from "../schema/index.ts";
import {
  type SyncBatchAnswer,
  startTestServer,
  type TestServer,
} from "../test-utils/test-server.ts";
import { graphiqlExample, graphiqlExampleFor } from "./graphiql-example.ts";

// GraphiQL's ready example on a server that runs an app's own model, not the example model: it
// names only the model's tables, validates against the SDL, and the server applies all of it.
const person = sqliteTable("person", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  email: text("email"),
});
const project = sqliteTable("project", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  title: text("title").notNull(),
  budget: real("budget"),
});
const task = sqliteTable("task", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  projectId: integer("project_id")
    .notNull()
    .references(() => project.id),
  assigneeId: integer("assignee_id")
    .notNull()
    .references(() => person.id),
  title: text("title").notNull(),
  done: integer("done", { mode: "boolean" }).notNull().default(false),
  dueAt: text("due_at"),
  createdAt: text("created_at").notNull().default(sql`CURRENT_TIMESTAMP`),
});
const comment = sqliteTable("comment", {
  id: text("id").primaryKey(),
  taskId: integer("task_id")
    .notNull()
    .references(() => task.id),
  body: text("body").notNull(),
  state: text("state", { enum: ["draft", "posted"] }).notNull(),
});
const appModel = defineSyncModel({ person, project, task, comment });
const appTables = [
  "CREATE TABLE person (id integer PRIMARY KEY AUTOINCREMENT NOT NULL, name text NOT NULL, email text)",
  "CREATE TABLE project (id integer PRIMARY KEY AUTOINCREMENT NOT NULL, title text NOT NULL, budget real)",
  `CREATE TABLE task (id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
     project_id integer NOT NULL REFERENCES project(id), assignee_id integer NOT NULL REFERENCES person(id),
     title text NOT NULL, done integer DEFAULT 0 NOT NULL, due_at text,
     created_at text DEFAULT CURRENT_TIMESTAMP NOT NULL)`,
  `CREATE TABLE comment (id text PRIMARY KEY NOT NULL, task_id integer NOT NULL REFERENCES task(id),
     body text NOT NULL, state text NOT NULL)`,
];

// Keys made on the device only: a folder (UUID) and its documents (UUID).
const folder = sqliteTable("folder", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
});
const doc = sqliteTable("doc", {
  id: text("id").primaryKey(),
  folderId: text("folder_id").references(() => folder.id),
  words: integer("words").notNull(),
});
const deviceKeyedModel = defineSyncModel({ folder, doc });
const deviceKeyedTables = [
  "CREATE TABLE folder (id text PRIMARY KEY NOT NULL, name text NOT NULL)",
  "CREATE TABLE doc (id text PRIMARY KEY NOT NULL, folder_id text REFERENCES folder(id), words integer NOT NULL)",
];

// No references at all: one row of the first table.
const reading = sqliteTable("reading", {
  id: text("id").primaryKey(),
  sensor: text("sensor").notNull(),
  value: real("value").notNull(),
  takenAt: text("taken_at").notNull(),
});
const flatModel = defineSyncModel({ reading });
const flatTables = [
  "CREATE TABLE reading (id text PRIMARY KEY NOT NULL, sensor text NOT NULL, value real NOT NULL, taken_at text NOT NULL)",
];

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const sdl = buildSchema(typeDefs);

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs the example's mutation on a server with `model` and `tables`; answers its result. */
async function runExample(model: SyncModel, tables: readonly string[]) {
  const example = graphiqlExampleFor(model);
  expect(validate(sdl, parse(example)).map((error) => error.message)).toEqual([]);
  server = await startTestServer({ model, tables });
  const response = await server.post(
    JSON.stringify({ query: example, operationName: "ExampleBatch" }),
  );
  expect(response.errors).toBeUndefined();
  const answer = (response.data as { syncBatch: SyncBatchAnswer }).syncBatch;
  const explored = await server.post(JSON.stringify({ query: example, operationName: "Explore" }));
  expect(explored.errors).toBeUndefined();
  // The rows the mutation wrote are what another device receives.
  const changes = await server.post(JSON.stringify({ query: example, operationName: "Changes" }));
  expect(changes.errors).toBeUndefined();
  const received = (changes.data as { syncChanges: { changes: unknown[]; hasMore: boolean } })
    .syncChanges;
  expect(received).toMatchObject({ hasMore: false });
  expect(received.changes).toHaveLength(answer.results.length);
  return { example, answer };
}

describe("GraphiQL's ready example", () => {
  it("is the seed article's customer and invoices on the example model", () => {
    expect(graphiqlExampleFor(exampleModel)).toBe(graphiqlExample);
    expect(graphiqlExample).toContain("mutation SeedScenario");
    expect(validate(sdl, parse(graphiqlExample))).toEqual([]);
  });

  it("shows two devices' updates of one row and the answer that reports the conflict", async () => {
    server = await startTestServer();
    const run = async (operationName: string) => {
      const response = await server?.post(
        JSON.stringify({ query: graphiqlExample, operationName }),
      );
      if (!response || response.errors) throw new Error(`${operationName}: ${response?.text}`);
      return (response.data as { syncBatch: SyncBatchAnswer }).syncBatch;
    };
    await run("SeedScenario");
    const phone = await run("PhoneEdit");
    expect(phone.results).toEqual([
      { eventId: "1", status: "APPLIED", version: 2, conflict: null },
    ]);
    const laptop = await run("LaptopEdit");
    expect(laptop.results).toEqual([
      {
        eventId: "1",
        status: "APPLIED",
        version: 3,
        error: null,
        conflict: {
          serverVersion: 2,
          serverRow: { name: "Ada King", email: "ada@laptop.example" },
          columns: ["email"],
          resolution: "CLIENT_WON",
        },
      },
    ]);
  });

  it("on another model, inserts a parent and two children by temporary key, all APPLIED", async () => {
    const { example, answer } = await runExample(appModel, appTables);
    expect(example).not.toMatch(/customer|invoice/);
    expect(example).toContain("# A project row created offline (temporary key -1)");
    // Columns with an SQL default are left for the server to fill in.
    expect(example).not.toMatch(/\bdone:|created_at:/);
    expect(answer.results.map((result) => result.status)).toEqual([
      "APPLIED",
      "APPLIED",
      "APPLIED",
      "APPLIED",
    ]);
    expect(answer.keyMappings).toEqual([
      { table: "project", clientKey: "-1", serverKey: "1" },
      { table: "person", clientKey: "-1", serverKey: "1" },
      { table: "task", clientKey: "-1", serverKey: "1" },
      { table: "task", clientKey: "-2", serverKey: "2" },
    ]);
    const rows = await server?.rows(
      "SELECT project_id, assignee_id, done, created_at FROM task ORDER BY id",
    );
    expect(rows?.map((row) => [row.project_id, row.assignee_id, row.done])).toEqual([
      [1, 1, 0],
      [1, 1, 0],
    ]);
    expect(rows?.every((row) => typeof row.created_at === "string")).toBe(true);
  });

  it("gives rows of device-keyed tables UUID-looking keys and refers to them", async () => {
    const { example, answer } = await runExample(deviceKeyedModel, deviceKeyedTables);
    expect(example).toContain("# A folder row with a key made on the device (a UUID)");
    expect(answer.results.map((result) => result.status)).toEqual([
      "APPLIED",
      "APPLIED",
      "APPLIED",
    ]);
    expect(answer.keyMappings).toEqual([]);
    const folders = await server?.rows("SELECT id FROM folder");
    const docs = await server?.rows("SELECT id, folder_id FROM doc");
    expect(folders?.map((row) => String(row.id))).toEqual([expect.stringMatching(uuid)]);
    expect(docs?.map((row) => row.folder_id)).toEqual([folders?.[0]?.id, folders?.[0]?.id]);
    expect(docs?.every((row) => uuid.test(String(row.id)))).toBe(true);
  });

  it("inserts one row of the first table when no table refers to another", async () => {
    const { example, answer } = await runExample(flatModel, flatTables);
    expect(example).toMatch(/data: \{ sensor: "Example sensor 1", value: 10\.5, taken_at: "2026-/);
    expect(answer.results.map((result) => result.status)).toEqual(["APPLIED"]);
  });

  it("is what the server's GraphiQL page opens with", async () => {
    server = await startTestServer({ model: appModel, tables: appTables });
    const page = await server.sync.yoga.fetch("http://127.0.0.1/graphql", {
      headers: { accept: "text/html" },
    });
    const html = await page.text();
    expect(html).toContain("ExampleBatch");
    expect(html).not.toContain("SeedScenario");
  });
});
