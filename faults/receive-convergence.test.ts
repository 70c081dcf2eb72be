import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SyncReport } from "../client/index.ts";
import type { ScopeGrant } from "../server/scope-grant.ts";
import { type HttpTestServer, startHttpServer } from "../test-utils/http-server.ts";
import type { RoutedFault } from "../test-utils/routed-fault-fetch.ts";
import { seededRandom } from "../test-utils/seeded-random.ts";
import { openTeamDevice, type TeamDevice } from "../test-utils/team-device.ts";
import {
  allRows,
  comment,
  project,
  rowsInScopes,
  tag,
  task,
  teamModel,
  teamTablesSql,
} from "../test-utils/team-model.ts";
import { tempDir } from "../test-utils/temp-dir.ts";

// The convergence property of receive (issue 16, "Tests"): devices with overlapping read scopes
// write at random (inserts, updates, deletes, projects moved between teams, checkpoints) and sync
// at random, through lost and duplicated answers and pages, clients closed between staging and
// applying, app writes while a receive applies, server restarts and tombstones purged while a
// device is offline. After a final round of syncs: every device holds exactly the server's rows
// in its read scopes, nothing lost, nothing doubled, storage intact, no deleted row back, and a
// cursor that went back only on a reset.

const teams = ["t1", "t2", "t3"] as const;
/** Read scopes by device; writes may go anywhere ("all"). */
const readScopes: Record<string, readonly string[]> = {
  dev0: ["t1"],
  dev1: ["t1", "t2"],
  dev2: ["t2"],
  dev3: ["t2", "t3"],
  dev4: ["t3", "t1"],
};
const clientIds = Object.keys(readScopes);
const scopes = ({ clientId }: { clientId: string }): ScopeGrant => ({
  read: readScopes[clientId] ?? "all",
  write: "all",
});
const tableNames = ["tag", "project", "task", "comment"] as const;
type TableName = (typeof tableNames)[number];
/** The column each table's marker lives in: `<marker>` at insert, `<marker>/<n>` after updates. */
const markerColumn: Record<TableName, string> = {
  tag: "label",
  project: "name",
  task: "title",
  comment: "body",
};

const faultKinds = ["drop-answer", "dup-batch", "drop-page", "dup-page", "replay-page"] as const;
type StepKind =
  | "write"
  | "sync"
  | "receive-only"
  | RoutedFault
  | "close-mid-receive"
  | "write-during-apply"
  | "server-restart"
  | "purge-offline";

/** Fixed seed, fixed count: the same histories every run (env overrides, to explore). */
const runs = Number(process.env.CONVERGENCE_RUNS ?? 10);
const seed = Number(process.env.CONVERGENCE_SEED ?? 20261204);
/** Prints each history's log, failing or not. */
const verbose = process.env.CONVERGENCE_VERBOSE === "1";

const step = fc.record({
  device: fc.integer({ min: 0, max: clientIds.length - 1 }),
  kind: fc.oneof(
    { arbitrary: fc.constant<StepKind>("write"), weight: 10 },
    { arbitrary: fc.constant<StepKind>("sync"), weight: 5 },
    { arbitrary: fc.constant<StepKind>("receive-only"), weight: 2 },
    { arbitrary: fc.constantFrom<StepKind>(...faultKinds), weight: 5 },
    { arbitrary: fc.constant<StepKind>("close-mid-receive"), weight: 2 },
    { arbitrary: fc.constant<StepKind>("write-during-apply"), weight: 2 },
    { arbitrary: fc.constant<StepKind>("server-restart"), weight: 1 },
    { arbitrary: fc.constant<StepKind>("purge-offline"), weight: 1 },
  ),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});
const history = fc.array(step, { minLength: 24, maxLength: 48 });

/** Figures over every history, for the closing note. */
const totals = {
  histories: 0,
  steps: 0,
  events: 0,
  syncs: 0,
  appWritesRefused: 0,
  faults: {} as Record<string, number>,
  rejected: {} as Record<string, number>,
  resets: {} as Record<string, number>,
  held: 0,
};
const count = (into: Record<string, number>, name: string, by = 1) => {
  into[name] = (into[name] ?? 0) + by;
};

type Row = Record<string, unknown>;
/** A write planned from the rows a device holds, made by `run` (which counts its events). */
interface PlannedWrite {
  readonly what: string;
  run(): Promise<number>;
}
type Tables = Record<TableName, Row[]>;

const cursorSeq = (cursor: unknown): number => {
  if (typeof cursor !== "string") return -1;
  const payload = cursor.split(".")[0] ?? "";
  const fields = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown[];
  return Number(fields[1]);
};
const markerOf = (row: Row, table: TableName) =>
  String(row[markerColumn[table]] ?? "").split("/")[0] ?? "";
const codeOf = (error: unknown) => (error as { code?: string } | null)?.code ?? String(error);

/**
 * A UUID (v4 layout) from the history's random numbers and a number unique in the history (its
 * last 12 digits): the same run makes the same keys, and no key is made twice.
 */
function uuidFrom(random: () => number, unique: number): string {
  const hex = Array.from({ length: 20 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = "4";
  hex[16] = "8";
  const s = hex.join("") + unique.toString(16).padStart(12, "0");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** One history: a server, five devices, and what the checks need to remember. */
class History {
  readonly log: string[] = [];
  readonly problems: string[] = [];
  devices: TeamDevice[] = [];
  server!: HttpTestServer;
  readonly files = tempDir("sync-convergence-");
  readonly serverUrl = `file:${join(this.files.path, "server.db")}`;
  private counter = 0;
  /** Markers of inserts the devices made, and where they went. */
  readonly inserted = new Map<string, { device: number; table: TableName }>();
  readonly deletedByApp = new Set<string>();
  readonly seenOnServer = new Set<string>();
  /** `table:key` of every row the server deleted (or held and no longer holds). */
  readonly deletedOnServer = new Set<string>();
  private onServer = new Set<string>();
  /** Per device: `table:key` of server-deleted rows the device no longer holds. */
  readonly goneOn: Array<Set<string>> = clientIds.map(() => new Set());
  readonly cursors: number[] = clientIds.map(() => -1);

  async start(): Promise<void> {
    this.server = await this.startServer();
    for (const clientId of clientIds) {
      this.devices.push(
        await openTeamDevice(this.files.path, clientId, () => this.server.endpoint),
      );
    }
  }

  private startServer(): Promise<HttpTestServer> {
    return startHttpServer({
      reuseDatabase: this.serverUrl,
      model: teamModel,
      tables: teamTablesSql,
      scopes,
      logging: process.env.CONVERGENCE_VERBOSE === "1",
      // Several pages per run; tombstones pruned only by the purges of the history.
      limits: { maxChangesPerPage: 4, tombstoneRetentionSeconds: 3600 },
    });
  }

  async restartServer(): Promise<void> {
    await this.server.close();
    this.server = await this.startServer();
  }

  async close(): Promise<void> {
    for (const device of this.devices) await device.close();
    await this.server.close();
    this.files.remove();
  }

  problem(text: string): void {
    this.problems.push(text);
    this.log.push(`!! ${text}`);
  }

  marker(prefix: string, device: number): string {
    this.counter += 1;
    return `${prefix}${device}.${this.counter}`;
  }

  async deviceTables(device: number): Promise<Tables> {
    const dev = this.devices[device] as TeamDevice;
    const result = {} as Tables;
    // Every row the device holds (not only those in its scopes).
    for (const table of tableNames) result[table] = await dev.rows(allRows[table]);
    return result;
  }

  async serverTables(teamsRead: readonly string[] | null): Promise<Tables> {
    const sql = rowsInScopes(teamsRead);
    const result = {} as Tables;
    for (const table of tableNames) {
      result[table] = (await this.server.rows(sql[table])).map((row) => ({ ...row }));
    }
    return result;
  }

  /** integrity_check and foreign_key_check of a device's database. */
  async checkStorage(device: number, when: string): Promise<void> {
    const dev = this.devices[device] as TeamDevice;
    const integrity = await dev.rows("PRAGMA integrity_check");
    if (integrity.length !== 1 || Object.values(integrity[0] ?? {})[0] !== "ok") {
      this.problem(`${dev.clientId} ${when}: integrity_check ${JSON.stringify(integrity)}`);
    }
    const broken = await dev.rows("PRAGMA foreign_key_check");
    if (broken.length > 0) {
      this.problem(`${dev.clientId} ${when}: foreign_key_check ${JSON.stringify(broken)}`);
    }
  }

  /** The server's rows now: markers seen, rows deleted, no marker twice, no deleted row back. */
  async observeServer(): Promise<void> {
    const now = new Set<string>();
    const tables = await this.serverTables(null);
    for (const table of tableNames) {
      const markers = new Set<string>();
      for (const row of tables[table]) {
        const marker = markerOf(row, table);
        if (markers.has(marker)) this.problem(`server: ${table} marker ${marker} twice`);
        markers.add(marker);
        this.seenOnServer.add(marker);
        const key = `${table}:${String(row.id)}`;
        if (this.deletedOnServer.has(key)) this.problem(`server: deleted row ${key} is back`);
        now.add(key);
      }
    }
    for (const key of this.onServer) if (!now.has(key)) this.deletedOnServer.add(key);
    const tombstones = await this.server.rows(
      "SELECT table_name, row_key FROM sync_row WHERE deleted = 1",
    );
    for (const row of tombstones) {
      if (tableNames.includes(row.table_name as TableName)) {
        this.deletedOnServer.add(`${String(row.table_name)}:${String(row.row_key)}`);
      }
    }
    this.onServer = now;
  }

  /** After a receive may have applied: storage, no deleted row back, the cursor's direction. */
  async observeDevice(device: number, report: SyncReport["receive"] | null, when: string) {
    await this.checkStorage(device, when);
    const dev = this.devices[device] as TeamDevice;
    const tables = await this.deviceTables(device);
    const held = new Set<string>();
    for (const table of tableNames) {
      for (const row of tables[table]) held.add(`${table}:${String(row.id)}`);
    }
    const gone = this.goneOn[device] as Set<string>;
    for (const key of this.deletedOnServer) {
      if (!held.has(key)) gone.add(key);
      else if (gone.has(key)) this.problem(`${dev.clientId} ${when}: deleted row ${key} came back`);
    }
    const [state] = await dev.rows("SELECT value FROM sync_state WHERE name = 'receive_cursor'");
    const seq = cursorSeq(state?.value);
    const before = this.cursors[device] ?? -1;
    if (seq < before && (report === null || report.reset === null)) {
      this.problem(`${dev.clientId} ${when}: cursor went back ${before} -> ${seq} without a reset`);
    }
    this.cursors[device] = seq;
  }

  /** A write the device can make now, chosen from the rows it holds; `run` counts its events. */
  async planWrite(device: number, random: () => number): Promise<PlannedWrite> {
    const dev = this.devices[device] as TeamDevice;
    const t = await this.deviceTables(device);
    const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(random() * list.length)];
    const ownTeams = readScopes[dev.clientId] ?? teams;
    const rename = (row: Row, table: TableName) => `${markerOf(row, table)}/${++this.counter}`;
    const childrenOf = (taskId: unknown) => t.comment.filter((c) => c.task_id === taskId);
    const tasksOf = (projectId: unknown) => t.task.filter((k) => k.project_id === projectId);
    const insert = (
      what: string,
      table: TableName,
      marker: string,
      write: () => Promise<unknown>,
    ) => ({
      what: `insert ${table} ${marker} ${what}`,
      run: () =>
        write().then(() => {
          this.inserted.set(marker, { device, table });
          return 1;
        }),
    });
    const change = (what: string, write: () => Promise<unknown>) => ({
      what,
      run: () => write().then(() => 1),
    });
    const remove = (rows: Array<[TableName, Row]>, write: () => Promise<unknown>) => ({
      what: `delete ${rows.map(([table, row]) => `${table}:${String(row.id)}`).join(" ")}`,
      run: () =>
        write().then(() => {
          for (const [table, row] of rows) this.deletedByApp.add(markerOf(row, table));
          return rows.length;
        }),
    });
    const roll = random();

    if (roll < 0.12 || t.project.length === 0) {
      // Now and then into a team the device does not read.
      const teamId = (random() < 0.85 ? pick(ownTeams) : pick(teams)) ?? "t1";
      const marker = this.marker("P", device);
      return insert(`in ${teamId}`, "project", marker, () =>
        dev.client.insert(project, { teamId, name: marker }),
      );
    }
    if (roll < 0.3 || t.task.length === 0) {
      const projectId = Number(pick(t.project)?.id);
      const tagId = random() < 0.4 ? Number(pick(t.tag)?.id ?? Number.NaN) : null;
      const values = { projectId, tagId: Number.isNaN(tagId) ? null : tagId };
      const marker = this.marker("K", device);
      return insert(JSON.stringify(values), "task", marker, () =>
        dev.client.insert(task, { ...values, title: marker }),
      );
    }
    if (roll < 0.42 || t.comment.length === 0) {
      const taskId = Number(pick(t.task)?.id);
      const marker = this.marker("C", device);
      const id = uuidFrom(random, this.counter);
      return insert(`${id} on task ${taskId}`, "comment", marker, () =>
        dev.client.insert(comment, { id, taskId, body: marker }),
      );
    }
    if (roll < 0.48 || t.tag.length === 0) {
      const marker = this.marker("G", device);
      return insert("", "tag", marker, () => dev.client.insert(tag, { label: marker }));
    }
    if (roll < 0.56) {
      const row = pick(t.project) as Row;
      const name = rename(row, "project");
      return change(`rename project:${row.id}`, () =>
        dev.client.update(project, Number(row.id), { name }),
      );
    }
    if (roll < 0.62) {
      // A project moves to another team, maybe one the device does not read.
      const row = pick(t.project) as Row;
      const teamId = pick(teams.filter((team) => team !== row.team_id)) ?? "t1";
      return change(`move project:${row.id} to ${teamId}`, () =>
        dev.client.update(project, Number(row.id), { teamId }),
      );
    }
    if (roll < 0.7) {
      const row = pick(t.task) as Row;
      const title = rename(row, "task");
      const tagId = random() < 0.3 ? Number(pick(t.tag)?.id) : undefined;
      return change(`rename task:${row.id} tag ${tagId}`, () =>
        dev.client.update(task, Number(row.id), tagId === undefined ? { title } : { title, tagId }),
      );
    }
    if (roll < 0.74) {
      const row = pick(t.task) as Row;
      const projectId = Number(pick(t.project)?.id);
      return change(`move task:${row.id} to project ${projectId}`, () =>
        dev.client.update(task, Number(row.id), { projectId }),
      );
    }
    if (roll < 0.79) {
      const row = pick(t.comment) as Row;
      const body = rename(row, "comment");
      return change(`rename comment:${row.id}`, () =>
        dev.client.update(comment, String(row.id), { body }),
      );
    }
    if (roll < 0.82) {
      const row = pick(t.tag) as Row;
      const label = rename(row, "tag");
      return change(`rename tag:${row.id}`, () =>
        dev.client.update(tag, Number(row.id), { label }),
      );
    }
    if (roll < 0.88) {
      const row = pick(t.comment) as Row;
      return remove([["comment", row]], () => dev.client.delete(comment, String(row.id)));
    }
    if (roll < 0.93) {
      // A task with its comments, in one transaction.
      const row = pick(t.task) as Row;
      const comments = childrenOf(row.id);
      return remove([...comments.map((c): [TableName, Row] => ["comment", c]), ["task", row]], () =>
        dev.client.transaction(async (w) => {
          for (const c of comments) await w.delete(comment, String(c.id));
          await w.delete(task, Number(row.id));
        }),
      );
    }
    if (roll < 0.97) {
      // A project with its tasks and their comments.
      const row = pick(t.project) as Row;
      const tasks = tasksOf(row.id);
      const comments = tasks.flatMap((k) => childrenOf(k.id));
      const rows = [
        ...comments.map((c): [TableName, Row] => ["comment", c]),
        ...tasks.map((k): [TableName, Row] => ["task", k]),
        ["project", row] as [TableName, Row],
      ];
      return remove(rows, () =>
        dev.client.transaction(async (w) => {
          for (const c of comments) await w.delete(comment, String(c.id));
          for (const k of tasks) await w.delete(task, Number(k.id));
          await w.delete(project, Number(row.id));
        }),
      );
    }
    // A tag no task on the device refers to (tasks of other teams may).
    const row = pick(t.tag.filter((g) => !t.task.some((k) => k.tag_id === g.id)));
    if (row) return remove([["tag", row]], () => dev.client.delete(tag, Number(row.id)));
    const marker = this.marker("G", device);
    return insert("", "tag", marker, () => dev.client.insert(tag, { label: marker }));
  }

  /** One to four writes, now and then a checkpoint after one. */
  async write(device: number, random: () => number): Promise<void> {
    const dev = this.devices[device] as TeamDevice;
    const writes = 1 + Math.floor(random() * 4);
    for (let i = 0; i < writes; i++) {
      const write = await this.planWrite(device, random);
      this.log.push(`  ${dev.clientId}: ${write.what}`);
      totals.events += await write.run();
      if (random() < 0.3) await dev.client.setSendCheckpoint();
    }
  }

  /** A sync of one device, with the checks after it; `expected` codes of a failure are fine. */
  async sync(
    device: number,
    label: string,
    options: Parameters<TeamDevice["client"]["sync"]>[0] = {},
    expected: readonly string[] = [],
  ): Promise<SyncReport | null> {
    const dev = this.devices[device] as TeamDevice;
    totals.syncs += 1;
    let report: SyncReport | null = null;
    try {
      report = await dev.client.sync(options);
      this.log.push(
        `${label}: sent ${report.send.applied}/${report.send.rejected} rejected, received ${report.receive.changes} (${report.receive.applied} applied, ${report.receive.held} held, reset ${report.receive.reset})`,
      );
      totals.held += report.receive.held;
      if (report.receive.reset) count(totals.resets, report.receive.reset);
    } catch (error) {
      const code = codeOf(error);
      this.log.push(`${label}: failed ${code}`);
      if (!expected.includes(code)) {
        this.problem(`${label}: sync failed ${code}: ${(error as Error).message}`);
      }
    }
    await this.observeServer();
    await this.observeDevice(device, report?.receive ?? null, label);
    return report;
  }

  async run(kind: StepKind, device: number, random: () => number): Promise<void> {
    const dev = this.devices[device] as TeamDevice;
    const label = `${kind} ${dev.clientId}`;
    totals.steps += 1;
    switch (kind) {
      case "write": {
        this.log.push(label);
        await this.write(device, random);
        return;
      }
      case "sync":
        await this.sync(device, label);
        return;
      case "receive-only": {
        // Pending events stay pending: they are applied again over the rows pulled.
        let report: SyncReport["receive"] | null = null;
        try {
          report = await dev.client.receive();
          this.log.push(`${label}: ${report.applied} applied, ${report.held} held`);
        } catch (error) {
          this.log.push(`${label}: failed ${codeOf(error)}`);
          if (codeOf(error) !== "UNANSWERED_BATCH") this.problem(`${label}: ${codeOf(error)}`);
        }
        await this.observeDevice(device, report, label);
        return;
      }
      case "close-mid-receive": {
        // Closed from onProgress after a page is staged (at the latest the last one, before the
        // apply), reopened on the same file; the next receive goes on from the staged cursor.
        const stopAt = 1 + Math.floor(random() * 3);
        let closing: Promise<void> | undefined;
        const client = dev.client;
        const report = await this.sync(
          device,
          label,
          {
            receive: {
              onProgress: (p) => {
                if (!closing && (p.pages >= stopAt || !p.hasMore)) closing = client.close();
              },
            },
          },
          ["ABORTED"],
        );
        if (report !== null) this.problem(`${label}: the receive was not stopped`);
        await closing;
        await dev.reopen();
        count(totals.faults, kind);
        return;
      }
      case "write-during-apply": {
        // Writes planned before, made once the last page is staged: the first is queued before the
        // apply's transaction, the others a turn or more later, during or after it.
        const writes: PlannedWrite[] = [];
        for (let i = Math.floor(random() * 3); i >= 0; i--) {
          const write = await this.planWrite(device, random);
          this.log.push(`  ${dev.clientId} (during the apply): ${write.what}`);
          writes.push(write);
        }
        const made: Array<Promise<number>> = [];
        await this.sync(device, label, {
          receive: {
            onProgress: (p) => {
              if (p.hasMore || made.length > 0) return;
              writes.forEach((write, i) => {
                const later = new Promise<void>((resolve) => setTimeout(resolve, i));
                made.push(i === 0 ? write.run() : later.then(() => write.run()));
              });
            },
          },
        });
        // Writes planned before the apply may find their row gone: the app is told so.
        for (const result of await Promise.allSettled(made)) {
          if (result.status === "fulfilled") totals.events += result.value;
          else if (codeOf(result.reason) === "INVALID_WRITE") totals.appWritesRefused += 1;
          else this.problem(`${label}: a write failed ${codeOf(result.reason)}`);
        }
        if (made.length > 0) count(totals.faults, kind);
        return;
      }
      case "server-restart": {
        await this.restartServer();
        this.log.push(label);
        count(totals.faults, kind);
        await this.sync(device, `${label} (sync after)`);
        return;
      }
      case "purge-offline": {
        // The device is offline while another deletes (a tombstone after its cursor) and the
        // server purges every tombstone; back online, its cursor has expired.
        const other =
          (device + 1 + Math.floor(random() * (clientIds.length - 1))) % clientIds.length;
        const otherDev = this.devices[other] as TeamDevice;
        const marker = this.marker("G", other);
        const id = await otherDev.client.insert(tag, { label: marker });
        this.inserted.set(marker, { device: other, table: "tag" });
        await this.sync(other, `${label}: ${otherDev.clientId} inserts a tag`);
        await otherDev.client.delete(tag, id);
        this.deletedByApp.add(marker);
        totals.events += 2;
        await this.sync(other, `${label}: ${otherDev.clientId} deletes it`);
        const pruned = await this.server.sync.store.pruneTombstones(Date.now() + 1e9, 1e6);
        this.log.push(`${label}: ${pruned} pruned`);
        count(totals.faults, kind);
        await this.write(device, random);
        const hadCursor = (this.cursors[device] ?? -1) >= 0;
        const report = await this.sync(device, `${label} (back online)`);
        if (report && hadCursor && report.receive.reset !== "CURSOR_EXPIRED") {
          this.problem(`${label}: back online, reset ${report.receive.reset}, not CURSOR_EXPIRED`);
        }
        return;
      }
      default: {
        // Something to send for a fault of syncBatch; pages of one change for a fault of pages.
        const onBatch = kind === "drop-answer" || kind === "dup-batch";
        if (onBatch && (await dev.client.events({ status: "pending", limit: 1 })).length === 0) {
          await this.write(device, random);
        }
        dev.net.arm(kind);
        await this.sync(device, label, onBatch ? {} : { receive: { limit: 1 } });
        if (dev.net.disarm() === undefined) count(totals.faults, kind);
      }
    }
  }

  /**
   * The app's part once writing stops: it removes the events the server rejected, newest first (a
   * rejected INSERT's row goes with its event, and rows that refer to it come later). Returns how
   * many it removed.
   */
  async removeRejected(device: number): Promise<number> {
    const dev = this.devices[device] as TeamDevice;
    const events = await dev.client.events({ status: "rejected", limit: 1000 });
    for (const event of events.toReversed()) {
      count(totals.rejected, `${event.kind} ${event.table} ${event.error?.code}`);
      const data = event.data as Row | null;
      if (event.kind === "insert" && data) {
        this.deletedByApp.add(markerOf(data, event.table as TableName));
      }
      try {
        await dev.client.removeEvent(event.id);
      } catch (error) {
        this.problem(`${dev.clientId}: removeEvent(${event.id}) failed: ${String(error)}`);
      }
    }
    return events.length;
  }

  /**
   * Syncs every device, round after round, each removing its rejected events first, until a round
   * moves nothing (at least two).
   */
  async finalRounds(): Promise<void> {
    for (let round = 0; round < 5; round++) {
      let moved = 0;
      for (const [device] of this.devices.entries()) {
        moved += await this.removeRejected(device);
        const report = await this.sync(device, `final round ${round} dev${device}`);
        if (report) {
          moved +=
            report.send.applied +
            report.send.rejected +
            report.receive.applied +
            report.receive.removed;
        }
      }
      if (round >= 1 && moved === 0) return;
    }
    this.problem("the final rounds never settled");
  }

  /** The end state: every device equal to the server in its scopes, nothing lost, nothing doubled. */
  async checkEnd(): Promise<void> {
    for (const [device, dev] of this.devices.entries()) {
      await this.checkStorage(device, "at the end");
      const pending = await dev.client.events({ status: "pending", limit: 10 });
      if (pending.length > 0) this.problem(`${dev.clientId}: ${pending.length} events pending`);
      const rejected = await dev.client.events({ status: "rejected", limit: 10 });
      if (rejected.length > 0) this.problem(`${dev.clientId}: ${rejected.length} events rejected`);
      const held = await this.deviceTables(device);
      const expected = await this.serverTables(readScopes[dev.clientId] ?? null);
      const differences: string[] = [];
      for (const table of tableNames) {
        const server = new Map(expected[table].map((row) => [String(row.id), row]));
        const have = new Map(held[table].map((row) => [String(row.id), row]));
        for (const [key, row] of have) {
          const theirs = server.get(key);
          if (!theirs) {
            differences.push(
              `${dev.clientId} holds ${table}:${key} ${JSON.stringify(row)}, not in its scopes on the server`,
            );
          } else if (JSON.stringify(theirs) !== JSON.stringify(row)) {
            differences.push(
              `${dev.clientId} ${table}:${key} is ${JSON.stringify(row)}, on the server ${JSON.stringify(theirs)}`,
            );
          }
        }
        for (const [key, row] of server) {
          if (!have.has(key))
            differences.push(`${dev.clientId} lacks ${table}:${key} ${JSON.stringify(row)}`);
        }
        const markers = held[table].map((row) => markerOf(row, table));
        if (new Set(markers).size !== markers.length) {
          this.problem(`${dev.clientId}: ${table} holds a marker twice`);
        }
      }
      if (differences.length === 0) continue;
      for (const d of differences) this.problem(d);
      // What the device knows of the rows that differ, for the reader of a failure.
      for (const sql of [
        "SELECT table_name, row_key, kind, version, held FROM sync_receive_stage",
        "SELECT table_name, row_key, version FROM sync_row_version",
        "SELECT seq, kind, table_name, row_key, status, error_code FROM sync_outbox",
      ]) {
        this.log.push(
          `${dev.clientId} ${sql.split(" FROM ")[1]}: ${JSON.stringify(await dev.rows(sql))}`,
        );
      }
    }
    const integrity = await this.server.rows("PRAGMA integrity_check");
    if (String(integrity[0]?.[0]) !== "ok") this.problem("server: integrity_check failed");
    if ((await this.server.rows("PRAGMA foreign_key_check")).length > 0) {
      this.problem("server: foreign_key_check failed");
    }
    for (const [marker, { device, table }] of this.inserted) {
      if (!this.seenOnServer.has(marker) && !this.deletedByApp.has(marker)) {
        this.problem(`lost: ${table} ${marker} inserted by dev${device} never reached the server`);
      }
    }
  }
}

describe("receive convergence", () => {
  it("devices with overlapping scopes end equal to the server in their scopes", {
    timeout: 180_000,
  }, async () => {
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(history, async (steps) => {
        const h = new History();
        totals.histories += 1;
        try {
          await h.start();
          // fast-check draws some seeds more than once; the step's index keeps their numbers apart.
          for (const [index, { kind, device, seed }] of steps.entries()) {
            await h.run(kind, device, seededRandom(seed + index * 7_919));
          }
          await h.finalRounds();
          await h.checkEnd();
          expect(h.problems, h.log.join("\n")).toEqual([]);
        } finally {
          if (verbose) console.info(h.log.join("\n"));
          await h.close();
        }
      }),
      { seed, numRuns: runs, endOnFailure: true },
    );
    const faults = Object.values(totals.faults).reduce((sum, n) => sum + n, 0);
    console.log(
      `receive convergence: ${totals.histories} histories, ${clientIds.length} devices, ${totals.steps} steps, ${totals.events} events, ${totals.syncs} syncs, ${faults} faults ${JSON.stringify(totals.faults)}, rejected ${JSON.stringify(totals.rejected)}, resets ${JSON.stringify(totals.resets)}, held ${totals.held}, app writes refused ${totals.appWritesRefused}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
