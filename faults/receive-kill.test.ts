import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { expectSound, queryFile, stagedState } from "../test-utils/device-file.ts";
import { type HttpTestServer, startHttpServer } from "../test-utils/http-server.ts";
import {
  type ChildRun,
  killReceiveChildren,
  runReceiveChild,
} from "../test-utils/receive-child.ts";
import { type KillCase, killCases } from "../test-utils/receive-kill-cases.ts";
import { seededRandom } from "../test-utils/seeded-random.ts";
import { openTeamClient } from "../test-utils/team-client.ts";
import { openTeamDevice } from "../test-utils/team-device.ts";
import { writeTeamHistory } from "../test-utils/team-history.ts";
import { comment, project, tag, task, teamModel, teamTablesSql } from "../test-utils/team-model.ts";
import { type TeamRows, tablesOf, union } from "../test-utils/team-tables.ts";
import { tempDir } from "../test-utils/temp-dir.ts";

// SYNC.md, "Receive", point 3: pages are staged durably and applied together in one local
// transaction; a crash between pages loses nothing and the next receive goes on from the staged
// cursor. Here the crash is real: a device process SIGKILLed while it receives, at chosen pages,
// at random moments of a run and while it applies, then a receive on the same file in the test
// process, which must leave the device equal to the server.

const pageSize = 50;

/** What every case shares: the server, what it holds, the pages of a run from the start. */
interface Shared {
  readonly endpoint: string;
  readonly folder: string;
  readonly onServer: TeamRows;
  readonly total: number;
}
/** What a case left: its device, the app's writes pending on it, its kills and their outcomes. */
interface CaseResult {
  readonly path: string;
  readonly clientId: string;
  readonly events: number;
  readonly kills: number;
  readonly outcomes: readonly string[];
}

/**
 * One case on a device file of its own: the app writes (pending events), children receive and are
 * killed as `plan` says, the state left is checked after each kill, and a receive in this process
 * finishes the run, which must resume from the staged cursor and leave the server's rows plus the
 * app's.
 */
async function killAndResume(shared: Shared, plan: KillCase, index: number): Promise<CaseResult> {
  const { endpoint, onServer, total } = shared;
  const clientId = `killed-${index}`;
  const path = join(shared.folder, `${clientId}.db`);
  // Writes the app made before the receive: pending events that must survive every kill.
  const app = await openTeamClient(path, clientId, endpoint);
  const projectId = await app.client.transaction(async (w) => {
    const tagId = await w.insert(tag, { label: `local tag ${index}` });
    const projectId = await w.insert(project, { teamId: "local", name: `local ${index}` });
    const taskId = await w.insert(task, { projectId, tagId, title: `local task ${index}` });
    await w.insert(comment, { id: `local-${index}`, taskId, body: "local" });
    return projectId;
  });
  await app.client.update(project, projectId, { name: `local ${index}, renamed` });
  const pendingBefore = (await app.client.events({ status: "pending" })).map((e) => e.id);
  await app.close();
  const local = await tablesOf((sql) => queryFile(path, sql));

  let kills = 0;
  const outcomes: string[] = [];
  /** Pages the children told of as staged since the last apply, and whether the run ended. */
  let staged = 0;
  let complete = false;
  /** False when a kill at a random moment may have staged a page it did not tell of. */
  let exact = true;
  for (const [s, step] of plan.steps.entries()) {
    const label = `${plan.name}, step ${s + 1}`;
    const before = await stagedState(path);
    const run: ChildRun = await runReceiveChild({ path, clientId, endpoint, ...step });
    expect(run.stderr, `${label}: child's stderr`).not.toMatch(/Error/);
    // The child's receive started from where the file stood: the staged cursor, if any.
    expect(run.pages[0]?.from ?? null, `${label}: first cursor`).toBe(
      before.stagedCursor ?? before.cursor,
    );
    if (step.pauseAt !== undefined) {
      expect(run.killed && run.done === null, `${label}: killed at its pause`).toBe(true);
    }
    if (run.killed) kills += 1;
    else expect(run.done, `${label}: a child not killed finished its receive`).not.toBeNull();
    const after = await stagedState(path);
    await expectSound(path, `${label}, after the kill`);
    const tables = await tablesOf((sql) => queryFile(path, sql));
    if (after.stagedCursor !== null) {
      // Still staged: the tables hold nothing of the run, the stage holds what was read.
      outcomes.push(`${label}: killed with ${run.pages.length} pages told, run still staged`);
      expect(tables, `${label}: tables untouched while staged`).toEqual(local);
      expect(after.rows + (after.pages ?? 0), `${label}: something staged`).toBeGreaterThan(0);
      expect(after.cursor, `${label}: no run applied`).toBeNull();
      if (step.pauseAt !== undefined && after.pages !== null) {
        expect(after.pages, `${label}: pages staged`).toBe(staged + step.pauseAt);
      }
      staged += run.pages.length;
      complete = run.pages.at(-1)?.hasMore === false;
      if (step.pauseAt === undefined && !complete) exact = false;
    } else {
      // The apply committed before the kill: the whole run is there, nothing half.
      outcomes.push(`${label}: ${run.killed ? "killed" : "ended"} after the apply committed`);
      expect(after.cursor, `${label}: cursor of the applied run`).not.toBeNull();
      expect(tables, `${label}: the whole run applied`).toEqual(union(onServer, local));
      staged = 0;
      complete = false;
    }
  }

  // The next receive, in this process, on the same file.
  const state = await stagedState(path);
  const device = await openTeamClient(path, clientId, endpoint);
  try {
    const report = await device.client.receive();
    expect(device.pageCursors[0], `${plan.name}: resumed from`).toBe(
      state.stagedCursor ?? state.cursor,
    );
    if (state.stagedCursor !== null) {
      // Resumed, not started over: only the pages after the staged ones are read (a run staged
      // whole asks once more, for the empty page after its last cursor).
      const expected = complete ? 1 : total - staged;
      const resumed = `${plan.name}: pages after the resume`;
      if (exact) expect(report.pages, resumed).toBe(expected);
      else expect([expected - 1, expected], resumed).toContain(report.pages);
      expect(report.pages, resumed).toBeLessThan(total);
    }
    expect(await tablesOf((sql) => queryFile(path, sql)), `${plan.name}: after the resume`).toEqual(
      union(onServer, local),
    );
    const pending = (await device.client.events({ status: "pending" })).map((e) => e.id);
    expect(pending, `${plan.name}: the app's writes still pending`).toEqual(pendingBefore);
  } finally {
    await device.close();
  }
  await expectSound(path, `${plan.name}, after the resume`);
  return { path, clientId, events: pendingBefore.length, kills, outcomes };
}

/** Two at a time: a child spends most of its life starting up, and the machine has two cores. */
const lanes = 2;

describe("receive: a device process SIGKILLed while it receives", () => {
  afterEach(() => killReceiveChildren());

  it("resumes from the staged cursor and ends equal to the server, after kills between pages and during the apply", async () => {
    const files = tempDir("sync-receive-kill-");
    let server: HttpTestServer | undefined;
    try {
      server = await startHttpServer({
        reuseDatabase: `file:${join(files.path, "server.db")}`,
        model: teamModel,
        tables: teamTablesSql,
        limits: { maxChangesPerPage: pageSize },
      });
      const { endpoint } = server;
      const serverRows = server.rows;
      const serverTables = () =>
        tablesOf(async (sql) => (await serverRows(sql)).map((row) => ({ ...row })));
      const writer = await openTeamDevice(files.path, "writer", () => endpoint);
      const history = await writeTeamHistory(writer.client, writer.rows);
      await writer.close();
      const onServer = await serverTables();
      expect(onServer.comment.length).toBeGreaterThan(1500);

      // A full receive on a fresh device: how many pages a run from the start takes.
      const referencePath = join(files.path, "reference.db");
      const reference = await openTeamClient(referencePath, "reference", endpoint);
      const total = (await reference.client.receive()).pages;
      await reference.close();
      expect(await tablesOf((sql) => queryFile(referencePath, sql))).toEqual(onServer);
      expect(total).toBeGreaterThan(20);

      const cases = killCases(total, seededRandom(31));
      const shared: Shared = { endpoint, folder: files.path, onServer, total };
      const results: CaseResult[] = [];
      await Promise.all(
        Array.from({ length: lanes }, async (_, lane) => {
          for (let index = lane; index < cases.length; index += lanes) {
            results[index] = await killAndResume(shared, cases[index] as KillCase, index);
          }
        }),
      );

      // Every device sends the app's writes, then all receive what the others sent.
      for (const { path, clientId, events } of results) {
        const device = await openTeamClient(path, clientId, endpoint);
        const report = await device.client.sync();
        await device.close();
        expect(report.send.applied, `${clientId}: the app's writes sent`).toBe(events);
      }
      const final = await serverTables();
      for (const [index, { path, clientId }] of results.entries()) {
        const device = await openTeamClient(path, clientId, endpoint);
        await device.client.receive();
        const pending = await device.client.events({ status: "pending" });
        await device.close();
        expect(pending, `${clientId}: nothing pending at the end`).toEqual([]);
        expect(await tablesOf((sql) => queryFile(path, sql)), `${clientId} at the end`).toEqual(
          final,
        );
        await expectSound(path, `${clientId} at the end`);
        expect(final.project).toContainEqual({
          id: expect.any(Number),
          team_id: "local",
          name: `local ${index}, renamed`,
        });
      }
      const kills = results.reduce((sum, result) => sum + result.kills, 0);
      expect(kills).toBeGreaterThanOrEqual(6);
      console.info(
        `receive kills: ${kills} on ${cases.length} devices; a full run: ${total} pages of ${pageSize}; history ${JSON.stringify(history)}\n  ${results.flatMap((r) => r.outcomes).join("\n  ")}`,
      );
    } finally {
      killReceiveChildren();
      await server?.close();
      files.remove();
    }
  }, 90_000);
});
