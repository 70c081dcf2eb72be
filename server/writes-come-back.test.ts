import { afterEach, describe, expect, it } from "vitest";
import { insert, remove, update } from "../test-utils/operations.ts";
import { brief, receiveRun, sendBatch } from "../test-utils/receive.ts";
import { teamModel, teamTablesSql } from "../test-utils/team-model.ts";
import { startTestServer, type TestServer } from "../test-utils/test-server.ts";
import type { ScopeGrant } from "./scope-grant.ts";

// What a writer receives of its own writes that the server did not keep as the device made them:
// rows it left in scopes it does not read come as DELETEs, and rows whose UPDATE or DELETE was
// rejected come again at the server's version.

/** `t1` reads team t1 only; everyone else reads everything. */
const scopes = ({ clientId }: { clientId: string }): ScopeGrant => ({
  read: clientId === "t1" ? ["t1"] : "all",
  write: "all",
});

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<TestServer> {
  server = await startTestServer({ model: teamModel, tables: teamTablesSql, scopes });
  return server;
}

const briefs = (run: { changes: Parameters<typeof brief>[0][] }) => run.changes.map(brief);

describe("a writer's rows outside its read scopes", () => {
  it("reach the writer as DELETEs, in a snapshot and after its cursor, and nobody else", async () => {
    const s = await start();
    const before = await receiveRun(s, "t1", null);
    await sendBatch(s, "t1", "b1", [
      insert("project", -1, { team_id: "t2", name: "elsewhere" }),
      insert("task", -1, { project_id: -1, tag_id: null, title: "inherits t2" }),
      insert("project", -2, { team_id: "t1", name: "home" }),
    ]);
    expect(briefs(await receiveRun(s, "t1", before.cursor))).toEqual([
      ["project", "2", "UPSERT", 1],
      ["project", "1", "DELETE", 1],
      ["task", "1", "DELETE", 1],
    ]);
    // A snapshot (a new install of the same client) holds the DELETEs too: the device may hold the rows.
    expect(briefs(await receiveRun(s, "t1", null))).toEqual([
      ["project", "2", "UPSERT", 1],
      ["project", "1", "DELETE", 1],
      ["task", "1", "DELETE", 1],
    ]);
    // Another client that reads t2 gets the rows, and no DELETE.
    expect(briefs(await receiveRun(s, "other", null))).toEqual([
      ["project", "1", "UPSERT", 1],
      ["project", "2", "UPSERT", 1],
      ["task", "1", "UPSERT", 1],
    ]);
  });

  it("stop once the row is readable again, and go with the tombstones", async () => {
    const s = await start();
    await sendBatch(s, "t1", "b1", [insert("project", -1, { team_id: "t2", name: "elsewhere" })]);
    const first = await receiveRun(s, "t1", null);
    expect(briefs(first)).toEqual([["project", "1", "DELETE", 1]]);
    await sendBatch(s, "other", "b1", [update("project", 1, { team_id: "t1" })]);
    expect(briefs(await receiveRun(s, "t1", first.cursor))).toEqual([
      ["project", "1", "UPSERT", 2],
    ]);
    expect(briefs(await receiveRun(s, "t1", null))).toEqual([["project", "1", "UPSERT", 2]]);
    await sendBatch(s, "t1", "b2", [update("project", 1, { team_id: "t3" })]);
    expect(await s.sync.store.pruneTombstones(Date.now() + 1e9, 1e6)).toBeGreaterThan(0);
    expect(await s.rows("SELECT count(*) AS n FROM sync_writer_exit")).toEqual([{ n: 0 }]);
  });
});

describe("the version of a DELETE for a row that left", () => {
  it("is the one the row left with: writes made since, in a scope the device does not read, stay unseen", async () => {
    const s = await start();
    // Written by t1 into t2 at version 1, then edited three times by another client in t2.
    await sendBatch(s, "t1", "b1", [insert("project", -1, { team_id: "t2", name: "elsewhere" })]);
    await sendBatch(s, "other", "seed", [insert("project", -1, { team_id: "t1", name: "mine" })]);
    const before = await receiveRun(s, "t1", null);
    expect(briefs(before)).toEqual([
      ["project", "1", "DELETE", 1],
      ["project", "2", "UPSERT", 1],
    ]);
    // Project 2 leaves t1 at version 2 (the moving UPDATE), then is edited three times in t2.
    const edits = [1, 2, 3].map((i) => update("project", 2, { name: `edit ${i}` }));
    await sendBatch(s, "other", "move", [update("project", 2, { team_id: "t2" })]);
    await sendBatch(s, "other", "edits", edits);
    await sendBatch(
      s,
      "other",
      "edits of 1",
      [1, 2, 3].map((i) => update("project", 1, { name: `${i}` })),
    );
    const after = await receiveRun(s, "t1", before.cursor);
    expect(briefs(after)).toEqual([["project", "2", "DELETE", 2]]);
    // A snapshot holds the writer's exit (the device may hold the row), at the version it wrote.
    expect(briefs(await receiveRun(s, "t1", null))).toEqual([["project", "1", "DELETE", 1]]);
    expect(briefs(await receiveRun(s, "other", null))).toEqual([
      ["project", "2", "UPSERT", 5],
      ["project", "1", "UPSERT", 4],
    ]);
  });
});

describe("a writer's rejected UPDATE or DELETE", () => {
  it("sends the row again at the version the server has; readers that know it skip nothing new", async () => {
    const s = await start();
    await sendBatch(s, "other", "seed", [
      insert("project", -1, { team_id: "t1", name: "p" }),
      insert("task", -1, { project_id: -1, tag_id: null, title: "k" }),
    ]);
    const seen = await receiveRun(s, "t1", null);
    const rejected = [
      remove("project", 1),
      update("task", 1, { project_id: 99 }),
      update("task", 2, { title: "no such task" }),
      update("task", 1, { no_such_column: 1 }),
    ];
    const answer = await sendBatch(s, "t1", "b1", rejected);
    expect(answer.results.map((result) => result.error?.code)).toEqual([
      "CONSTRAINT_VIOLATION",
      "CONSTRAINT_VIOLATION",
      "NOT_FOUND",
      "UNKNOWN_COLUMN",
    ]);
    // The rows the rejected writes named come again, unchanged (task 2 has none).
    expect(briefs(await receiveRun(s, "t1", seen.cursor))).toEqual([
      ["project", "1", "UPSERT", 1],
      ["task", "1", "UPSERT", 1],
    ]);
    // A replay answers from the stored answer and sends nothing again.
    const after = await receiveRun(s, "t1", seen.cursor);
    expect((await sendBatch(s, "t1", "b1", rejected)).replayed).toBe(true);
    expect(briefs(await receiveRun(s, "t1", after.cursor))).toEqual([]);
  });

  it("of a row deleted by another writer sends its DELETE again", async () => {
    const s = await start();
    await sendBatch(s, "other", "seed", [insert("tag", -1, { label: "urgent" })]);
    const seen = await receiveRun(s, "t1", null);
    await sendBatch(s, "other", "gone", [remove("tag", 1)]);
    const deleted = await receiveRun(s, "t1", seen.cursor);
    expect(briefs(deleted)).toEqual([["tag", "1", "DELETE", 2]]);
    const answer = await sendBatch(s, "t1", "b1", [update("tag", 1, { label: "late" })]);
    expect(answer.results[0]?.error?.code).toBe("NOT_FOUND");
    expect(briefs(await receiveRun(s, "t1", deleted.cursor))).toEqual([["tag", "1", "DELETE", 2]]);
  });
});
