import { afterEach, describe, expect, it } from "vitest";
import { remove, update } from "../test-utils/operations.ts";
import { brief, fetchPage, receiveRun, sendBatch } from "../test-utils/receive.ts";
import {
  closeScopedServer,
  grants,
  setGrants,
  startScopedServer,
} from "../test-utils/scoped-team-server.ts";
import { teamTablesSql } from "../test-utils/team-model.ts";
import {
  c1,
  c2,
  c3,
  order,
  seedTeams,
  sorted,
  tagRow,
  team1,
  team2,
} from "../test-utils/team-seed.ts";

// Read scopes of the team model over HTTP: a team's projects, their tasks and the tasks' comments
// are the team's, tags everyone's. Each device receives its scopes' rows and the global ones, in
// pages that count only those; a device whose scopes changed gets a snapshot of its new ones.

afterEach(closeScopedServer);

describe("read scopes", () => {
  it("sends each device its team's rows and the global rows; 'all' gets everything", async () => {
    const s = await startScopedServer();
    setGrants({ dev1: ["t1"], dev2: ["t2"], both: ["t2", "t1"], none: [] });
    await seedTeams(s);
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
    const s = await startScopedServer();
    setGrants({ dev2: ["t2"] });
    await seedTeams(s);
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
    const s = await startScopedServer();
    setGrants({ dev1: ["t1"], dev2: ["t2"] });
    await seedTeams(s);
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

describe("many read scopes", () => {
  it("answers a device reading 20,000 scopes", async () => {
    const s = await startScopedServer();
    const many = Array.from({ length: 20_000 }, (_, i) => `t${i}`);
    setGrants({ dev: many });
    await seedTeams(s);
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
    const s = await startScopedServer();
    setGrants({ dev: ["t1"] });
    await seedTeams(s);
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
    const s = await startScopedServer({
      tables: [
        ...teamTablesSql,
        "INSERT INTO tag (id, label) VALUES (5, 'old')",
        "INSERT INTO project (id, team_id, name) VALUES (10, 't1', 'Old one'), (11, 't2', 'Old two')",
        "INSERT INTO task (id, project_id, tag_id, title) VALUES (20, 10, 5, 'a'), (21, 11, NULL, 'b')",
        `INSERT INTO comment (id, task_id, body) VALUES ('${c1}', 20, 'x'), ('${c2}', 21, 'y')`,
      ],
    });
    setGrants({ dev1: ["t1"], dev2: ["t2"] });
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
