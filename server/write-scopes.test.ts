import { afterEach, describe, expect, it } from "vitest";
import { insert, remove, update } from "../test-utils/operations.ts";
import { sendBatch } from "../test-utils/receive.ts";
import { teamModel, teamTablesSql } from "../test-utils/team-model.ts";
import { seedTeams } from "../test-utils/team-seed.ts";
import { startTestServer, type TestServer } from "../test-utils/test-server.ts";
import type { SyncOperation } from "./operation.ts";
import type { ScopeGrant } from "./scope-grant.ts";

// SYNC.md "Identity and ownership", 3: writes outside the write scopes are FORBIDDEN; rows and
// referenced parents outside the read scopes look exactly like missing ones; a device cannot
// move a row into a scope it may not write. Seeded teams: project 1 (t1) with tasks 1 and 2,
// project 2 (t2) with task 3; tag 1 is global.

/** `dev` reads t1 and t3 and writes t1; `admin` (the seed) reads and writes everything. */
const scopes = ({ clientId }: { clientId: string }): ScopeGrant =>
  clientId === "dev" ? { read: ["t1", "t3"], write: ["t1"] } : { read: "all", write: "all" };

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** The seeded server, and an empty one where the same rows are truly missing. */
async function start(): Promise<{ seeded: TestServer; empty: TestServer }> {
  const options = { model: teamModel, tables: teamTablesSql, scopes };
  const seeded = await startTestServer(options);
  const empty = await startTestServer(options);
  servers.push(seeded, empty);
  await seedTeams(seeded);
  return { seeded, empty };
}

/** Sends the same batch to both servers; answers their results. */
async function both(
  s: { seeded: TestServer; empty: TestServer },
  batchId: string,
  operations: SyncOperation[],
) {
  const seeded = await sendBatch(s.seeded, "dev", batchId, operations);
  const empty = await sendBatch(s.empty, "dev", batchId, operations);
  return { seeded: seeded.results, empty: empty.results };
}

const count = async (s: TestServer, table: string) =>
  Number((await s.rows(`SELECT count(*) AS n FROM ${table}`))[0]?.n);

describe("rows outside the read scopes look exactly like missing ones", () => {
  it("an UPDATE or DELETE of a row of t2 gets the answer a key no row has gets", async () => {
    const s = await start();
    const { seeded, empty } = await both(s, "b1", [
      update("project", 2, { name: "renamed" }),
      remove("task", 3),
      update("task", 3, { title: "x" }),
    ]);
    expect(seeded).toEqual(empty);
    expect(seeded.map((r) => r.error?.code)).toEqual(["NOT_FOUND", "NOT_FOUND", "NOT_FOUND"]);
    expect(await s.seeded.rows("SELECT name FROM project WHERE id = 2")).toEqual([
      { name: "Gemini" },
    ]);
    // Nothing of the hidden rows goes back to the device (no new change of them).
    const [state] = await s.seeded.rows(
      "SELECT max(seq) AS seq FROM sync_row WHERE table_name = 'task'",
    );
    expect(Number(state?.seq)).toBeLessThan(20);
  });

  it("an INSERT or UPDATE referring to a row of t2 gets the answer a missing parent gets", async () => {
    const s = await start();
    const child = [insert("task", -1, { project_id: 2, tag_id: null, title: "into t2" })];
    const { seeded, empty } = await both(s, "b1", child);
    expect(seeded).toEqual(empty);
    const missingParent =
      "FOREIGN KEY constraint failed: task.project_id is 2, but project has no row with that key";
    expect(seeded[0]?.error).toEqual({ code: "CONSTRAINT_VIOLATION", message: missingParent });
    const moved = await sendBatch(s.seeded, "dev", "b2", [update("task", 1, { project_id: 2 })]);
    expect(moved.results[0]?.error).toEqual({
      code: "CONSTRAINT_VIOLATION",
      message: missingParent,
    });
    expect(await s.seeded.rows("SELECT project_id FROM task WHERE id = 1")).toEqual([
      { project_id: 1 },
    ]);
  });
});

describe("writes outside the write scopes are FORBIDDEN", () => {
  it("an INSERT into a scope the device reads but may not write, with its dependents", async () => {
    const s = await start();
    const answer = await sendBatch(s.seeded, "dev", "b1", [
      insert("project", -1, { team_id: "t3", name: "read only" }),
      insert("task", -1, { project_id: -1, tag_id: null, title: "its task" }),
      insert("project", -2, { team_id: "t1", name: "mine" }),
      insert("tag", -1, { label: "global" }),
    ]);
    expect(answer.results.map((r) => r.error?.code ?? "APPLIED")).toEqual([
      "FORBIDDEN",
      "DEPENDENCY_REJECTED",
      "APPLIED",
      "APPLIED",
    ]);
    expect(answer.results[0]?.error?.message).toMatch(
      /the row would be in scope t3, which this client may not write/,
    );
    expect(await count(s.seeded, "project")).toBe(3);
  });

  it("an UPDATE that moves a row into a scope the device may not write; within its scopes it applies", async () => {
    const s = await start();
    const answer = await sendBatch(s.seeded, "dev", "b1", [
      update("project", 1, { team_id: "t3" }),
      update("project", 1, { name: "Apollo 2" }),
      insert("project", -1, { team_id: "t1", name: "second" }),
      update("task", 1, { project_id: -1 }),
    ]);
    expect(answer.results.map((r) => r.error?.code ?? "APPLIED")).toEqual([
      "FORBIDDEN",
      "APPLIED",
      "APPLIED",
      "APPLIED",
    ]);
    expect(answer.results[0]?.error?.message).toMatch(/move the row into a scope/);
    expect(await s.seeded.rows("SELECT team_id, name FROM project WHERE id = 1")).toEqual([
      { team_id: "t1", name: "Apollo 2" },
    ]);
  });

  it("a device that reads a scope but may not write it gets FORBIDDEN, and its row back", async () => {
    const s = await start();
    const made = await sendBatch(s.seeded, "admin", "t3", [
      insert("project", -9, { team_id: "t3", name: "t3" }),
    ]);
    const key = Number(made.keyMappings[0]?.serverKey);
    // Found by key in JS: each store keeps sync_row.row_key in its own type.
    const seqOf = async () =>
      (
        await s.seeded.rows("SELECT row_key, seq FROM sync_row WHERE table_name = 'project'")
      ).filter((row) => Number(row.row_key) === key);
    const before = await seqOf();
    const answer = await sendBatch(s.seeded, "dev", "b1", [
      update("project", key, { name: "mine now" }),
    ]);
    expect(answer.results[0]?.error?.code).toBe("FORBIDDEN");
    const after = await seqOf();
    expect(Number(after[0]?.seq)).toBeGreaterThan(Number(before[0]?.seq));
  });

  it("a scoped row with no scope value is in the global scope: only a client that writes every scope writes it", async () => {
    const s = await start();
    // An empty team_id would publish the row (and its tasks) to every device, and let every
    // device edit or delete it.
    const published = await sendBatch(s.seeded, "dev", "b1", [
      insert("project", -1, { team_id: "", name: "to everyone" }),
      insert("task", -1, { project_id: -1, tag_id: null, title: "its task" }),
      update("project", 1, { team_id: "" }),
      insert("tag", -1, { label: "a global table's row" }),
    ]);
    expect(published.results.map((r) => r.error?.code ?? "APPLIED")).toEqual([
      "FORBIDDEN",
      "DEPENDENCY_REJECTED",
      "FORBIDDEN",
      "APPLIED",
    ]);
    expect(published.results[0]?.error?.message).toBe(
      "INSERT into project: the row would be in the global scope (project.team_id names no scope), which only a client that writes every scope may write",
    );
    expect(published.results[2]?.error?.message).toMatch(/move the row into a scope/);
    expect(await s.seeded.rows("SELECT team_id FROM project WHERE id = 1")).toEqual([
      { team_id: "t1" },
    ]);
    // A shared project the admin made: every device reads it, no device of one team writes it.
    const shared = await sendBatch(s.seeded, "admin", "shared", [
      insert("project", -9, { team_id: "", name: "shared" }),
    ]);
    expect(shared.results[0]?.status).toBe("APPLIED");
    const key = Number(shared.keyMappings[0]?.serverKey);
    const edits = await sendBatch(s.seeded, "dev", "b2", [
      update("project", key, { name: "vandalised" }),
      insert("task", -1, { project_id: key, tag_id: null, title: "under the shared project" }),
      remove("project", key),
    ]);
    expect(edits.results.map((r) => r.error?.code)).toEqual([
      "FORBIDDEN",
      "FORBIDDEN",
      "FORBIDDEN",
    ]);
    expect(edits.results[1]?.error?.message).toMatch(
      /the global scope \(task\.project_id names no scope\)/,
    );
    expect(await s.seeded.rows(`SELECT name FROM project WHERE id = ${key}`)).toEqual([
      { name: "shared" },
    ]);
  });
});
