import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { afterEach, describe, expect, it } from "vitest";
import { defineSyncModel } from "../schema/index.ts";
import { insert, remove, update } from "../test-utils/operations.ts";
import { brief, fetchPage, receiveRun, sendBatch, type WireChange } from "../test-utils/receive.ts";
import {
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from "../test-utils/test-server.ts";
import type { ScopeGrant } from "./scope-grant.ts";

// A team's projects, their tasks and the tasks' comments are the team's; tags are everyone's.
const tag = sqliteTable("tag", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  label: text("label").notNull(),
});
const project = sqliteTable("project", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  teamId: text("team_id").notNull(),
  name: text("name").notNull(),
});
const task = sqliteTable("task", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  projectId: integer("project_id")
    .notNull()
    .references(() => project.id),
  tagId: integer("tag_id").references(() => tag.id),
  title: text("title").notNull(),
});
const comment = sqliteTable("comment", {
  id: text("id").primaryKey(),
  taskId: integer("task_id")
    .notNull()
    .references(() => task.id),
  body: text("body").notNull(),
});
const model = defineSyncModel(
  { tag, project, task, comment },
  {
    scopes: {
      project: { column: "team_id" },
      task: { parent: "project_id" },
      comment: { parent: "task_id" },
    },
  },
);
const tables = [
  "CREATE TABLE tag (id integer PRIMARY KEY AUTOINCREMENT NOT NULL, label text NOT NULL)",
  "CREATE TABLE project (id integer PRIMARY KEY AUTOINCREMENT NOT NULL, team_id text NOT NULL, name text NOT NULL)",
  "CREATE TABLE task (id integer PRIMARY KEY AUTOINCREMENT NOT NULL, project_id integer NOT NULL REFERENCES project(id), tag_id integer REFERENCES tag(id), title text NOT NULL)",
  "CREATE TABLE comment (id text PRIMARY KEY NOT NULL, task_id integer NOT NULL REFERENCES task(id), body text NOT NULL)",
];

/** Read scopes by clientId; a device not listed reads everything. Tests change it between calls. */
let grants: Record<string, ScopeGrant["read"]> = {};
const scopes = ({ clientId }: { clientId: string }): ScopeGrant => ({
  read: grants[clientId] ?? "all",
  write: "all",
});

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  grants = {};
});

async function start(options: TestServerOptions = {}): Promise<TestServer> {
  server = await startTestServer({ model, tables, scopes, ...options });
  return server;
}

/** Changes as `[table, key, kind, version]`, sorted by table then key. */
const sorted = (changes: readonly WireChange[]) =>
  changes.map(brief).toSorted((a, b) => `${a[0]}:${a[1]}`.localeCompare(`${b[0]}:${b[1]}`));

const c1 = "11111111-1111-4111-8111-111111111111";
const c2 = "22222222-2222-4222-8222-222222222222";
const c3 = "33333333-3333-4333-8333-333333333333";

/**
 * Tag 1 (global); project 1 of team t1 with tasks 1 and 2 and comments c1 (task 1) and c2 (task 2);
 * project 2 of team t2 with task 3 and comment c3.
 */
async function seed(s: TestServer): Promise<void> {
  const answer = await sendBatch(s, "admin", "seed", [
    insert("tag", -1, { label: "urgent" }),
    insert("project", -1, { team_id: "t1", name: "Apollo" }),
    insert("project", -2, { team_id: "t2", name: "Gemini" }),
    insert("task", -1, { project_id: -1, tag_id: -1, title: "design" }),
    insert("task", -2, { project_id: -1, tag_id: null, title: "build" }),
    insert("task", -3, { project_id: -2, tag_id: -1, title: "launch" }),
    insert("comment", c1, { task_id: -1, body: "first" }),
    insert("comment", c2, { task_id: -2, body: "second" }),
    insert("comment", c3, { task_id: -3, body: "third" }),
  ]);
  expect(answer.results.map((r) => r.error?.code ?? r.version)).toEqual([
    1, 1, 1, 1, 1, 1, 1, 1, 1,
  ]);
  expect(answer.keyMappings.map((m) => [m.table, m.clientKey, m.serverKey])).toEqual([
    ["tag", "-1", "1"],
    ["project", "-1", "1"],
    ["project", "-2", "2"],
    ["task", "-1", "1"],
    ["task", "-2", "2"],
    ["task", "-3", "3"],
  ]);
}

const team1 = (version: number, kind = "UPSERT", taskVersion = 1) => [
  ["comment", c1, kind, taskVersion],
  ["comment", c2, kind, taskVersion],
  ["project", "1", kind, version],
  ["task", "1", kind, taskVersion],
  ["task", "2", kind, taskVersion],
];
const team2 = (version: number, kind = "UPSERT") => [
  ["comment", c3, kind, 1],
  ["project", "2", kind, version],
  ["task", "3", kind, 1],
];
const tagRow = ["tag", "1", "UPSERT", 1];

/** Sorts tuples like {@link sorted}. */
const order = (rows: unknown[][]) =>
  rows.toSorted((a, b) => `${a[0]}:${a[1]}`.localeCompare(`${b[0]}:${b[1]}`));

describe("read scopes", () => {
  it("sends each device its team's rows and the global rows; 'all' gets everything", async () => {
    const s = await start();
    grants = { dev1: ["t1"], dev2: ["t2"], both: ["t2", "t1"], none: [] };
    await seed(s);
    const dev1 = await receiveRun(s, "dev1", null, 2);
    expect(sorted(dev1.changes)).toEqual(order([...team1(1), tagRow]));
    expect(dev1.changes.find((c) => c.table === "project")?.data).toEqual({
      team_id: "t1",
      name: "Apollo",
    });
    expect(sorted((await receiveRun(s, "dev2", null)).changes)).toEqual(
      order([...team2(1), tagRow]),
    );
    expect(sorted((await receiveRun(s, "both", null)).changes)).toEqual(
      order([...team1(1), ...team2(1), tagRow]),
    );
    expect(sorted((await receiveRun(s, "all", null)).changes)).toEqual(
      order([...team1(1), ...team2(1), tagRow]),
    );
    expect(sorted((await receiveRun(s, "none", null)).changes)).toEqual([tagRow]);
  });

  it("pages count only the rows in the device's scopes", async () => {
    const s = await start();
    grants = { dev2: ["t2"] };
    await seed(s);
    const run = await receiveRun(s, "dev2", null, 1);
    expect(run.pages.map((p) => [p.changes.length, p.hasMore])).toEqual([
      [1, true],
      [1, true],
      [1, true],
      [1, false],
    ]);
    // Writes in t1 only: dev2 gets an empty page, and its cursor passes them.
    await sendBatch(s, "admin", "b2", [update("project", 1, { name: "Apollo 2" })]);
    const page = await fetchPage(s, "dev2", run.cursor, 1);
    expect(page).toMatchObject({ changes: [], hasMore: false, reset: null });
    await sendBatch(s, "admin", "b3", [update("project", 2, { name: "Gemini 2" })]);
    expect((await fetchPage(s, "dev2", page.cursor, 1)).changes.map(brief)).toEqual([
      ["project", "2", "UPSERT", 2],
    ]);
  });

  it("sends a delete in a scope to that scope's devices only", async () => {
    const s = await start();
    grants = { dev1: ["t1"], dev2: ["t2"] };
    await seed(s);
    const dev1 = await receiveRun(s, "dev1", null);
    const dev2 = await receiveRun(s, "dev2", null);
    await sendBatch(s, "admin", "b2", [remove("comment", c1), remove("comment", c3)]);
    expect((await receiveRun(s, "dev1", dev1.cursor)).changes.map(brief)).toEqual([
      ["comment", c1, "DELETE", 2],
    ]);
    expect((await receiveRun(s, "dev2", dev2.cursor)).changes.map(brief)).toEqual([
      ["comment", c3, "DELETE", 2],
    ]);
  });
});

describe("leaving a scope", () => {
  it("moving a project to another team moves its tasks and comments: DELETEs for the old team, UPSERTs for the new", async () => {
    const s = await start();
    grants = { dev1: ["t1"], dev2: ["t2"], both: ["t1", "t2"] };
    await seed(s);
    const cursors: Record<string, string> = {};
    for (const device of ["dev1", "dev2", "both", "all"]) {
      cursors[device] = (await receiveRun(s, device, null)).cursor;
    }
    const move = await sendBatch(s, "admin", "move", [update("project", 1, { team_id: "t2" })]);
    expect(move.results.map((r) => r.version)).toEqual([2]);

    const dev1 = await receiveRun(s, "dev1", cursors.dev1 ?? null);
    expect(sorted(dev1.changes)).toEqual(order(team1(2, "DELETE")));
    expect(dev1.changes.every((c) => c.data === null)).toBe(true);
    const dev2 = await receiveRun(s, "dev2", cursors.dev2 ?? null);
    expect(sorted(dev2.changes)).toEqual(order(team1(2)));
    expect(dev2.changes.find((c) => c.table === "project")?.data).toEqual({
      team_id: "t2",
      name: "Apollo",
    });
    expect(dev2.changes.find((c) => c.key === c1)?.data).toEqual({ task_id: 1, body: "first" });
    // A device reading both teams never sees the rows leave.
    const both = await receiveRun(s, "both", cursors.both ?? null);
    expect(sorted(both.changes)).toEqual(order(team1(2)));
    const all = await receiveRun(s, "all", cursors.all ?? null);
    expect(sorted(all.changes)).toEqual(order(team1(2)));
    // A device starting now sees no trace of the move in t1.
    grants.late1 = ["t1"];
    expect(sorted((await receiveRun(s, "late1", null)).changes)).toEqual([tagRow]);

    // Moved back: the rows reappear for t1 and leave t2.
    await sendBatch(s, "admin", "back", [update("project", 1, { team_id: "t1" })]);
    expect(sorted((await receiveRun(s, "dev1", dev1.cursor)).changes)).toEqual(order(team1(3)));
    expect(sorted((await receiveRun(s, "dev2", dev2.cursor)).changes)).toEqual(
      order(team1(3, "DELETE")),
    );
    expect(sorted((await receiveRun(s, "both", both.cursor)).changes)).toEqual(order(team1(3)));
    expect(sorted((await receiveRun(s, "late1", null)).changes)).toEqual(
      order([...team1(3), tagRow]),
    );
  });

  it("moving a task to a project of another team moves the task and its comments", async () => {
    const s = await start();
    grants = { dev1: ["t1"], dev2: ["t2"] };
    await seed(s);
    const dev1 = await receiveRun(s, "dev1", null);
    const dev2 = await receiveRun(s, "dev2", null);
    const answer = await sendBatch(s, "admin", "b2", [update("task", 1, { project_id: 2 })]);
    expect(answer.results.map((r) => r.version)).toEqual([2]);
    expect(sorted((await receiveRun(s, "dev1", dev1.cursor)).changes)).toEqual([
      ["comment", c1, "DELETE", 1],
      ["task", "1", "DELETE", 2],
    ]);
    const gained = await receiveRun(s, "dev2", dev2.cursor);
    expect(sorted(gained.changes)).toEqual([
      ["comment", c1, "UPSERT", 1],
      ["task", "1", "UPSERT", 2],
    ]);
  });

  it("a row that left two of a device's scopes comes once", async () => {
    const s = await start();
    grants = { both: ["t1", "t2"] };
    await seed(s);
    const { cursor } = await receiveRun(s, "both", null);
    await sendBatch(s, "admin", "to-t1", [update("project", 2, { team_id: "t1" })]);
    await sendBatch(s, "admin", "to-t3", [update("project", 2, { team_id: "t3" })]);
    for (const limit of [1, 2, 100]) {
      const run = await receiveRun(s, "both", cursor, limit);
      expect(sorted(run.changes), `limit ${limit}`).toEqual(order(team2(3, "DELETE")));
    }
  });

  it("a row deleted after it left a scope comes once to each device", async () => {
    const s = await start();
    grants = { dev1: ["t1"], dev2: ["t2"] };
    await seed(s);
    const dev1 = await receiveRun(s, "dev1", null);
    const dev2 = await receiveRun(s, "dev2", null);
    await sendBatch(s, "admin", "b2", [update("project", 2, { team_id: "t1" })]);
    await sendBatch(s, "admin", "b3", [remove("comment", c3)]);
    // A DELETE carries the row's version as it is now: the comment was deleted since (2).
    expect(sorted((await receiveRun(s, "dev2", dev2.cursor)).changes)).toEqual([
      ["comment", c3, "DELETE", 2],
      ["project", "2", "DELETE", 2],
      ["task", "3", "DELETE", 1],
    ]);
    expect(sorted((await receiveRun(s, "dev1", dev1.cursor)).changes)).toEqual(
      order([
        ["comment", c3, "DELETE", 2],
        ["project", "2", "UPSERT", 2],
        ["task", "3", "UPSERT", 1],
      ]),
    );
  });
});

describe("many read scopes", () => {
  it("answers a device reading 20,000 scopes", async () => {
    const s = await start();
    const many = Array.from({ length: 20_000 }, (_, i) => `t${i}`);
    grants = { dev: many };
    await seed(s);
    const first = await receiveRun(s, "dev", null);
    expect(sorted(first.changes)).toEqual(order([...team1(1), ...team2(1), tagRow]));
    await sendBatch(s, "admin", "b2", [update("project", 2, { team_id: "elsewhere" })]);
    expect(sorted((await receiveRun(s, "dev", first.cursor)).changes)).toEqual(
      order(team2(2, "DELETE")),
    );
  });
});

describe("SCOPE_CHANGED", () => {
  it("a device whose read scopes changed gets a snapshot of its new scopes, then goes on", async () => {
    const s = await start();
    grants = { dev: ["t1"] };
    await seed(s);
    const first = await receiveRun(s, "dev", null);
    expect(sorted(first.changes)).toEqual(order([...team1(1), tagRow]));
    // The same scopes listed twice are the same scopes: no reset.
    grants.dev = ["t1", "t1"];
    expect(await fetchPage(s, "dev", first.cursor)).toMatchObject({
      changes: [],
      hasMore: false,
      reset: null,
    });

    grants.dev = ["t2"];
    const reset = await receiveRun(s, "dev", first.cursor, 1);
    expect(reset.pages.map((p) => [p.reset, p.hasMore])).toEqual([
      ["SCOPE_CHANGED", true],
      ["SCOPE_CHANGED", true],
      ["SCOPE_CHANGED", true],
      ["SCOPE_CHANGED", false],
    ]);
    expect(sorted(reset.changes)).toEqual(order([...team2(1), tagRow]));
    await sendBatch(s, "admin", "b2", [
      update("project", 1, { name: "Apollo 2" }),
      update("project", 2, { name: "Gemini 2" }),
    ]);
    const next = await receiveRun(s, "dev", reset.cursor);
    expect(next.changes.map(brief)).toEqual([["project", "2", "UPSERT", 2]]);
    expect(next.pages.map((p) => p.reset)).toEqual([null]);

    grants.dev = ["t2", "t1"];
    const widened = await receiveRun(s, "dev", next.cursor);
    expect(widened.pages.map((p) => p.reset)).toEqual(["SCOPE_CHANGED"]);
    expect(sorted(widened.changes)).toEqual(
      order([
        ...team1(1).map((r) => (r[0] === "project" ? ["project", "1", "UPSERT", 2] : r)),
        ...team2(2),
        tagRow,
      ]),
    );
    grants.dev = "all";
    const everything = await receiveRun(s, "dev", widened.cursor);
    expect(everything.pages.map((p) => p.reset)).toEqual(["SCOPE_CHANGED"]);
    expect(everything.changes).toHaveLength(9);
  });
});

describe("adoption with scopes", () => {
  it("gives rows written before the server started their scope, inherited from their parents", async () => {
    const s = await start({
      tables: [
        ...tables,
        "INSERT INTO tag (id, label) VALUES (5, 'old')",
        "INSERT INTO project (id, team_id, name) VALUES (10, 't1', 'Old one'), (11, 't2', 'Old two')",
        "INSERT INTO task (id, project_id, tag_id, title) VALUES (20, 10, 5, 'a'), (21, 11, NULL, 'b')",
        `INSERT INTO comment (id, task_id, body) VALUES ('${c1}', 20, 'x'), ('${c2}', 21, 'y')`,
      ],
    });
    grants = { dev1: ["t1"], dev2: ["t2"] };
    expect(sorted((await receiveRun(s, "dev1", null)).changes)).toEqual([
      ["comment", c1, "UPSERT", 1],
      ["project", "10", "UPSERT", 1],
      ["tag", "5", "UPSERT", 1],
      ["task", "20", "UPSERT", 1],
    ]);
    const dev2 = await receiveRun(s, "dev2", null);
    expect(sorted(dev2.changes)).toEqual([
      ["comment", c2, "UPSERT", 1],
      ["project", "11", "UPSERT", 1],
      ["tag", "5", "UPSERT", 1],
      ["task", "21", "UPSERT", 1],
    ]);
    // An adopted project that moves takes its adopted children along.
    await sendBatch(s, "admin", "b1", [update("project", 10, { team_id: "t2" })]);
    expect(sorted((await receiveRun(s, "dev2", dev2.cursor)).changes)).toEqual([
      ["comment", c1, "UPSERT", 1],
      ["project", "10", "UPSERT", 2],
      ["task", "20", "UPSERT", 1],
    ]);
  });
});
