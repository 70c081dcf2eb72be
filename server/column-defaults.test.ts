import { sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defineSyncModel } from "../schema/index.ts";
import { insert } from "../test-utils/operations.ts";
import { startTestServer, type TestServer } from "../test-utils/test-server.ts";

// An app's model with every kind of default, as a client that is not the typed client sends it:
// INSERTs that leave columns out. The server applies the column's SQL default, as SQLite would
// to an INSERT that does not name the column, and still requires a NOT NULL column without one.
const project = sqliteTable("project", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
});
const task = sqliteTable("task", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  projectId: integer("project_id")
    .notNull()
    .references(() => project.id),
  title: text("title").notNull(),
  done: integer("done").notNull().default(0),
  status: text("status", { enum: ["open", "closed"] })
    .notNull()
    .default("open"),
  starred: integer("starred", { mode: "boolean" }).default(false),
  createdAt: text("created_at").notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`),
  label: text("label").default(sql`('none')`),
  token: text("token").$defaultFn(() => "made-by-the-app"),
});
const badge = sqliteTable("badge", {
  id: text("id").primaryKey(),
  code: text("code")
    .notNull()
    .$defaultFn(() => "made-by-the-app"),
});
const model = defineSyncModel({ project, task, badge });

/** The tables as drizzle-kit writes them for this model. */
const tables = [
  "CREATE TABLE project (id integer PRIMARY KEY AUTOINCREMENT NOT NULL, name text NOT NULL)",
  `CREATE TABLE task (
     id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
     project_id integer NOT NULL REFERENCES project(id),
     title text NOT NULL,
     done integer DEFAULT 0 NOT NULL,
     status text DEFAULT 'open' NOT NULL,
     starred integer DEFAULT false,
     created_at text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
     label text DEFAULT ('none'),
     token text)`,
  "CREATE TABLE badge (id text PRIMARY KEY NOT NULL, code text NOT NULL)",
];

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer({ model, tables });
});
afterEach(async () => {
  await server.close();
});

const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Sends `operations` after a project (-1) and answers the statuses; the project is APPLIED. */
async function send(batchId: string, operations: ReturnType<typeof insert>[]) {
  const { answer, errors } = await server.syncBatch("dev", batchId, [
    insert("project", -1, { name: "p" }),
    ...operations,
  ]);
  expect(errors).toBeUndefined();
  expect(answer.results[0]?.status).toBe("APPLIED");
  return answer.results.slice(1);
}

const taskRows = () =>
  server.rows(
    "SELECT id, title, done, status, starred, created_at, label, token FROM task ORDER BY id",
  );

describe("an INSERT that leaves out columns with an SQL default", () => {
  it("gets a literal default filled in (done 0, status 'open', starred false as 0)", async () => {
    const results = await send("b1", [insert("task", -1, { project_id: -1, title: "t" })]);
    expect(results.map((r) => r.status)).toEqual(["APPLIED"]);
    const [row] = await taskRows();
    expect(row).toMatchObject({ title: "t", done: 0, status: "open", starred: 0 });
  });

  it("gets an SQL-expression default from the database, per row, in one multi-row batch", async () => {
    const results = await send("b2", [
      insert("task", -1, { project_id: -1, title: "a" }),
      insert("task", -2, { project_id: -1, title: "b", created_at: "given", label: null }),
      insert("task", -3, { project_id: -1, title: "c", label: "mine" }),
      insert("task", -4, { project_id: -1, title: "d" }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["APPLIED", "APPLIED", "APPLIED", "APPLIED"]);
    const rows = await taskRows();
    expect(rows.map((row) => [row.title, row.label])).toEqual([
      ["a", "none"],
      // An explicit null stays null: only a column left out gets its default.
      ["b", null],
      ["c", "mine"],
      ["d", "none"],
    ]);
    expect(rows.map((row) => isoTime.test(String(row.created_at)))).toEqual([
      true,
      false,
      true,
      true,
    ]);
    expect(rows[1]?.created_at).toBe("given");
  });

  it("keeps its defaults when a broken row sends the batch's INSERTs one by one", async () => {
    const results = await send("b3", [
      insert("task", -1, { project_id: -1, title: "a" }),
      insert("task", -2, { project_id: 999, title: "orphan" }),
      insert("task", -3, { project_id: -1, title: "c", done: 1 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["APPLIED", "REJECTED", "APPLIED"]);
    expect(results[1]?.error).toMatchObject({
      code: "CONSTRAINT_VIOLATION",
      message: expect.stringContaining("task.project_id is 999, but project has no row"),
    });
    const rows = await taskRows();
    expect(rows.map((row) => [row.title, row.done, row.status, row.label])).toEqual([
      ["a", 0, "open", "none"],
      ["c", 1, "open", "none"],
    ]);
    expect(rows.every((row) => isoTime.test(String(row.created_at)))).toBe(true);
  });
});

describe("an INSERT that leaves out a column without an SQL default", () => {
  it("is rejected when the column is NOT NULL, with a message naming it", async () => {
    const results = await send("b4", [insert("task", -1, { project_id: -1, done: 1 })]);
    expect(results[0]).toMatchObject({
      status: "REJECTED",
      error: {
        code: "CONSTRAINT_VIOLATION",
        message: "task.title is missing and must not be null (it has no SQL default)",
      },
    });
  });

  it("stores NULL when the column is nullable, even with a $defaultFn (the server runs no app code)", async () => {
    await send("b5", [insert("task", -1, { project_id: -1, title: "t" })]);
    expect((await taskRows())[0]?.token).toBeNull();
  });

  it("is rejected when the NOT NULL column's only default is a $defaultFn, saying so", async () => {
    const { answer } = await server.syncBatch("dev", "b6", [insert("badge", "k1", {})]);
    expect(answer.results[0]).toMatchObject({
      status: "REJECTED",
      error: {
        code: "CONSTRAINT_VIOLATION",
        message: expect.stringMatching(
          /^badge\.code is missing and must not be null \(it has no SQL default; its JS default \(\$defaultFn\) is made on the device/,
        ),
      },
    });
  });

  it("still refuses an explicit null in a NOT NULL column that has a default", async () => {
    const results = await send("b7", [
      insert("task", -1, { project_id: -1, title: "t", done: null }),
    ]);
    expect(results[0]).toMatchObject({
      status: "REJECTED",
      error: { code: "CONSTRAINT_VIOLATION", message: "task.done must not be null" },
    });
  });
});

describe("syncModel", () => {
  it("shows each column's SQL default as SQL text, null for none and for a $defaultFn", async () => {
    const { data, errors } = await server.gql<{
      syncModel: Array<{ name: string; columns: Array<{ name: string; default: string | null }> }>;
    }>("{ syncModel { name columns { name default } } }");
    expect(errors).toBeUndefined();
    const defaults = Object.fromEntries(
      (data?.syncModel.find((table) => table.name === "task")?.columns ?? []).map((column) => [
        column.name,
        column.default,
      ]),
    );
    expect(defaults).toEqual({
      id: null,
      project_id: null,
      title: null,
      done: "0",
      status: "'open'",
      starred: "0",
      created_at: "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
      label: "('none')",
      token: null,
    });
  });
});
