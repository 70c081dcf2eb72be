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

// The property's findings, each reduced to its smallest history. An open one asserts the
// difference as it is today, so that it fails once the finding is fixed: then assert equality
// instead, and drop its part of `knownFindings`.
describe("receive convergence: findings", () => {
  it("finding 1 (open): a row a device inserts outside its read scopes stays on it for good", async () => {
    const s = await twoDevices(["t1"]);
    try {
      await s.a.client.insert(project, { teamId: "t2", name: "another team's" });
      expect((await s.a.client.sync()).send.applied).toBe(1);
      await s.a.client.sync();
      // The server holds the project in t2, which `a` does not read; no DELETE comes, so `a`
      // keeps it. Converged, `device` would equal `server` (empty).
      const { device, server } = await s.compare(s.a, "project");
      expect(server).toEqual([]);
      expect(device).toEqual([{ id: 1, team_id: "t2", name: "another team's" }]);
    } finally {
      await s.close();
    }
  });

  it("finding 2 (open): a delete the server rejects leaves the row missing on the device for good", async () => {
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
      expect((await s.a.client.sync()).send.rejected).toBe(1);
      const [rejected] = await s.a.client.events({ status: "rejected" });
      expect(rejected?.error?.code).toBe("CONSTRAINT_VIOLATION");
      expect((await s.a.client.sync()).receive.held).toBe(1);
      // The tag never comes back (its version did not change) and the task waits for it, held.
      // Converged, `a` would hold both, as the server does.
      const tags = await s.compare(s.a, "tag");
      const tasks = await s.compare(s.a, "task");
      expect(tags.server).toEqual([{ id: 1, label: "urgent" }]);
      expect(tags.device).toEqual([]);
      expect(tasks.server).toHaveLength(1);
      expect(tasks.device).toEqual([]);
      // Removing the rejected event changes nothing; only a receive from the start repairs it.
      await s.a.client.removeEvent(rejected?.id ?? 0);
      await s.a.client.sync();
      expect((await s.compare(s.a, "tag")).device).toEqual([]);
      await s.a.client.receive({ fromStart: true });
      expect((await s.compare(s.a, "tag")).device).toEqual(tags.server);
      expect((await s.compare(s.a, "task")).device).toEqual(tasks.server);
    } finally {
      await s.close();
    }
  });

  it("finding 4 (open): a row a reset kept for its pending events stays after they are sent", async () => {
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
      // its project (its DELETE held for the task).
      expect(await s.a.client.receive()).toMatchObject({ reset: "CURSOR_EXPIRED", held: 1 });
      expect((await s.a.client.sync()).send.applied).toBe(1);
      await s.a.client.sync();
      // Nothing removes them once the update is answered. Converged, `a` would hold neither.
      const tasks = await s.compare(s.a, "task");
      expect(tasks.server).toEqual([]);
      expect(tasks.device).toEqual([
        { id: 1, project_id: 1, tag_id: null, title: "renamed offline" },
      ]);
      expect((await s.compare(s.a, "project")).device).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it("finding 3 (fixed): a device's own write coming back is applied when another write came between", async () => {
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
