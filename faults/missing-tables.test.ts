import { join } from "node:path";
import { createClient } from "@libsql/client";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { afterEach, describe, expect, it } from "vitest";
import { createSyncClient } from "../client/index.ts";
import { defineSyncModel } from "../schema/index.ts";
import { createSyncServer } from "../server/index.ts";
import { tempDir } from "../test-utils/temp-dir.ts";

// An app's own model on a database its migrations never reached: both sides refuse at start,
// naming what is missing, instead of failing at the first write with a raw SQLite error.
const project = sqliteTable("project", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
});
const task = sqliteTable("task", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  projectId: integer("project_id")
    .notNull()
    .references(() => project.id),
  done: integer("done").notNull(),
});
const model = defineSyncModel({ project, task });

const dirs: Array<ReturnType<typeof tempDir>> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

/** A database file holding the given statements' tables. */
async function databaseWith(statements: readonly string[]): Promise<string> {
  const dir = tempDir("missing-tables-");
  dirs.push(dir);
  const url = `file:${join(dir.path, "db.sqlite")}`;
  const database = createClient({ url });
  for (const sql of statements) await database.execute(sql);
  database.close();
  return url;
}

const projectTable =
  "CREATE TABLE project (id integer PRIMARY KEY AUTOINCREMENT, name text NOT NULL)";

describe("a model whose tables the database lacks", () => {
  it("the server refuses to start, naming the missing table", async () => {
    const database = await databaseWith([]);
    await expect(createSyncServer({ model, database, logging: false })).rejects.toThrow(
      'createSyncServer: the database does not hold the model: table "project" is missing.',
    );
  });

  it("the server refuses to start, naming the missing column", async () => {
    const database = await databaseWith([
      projectTable,
      "CREATE TABLE task (id integer PRIMARY KEY AUTOINCREMENT, project_id integer NOT NULL REFERENCES project(id))",
    ]);
    await expect(createSyncServer({ model, database, logging: false })).rejects.toThrow(
      'task has no column "done"',
    );
  });

  it("the client refuses with INVALID_OPTION, naming the missing table, and the database opens again once it has it", async () => {
    const database = await databaseWith([projectTable]);
    const endpoint = "http://127.0.0.1:9/graphql";
    await expect(createSyncClient({ database, endpoint, model })).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringMatching(
        /^createSyncClient: the device database does not hold the model: table "task" is missing/,
      ),
    });
    const fix = createClient({ url: database });
    await fix.execute(
      "CREATE TABLE task (id integer PRIMARY KEY AUTOINCREMENT, project_id integer NOT NULL REFERENCES project(id), done integer NOT NULL)",
    );
    fix.close();
    const client = await createSyncClient({ database, endpoint, model });
    expect(await client.insert(model.tables.project, { name: "p" })).toBe(-1);
    await client.close();
  });
});
