import { afterEach, describe, expect, it } from "vitest";
import { remove, update } from "../test-utils/operations.ts";
import { receiveRun, sendBatch } from "../test-utils/receive.ts";
import {
  closeScopedServer,
  grants,
  setGrants,
  startScopedServer,
} from "../test-utils/scoped-team-server.ts";
import { c1, c3, order, seedTeams, sorted, tagRow, team1, team2 } from "../test-utils/team-seed.ts";

// Rows leaving a read scope over HTTP: a project or task moved to another team reaches the old
// team's devices as DELETEs (with its children) and the new team's as UPSERTs, once each.

afterEach(closeScopedServer);

describe("leaving a scope", () => {
  it("moving a project to another team moves its tasks and comments: DELETEs for the old team, UPSERTs for the new", async () => {
    const s = await startScopedServer();
    setGrants({ dev1: ["t1"], dev2: ["t2"], both: ["t1", "t2"] });
    await seedTeams(s);
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
    const s = await startScopedServer();
    setGrants({ dev1: ["t1"], dev2: ["t2"] });
    await seedTeams(s);
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
    const s = await startScopedServer();
    setGrants({ both: ["t1", "t2"] });
    await seedTeams(s);
    const { cursor } = await receiveRun(s, "both", null);
    await sendBatch(s, "admin", "to-t1", [update("project", 2, { team_id: "t1" })]);
    await sendBatch(s, "admin", "to-t3", [update("project", 2, { team_id: "t3" })]);
    for (const limit of [1, 2, 100]) {
      const run = await receiveRun(s, "both", cursor, limit);
      expect(sorted(run.changes), `limit ${limit}`).toEqual(order(team2(3, "DELETE")));
    }
  });

  it("a row deleted after it left a scope comes once to each device", async () => {
    const s = await startScopedServer();
    setGrants({ dev1: ["t1"], dev2: ["t2"] });
    await seedTeams(s);
    const dev1 = await receiveRun(s, "dev1", null);
    const dev2 = await receiveRun(s, "dev2", null);
    await sendBatch(s, "admin", "b2", [update("project", 2, { team_id: "t1" })]);
    await sendBatch(s, "admin", "b3", [remove("comment", c3)]);
    // A DELETE for a row that left carries the version it left with: the comment's deletion in
    // t1 since (its version 2) is none of dev2's business.
    expect(sorted((await receiveRun(s, "dev2", dev2.cursor)).changes)).toEqual([
      ["comment", c3, "DELETE", 1],
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
