import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startHttpServer } from "../test-utils/http-server.ts";
import { openTeamDevice, type TeamDevice } from "../test-utils/team-device.ts";
import {
  allRows,
  project,
  rowsInScopes,
  tag,
  task,
  teamModel,
  teamTablesSql,
} from "../test-utils/team-model.ts";
import { tempDir } from "../test-utils/temp-dir.ts";

const tableNames = ["tag", "project", "task", "comment"] as const;
type TableName = (typeof tableNames)[number];

/** A server of the team model and two devices; `a` reads `readA` (b reads everything). */
async function twoDevices(readA: readonly string[] | "all" = "all") {
  const files = tempDir("sync-finding-");
  const server = await startHttpServer({
    reuseDatabase: `file:${join(files.path, "server.db")}`,
    model: teamModel,
    tables: teamTablesSql,
    scopes: ({ clientId }) => ({ read: clientId === "a" ? readA : "all", write: "all" }),
  });
  const a = await openTeamDevice(files.path, "a", () => server.endpoint);
  const b = await openTeamDevice(files.path, "b", () => server.endpoint);
  /** A device's rows of `table` and the server's in that device's scopes. */
  const compare = async (device: TeamDevice, table: TableName) => ({
    device: await device.rows(allRows[table]),
    server: (
      await server.rows(rowsInScopes(device === a && readA !== "all" ? readA : null)[table])
    ).map((row) => ({ ...row })),
  });
  return {
    server,
    a,
    b,
    compare,
    async close() {
      await a.close();
      await b.close();
      await server.close();
      files.remove();
    },
  };
}

// What the convergence property found, each reduced to its smallest history and kept as a
// regression test.
describe("receive convergence: findings", () => {
  it("finding 1: a row a device inserts outside its read scopes reaches it as a DELETE", async () => {
    const s = await twoDevices(["t1"]);
    try {
      const projectId = await s.a.client.insert(project, { teamId: "t2", name: "another team's" });
      await s.a.client.insert(task, { projectId, title: "inherits t2" });
      await s.a.client.insert(project, { teamId: "t1", name: "its own" });
      const report = await s.a.client.sync();
      expect(report.send.applied).toBe(3);
      // The server holds the t2 project and its task, which `a` does not read: both come back
      // as DELETEs in the same sync; its own project stays, skipped as its own write.
      expect(report.receive).toMatchObject({ applied: 2, skipped: 1 });
      for (const table of ["project", "task"] as const) {
        const { device, server } = await s.compare(s.a, table);
        expect(device).toEqual(server);
      }
      expect((await s.compare(s.a, "project")).device).toEqual([
        { id: 2, team_id: "t1", name: "its own" },
      ]);
      // `b` reads every scope and has them all.
      await s.b.client.sync();
      expect(await s.b.rows(allRows.project)).toHaveLength(2);
      // Moved into t1 by `b`, the project and its task reach `a` again.
      await s.b.client.update(project, 1, { teamId: "t1" });
      await s.b.client.sync();
      expect((await s.a.client.sync()).receive).toMatchObject({ applied: 2 });
      expect(await s.a.rows(allRows.task)).toEqual([
        { id: 1, project_id: 1, tag_id: null, title: "inherits t2" },
      ]);
    } finally {
      await s.close();
    }
  });

  it("finding 2: a delete the server rejects is undone on the device at its next receive", async () => {
    const s = await twoDevices();
    try {
      const tagId = await s.a.client.insert(tag, { label: "urgent" });
      await s.a.client.insert(project, { teamId: "t1", name: "p" });
      await s.a.client.sync();
      await s.b.client.sync();
      await s.b.client.insert(task, { projectId: 1, tagId: 1, title: "uses the tag" });
      await s.b.client.sync();
      // `a` has not received the task yet: the tag looks free there.
      await s.a.client.delete(tag, tagId);
      // The send is rejected; the receive of the same sync brings the tag back with the task.
      const report = await s.a.client.sync();
      expect(report.send.rejected).toBe(1);
      expect(report.receive).toMatchObject({ held: 0 });
      const [rejected] = await s.a.client.events({ status: "rejected" });
      expect(rejected?.error?.code).toBe("CONSTRAINT_VIOLATION");
      for (const table of ["tag", "task"] as const) {
        const { device, server } = await s.compare(s.a, table);
        expect(server).toHaveLength(1);
        expect(device).toEqual(server);
      }
      // `b`, which knows the tag's version, skips it.
      expect((await s.b.client.sync()).receive).toMatchObject({ applied: 0 });
      // Removing the rejected event changes nothing more.
      await s.a.client.removeEvent(rejected?.id ?? 0);
      await s.a.client.sync();
      expect((await s.compare(s.a, "tag")).device).toEqual([{ id: 1, label: "urgent" }]);
    } finally {
      await s.close();
    }
  });

  it("an update the server rejects is undone on the device; a rejected insert stays until the app removes it", async () => {
    const s = await twoDevices();
    try {
      const projectId = await s.a.client.insert(project, { teamId: "t1", name: "p" });
      await s.a.client.insert(task, { projectId, title: "k" });
      await s.a.client.sync();
      await s.b.client.sync();
      await s.b.client.delete(task, 1);
      await s.b.client.delete(project, 1);
      await s.b.client.sync();
      // Offline, `a` renames the deleted task and adds a task to the deleted project.
      await s.a.client.update(task, 1, { title: "renamed" });
      const added = await s.a.client.insert(task, { projectId: 1, title: "added" });
      const report = await s.a.client.sync();
      expect(report.send.rejected).toBe(2);
      const rejected = await s.a.client.events({ status: "rejected" });
      expect(rejected.map((event) => [event.kind, event.error?.code])).toEqual([
        ["update", "CONFLICT"],
        ["insert", "CONSTRAINT_VIOLATION"],
      ]);
      // The renamed task went with the server's delete; the added one (and so its project) stays
      // for the app to fix or remove.
      expect((await s.compare(s.a, "task")).device).toEqual([
        { id: added, project_id: 1, tag_id: null, title: "added" },
      ]);
      expect((await s.compare(s.a, "project")).device).toHaveLength(1);
      for (const event of rejected.toReversed()) await s.a.client.removeEvent(event.id);
      await s.a.client.sync();
      for (const table of ["project", "task"] as const) {
        const { device, server } = await s.compare(s.a, table);
        expect(server).toEqual([]);
        expect(device).toEqual([]);
      }
    } finally {
      await s.close();
    }
  });

  it("finding 4: a row a reset kept for its pending events goes once they are answered and settled", async () => {
    const s = await twoDevices(["t2"]);
    try {
      const projectId = await s.a.client.insert(project, { teamId: "t2", name: "p" });
      const taskId = await s.a.client.insert(task, { projectId, title: "k" });
      await s.a.client.sync();
      await s.b.client.sync();
      // The project leaves a's scopes while a is offline, and its cursor expires.
      await s.b.client.update(project, 1, { teamId: "t1" });
      await s.b.client.sync();
      expect(await s.server.sync.store.pruneTombstones(Date.now() + 1e9, 1e6)).toBeGreaterThan(0);
      await s.a.client.update(task, taskId, { title: "renamed offline" });
      // A receive (or the apply of a sync, when the app writes after its send) while the update
      // is pending: the snapshot lacks the task, which stays for its pending event, and so does
      // its project, which the task refers to. Both DELETEs are held.
      expect(await s.a.client.receive()).toMatchObject({ reset: "CURSOR_EXPIRED", held: 2 });
      // The task is outside a's read scopes now: to a it is missing, and the update is refused.
      expect((await s.a.client.sync()).send.rejected).toBe(1);
      const [refused] = await s.a.client.events({ status: "rejected" });
      expect(refused?.error).toEqual({ code: "NOT_FOUND", message: "task has no row with key 1" });
      // Both rows wait for the app's decision on that event; once it is removed, both go.
      expect((await s.compare(s.a, "task")).device).toHaveLength(1);
      await s.a.client.removeEvent(refused?.id ?? 0);
      await s.a.client.sync();
      for (const table of ["task", "project"] as const) {
        const { device, server } = await s.compare(s.a, table);
        expect(server).toEqual([]);
        expect(device).toEqual([]);
      }
      expect((await s.compare(s.b, "task")).server).toEqual([
        { id: 1, project_id: 1, tag_id: null, title: "k" },
      ]);
    } finally {
      await s.close();
    }
  });

  it("finding 3: a device's own write coming back is applied when another write came between", async () => {
    const s = await twoDevices();
    try {
      const projectId = await s.a.client.insert(project, { teamId: "t1", name: "p" });
      await s.a.client.insert(tag, { label: "urgent" });
      const taskId = await s.a.client.insert(task, { projectId, title: "k" });
      await s.a.client.sync();
      await s.b.client.sync();
      await s.a.client.update(task, taskId, { title: "title from a" });
      await s.a.client.sync();
      // `b` changes another column of the row at version 1; the server makes version 3 of both.
      await s.b.client.update(task, 1, { tagId: 1 });
      const report = await s.b.client.sync();
      // Version 3 comes back to `b`, which never had version 2: it is applied, not skipped.
      expect(report.receive).toMatchObject({ changes: 1, applied: 1, skipped: 0 });
      const { device, server } = await s.compare(s.b, "task");
      expect(device).toEqual(server);
      expect(device).toEqual([{ id: 1, project_id: 1, tag_id: 1, title: "title from a" }]);
      // Without another writer in between, its own write coming back is still skipped.
      await s.b.client.update(task, 1, { title: "title from b" });
      expect((await s.b.client.sync()).receive).toMatchObject({ applied: 0, skipped: 1 });
    } finally {
      await s.close();
    }
  });
});
