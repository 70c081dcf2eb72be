import { join } from "node:path";
import { createClient } from "@libsql/client";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { afterEach, describe, expect, it } from "vitest";
import { createNodeFetch, createSyncClient, type SyncClient } from "../client/index.ts";
import { defineSyncModel, type SyncModel } from "../schema/index.ts";
import { type HttpTestServer, startHttpServer } from "../test-utils/http-server.ts";
import { expectIntact } from "../test-utils/invariants.ts";
import { tempDir } from "../test-utils/temp-dir.ts";

// An app's model changes on one side before the other: a device updated before its server (a
// column the server lacks), then the server catching up; and a server updated before its devices.

const project = sqliteTable("project", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
});
const taskColumns = {
  id: integer("id").primaryKey({ autoIncrement: true }),
  projectId: integer("project_id")
    .notNull()
    .references(() => project.id),
  title: text("title").notNull(),
  done: integer("done").notNull(),
};
/** Version 1 of the app's model. */
const model = defineSyncModel({ project, task: sqliteTable("task", taskColumns) });
/** Version 2 on the device first: `task.priority`. */
const withPriority = defineSyncModel({
  project,
  task: sqliteTable("task", { ...taskColumns, priority: integer("priority") }),
});
/** Version 2 on the server first: `task.note`. */
const withNote = defineSyncModel({
  project,
  task: sqliteTable("task", { ...taskColumns, note: text("note") }),
});

const projectTable =
  "CREATE TABLE project (id integer PRIMARY KEY AUTOINCREMENT, name text NOT NULL)";
const taskTable = (extra = "") =>
  `CREATE TABLE task (id integer PRIMARY KEY AUTOINCREMENT, project_id integer NOT NULL REFERENCES project(id), title text NOT NULL, done integer NOT NULL${extra})`;

type Rows = (sql: string) => Promise<Array<Record<string, unknown>>>;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A server on `serverUrl`, a device whose tables are created with SQL before it opens, and a
 * fetch that follows the server across restarts (a restarted server listens on a new port).
 */
async function setUp<TTables extends Record<string, SQLiteTable>>(options: {
  serverModel: SyncModel;
  serverTables: readonly string[];
  deviceModel: SyncModel<TTables>;
  deviceTables: readonly string[];
}) {
  const files = tempDir("schema-change-");
  cleanups.push(files.remove);
  const serverUrl = `file:${join(files.path, "server.db")}`;
  const deviceUrl = `file:${join(files.path, "device.db")}`;
  const state: { server: HttpTestServer } = {
    server: await startHttpServer({
      model: options.serverModel,
      reuseDatabase: serverUrl,
      tables: options.serverTables,
    }),
  };
  cleanups.push(() => state.server.close());
  const setup = createClient({ url: deviceUrl });
  for (const sql of options.deviceTables) await setup.execute(sql);
  setup.close();
  const own = createNodeFetch();
  cleanups.push(() => own.close());
  const client: SyncClient<TTables> = await createSyncClient({
    database: deviceUrl,
    endpoint: "http://127.0.0.1:9/graphql",
    model: options.deviceModel,
    fetch: (_url, init) => own(state.server.endpoint, init),
    retry: { retries: 0 },
  });
  cleanups.push(() => client.close());
  const reader = createClient({ url: deviceUrl });
  cleanups.push(() => reader.close());
  const device: Rows = async (sql) =>
    (await reader.execute(sql)).rows.map((row) => ({ ...row }) as Record<string, unknown>);
  const server: Rows = async (sql) =>
    (await state.server.rows(sql)).map((row) => ({ ...row }) as Record<string, unknown>);
  return { state, serverUrl, client, device, server };
}

describe("a model that changes on one side before the other", () => {
  it("device ahead: the task is rejected UNKNOWN_COLUMN with its updates and kept; once the server has the column, retryEvent and send() apply it", async () => {
    const { state, serverUrl, client, device, server } = await setUp({
      serverModel: model,
      serverTables: [projectTable, taskTable()],
      deviceModel: withPriority,
      deviceTables: [projectTable, taskTable(", priority integer")],
    });
    const { tables } = withPriority;
    const projectKey = await client.insert(tables.project, { name: "Garden" });
    const taskKey = await client.insert(tables.task, {
      projectId: projectKey,
      title: "Dig",
      done: 0,
      priority: 2,
    });
    await client.update(tables.task, taskKey, { done: 1 });
    await client.update(tables.task, taskKey, { priority: 3 });
    expect([projectKey, taskKey]).toEqual([-1, -1]);
    const [, insertTask, updateDone, updatePriority] = (await client.events()).map((e) => e.id);

    // send() resolves: rejections are verdicts, not failures of the send.
    expect(await client.send()).toEqual({
      batches: 1,
      applied: 1,
      rejected: 3,
      mappingsApplied: 1,
      retries: 0,
      replayed: 0,
      bytesSent: expect.any(Number),
      conflicts: { CLIENT_WON: 0, MERGED: 0, SERVER_WON: 0, DELETED_REMOTELY: 0 },
    });
    // The project applied (and its key mapped on the device); the task's events stay, rejected.
    expect(await server("SELECT * FROM project")).toEqual([{ id: 1, name: "Garden" }]);
    expect(await server("SELECT * FROM task")).toEqual([]);
    const rejected = await client.events({ status: "rejected" });
    expect(rejected).toEqual([
      expect.objectContaining({
        id: insertTask,
        kind: "insert",
        table: "task",
        key: "-1",
        data: { project_id: 1, title: "Dig", done: 0, priority: 2 },
        status: "rejected",
        error: {
          code: "UNKNOWN_COLUMN",
          message: expect.stringMatching(/^task has no column "priority" on this server \(/),
        },
      }),
      expect.objectContaining({
        id: updateDone,
        kind: "update",
        key: "-1",
        data: { done: 1 },
        error: {
          code: "DEPENDENCY_REJECTED",
          message: "key: task -1 was not created because its INSERT was rejected",
        },
      }),
      // An update that itself names the new column is refused for it, before its key is looked at.
      expect.objectContaining({
        id: updatePriority,
        kind: "update",
        key: "-1",
        data: { priority: 3 },
        error: {
          code: "UNKNOWN_COLUMN",
          message: expect.stringMatching(/^task has no column "priority" on this server \(/),
        },
      }),
    ]);
    expect(await client.events({ status: "pending" })).toEqual([]);
    // Nothing is lost on the device: the row keeps its values under its temporary key.
    expect(await device("SELECT * FROM project")).toEqual([{ id: 1, name: "Garden" }]);
    expect(await device("SELECT * FROM task")).toEqual([
      { id: -1, project_id: 1, title: "Dig", done: 1, priority: 3 },
    ]);
    // Sending again does not resend rejected events.
    expect(await client.send()).toMatchObject({ batches: 0, applied: 0, rejected: 0 });

    // The server catches up: stopped, the column added to its database, started with the new model.
    await state.server.close();
    state.server = await startHttpServer({
      model: withPriority,
      reuseDatabase: serverUrl,
      tables: ["ALTER TABLE task ADD COLUMN priority integer"],
    });
    // Retrying the insert puts back its rejected family, whatever their codes, with the row's
    // values as they are now.
    expect(await client.retryEvent(insertTask as number)).toEqual([
      insertTask,
      updateDone,
      updatePriority,
    ]);
    expect(await client.events({ status: "rejected" })).toEqual([]);
    const pending = await client.events({ status: "pending" });
    expect(pending.map((e) => [e.id, e.data])).toEqual([
      [insertTask, { project_id: 1, title: "Dig", done: 1, priority: 3 }],
      [updateDone, { done: 1 }],
      [updatePriority, { priority: 3 }],
    ]);
    expect(await client.send()).toMatchObject({
      batches: 1,
      applied: 3,
      rejected: 0,
      mappingsApplied: 1,
    });
    expect(await client.events()).toEqual([]);
    const expected = [{ id: 1, project_id: 1, title: "Dig", done: 1, priority: 3 }];
    expect(await server("SELECT * FROM task")).toEqual(expected);
    expect(await device("SELECT * FROM task")).toEqual(expected);
    expect(await device("SELECT * FROM project")).toEqual(await server("SELECT * FROM project"));
    await expectIntact(device, "device");
    await expectIntact(server, "server");
  });

  it("server ahead: the device's inserts and updates apply and the server's new column stays NULL", async () => {
    const { client, device, server } = await setUp({
      serverModel: withNote,
      serverTables: [projectTable, taskTable(", note text")],
      deviceModel: model,
      deviceTables: [projectTable, taskTable()],
    });
    const { tables } = model;
    const projectKey = await client.insert(tables.project, { name: "Garden" });
    const taskKey = await client.insert(tables.task, {
      projectId: projectKey,
      title: "Dig",
      done: 0,
    });
    await client.update(tables.task, taskKey, { done: 1 });
    expect(await client.send()).toMatchObject({
      batches: 1,
      applied: 3,
      rejected: 0,
      mappingsApplied: 2,
    });
    expect(await client.events()).toEqual([]);
    expect(await server("SELECT * FROM task")).toEqual([
      { id: 1, project_id: 1, title: "Dig", done: 1, note: null },
    ]);
    expect(await device("SELECT * FROM task")).toEqual([
      { id: 1, project_id: 1, title: "Dig", done: 1 },
    ]);
    expect(await device("SELECT * FROM project")).toEqual(await server("SELECT * FROM project"));
    await expectIntact(device, "device");
    await expectIntact(server, "server");
  });
});
