import { join } from "node:path";
import type { SyncReport } from "../client/index.ts";
import {
  type ConvergenceTotals,
  clientIds,
  codeOf,
  count,
  markerOf,
  scopes,
  type TableName,
  type Tables,
  tableNames,
} from "./convergence-setup.ts";
import { type HttpTestServer, startHttpServer } from "./http-server.ts";
import { openTeamDevice, type TeamDevice } from "./team-device.ts";
import { allRows, rowsInScopes, teamModel, teamTablesSql } from "./team-model.ts";
import { tempDir } from "./temp-dir.ts";

/** The sequence number a receive cursor carries (-1: no cursor). */
const cursorSeq = (cursor: unknown): number => {
  if (typeof cursor !== "string") return -1;
  const payload = cursor.split(".")[0] ?? "";
  const fields = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown[];
  return Number(fields[1]);
};

/**
 * One history of the convergence property: a server, five devices, and what the checks need to
 * remember. The figures of its syncs go to `totals`, shared by every history of a run.
 */
export class ConvergenceHistory {
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

  constructor(readonly totals: ConvergenceTotals) {}

  /** Starts the server and opens the devices. */
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

  /** Closes the server and starts it again on the same database. */
  async restartServer(): Promise<void> {
    await this.server.close();
    this.server = await this.startServer();
  }

  /** Closes the devices and the server and removes their files. */
  async close(): Promise<void> {
    for (const device of this.devices) await device.close();
    await this.server.close();
    this.files.remove();
  }

  /** Records a broken expectation (in the log too, where it happened). */
  problem(text: string): void {
    this.problems.push(text);
    this.log.push(`!! ${text}`);
  }

  /** A marker for a new row of `device` (`prefix` names the table). */
  marker(prefix: string, device: number): string {
    return `${prefix}${device}.${this.nextNumber()}`;
  }

  /** The next number of the history: markers and renames never repeat one. */
  nextNumber(): number {
    this.counter += 1;
    return this.counter;
  }

  /** The last number {@link nextNumber} gave. */
  get lastNumber(): number {
    return this.counter;
  }

  /** Every row `device` holds, table by table. */
  async deviceTables(device: number): Promise<Tables> {
    const dev = this.devices[device] as TeamDevice;
    const result = {} as Tables;
    // Every row the device holds (not only those in its scopes).
    for (const table of tableNames) result[table] = await dev.rows(allRows[table]);
    return result;
  }

  /** The server's rows in the read scopes `teamsRead` (null: every scope), table by table. */
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

  /** A sync of one device, with the checks after it; `expected` codes of a failure are fine. */
  async sync(
    device: number,
    label: string,
    options: Parameters<TeamDevice["client"]["sync"]>[0] = {},
    expected: readonly string[] = [],
  ): Promise<SyncReport | null> {
    const dev = this.devices[device] as TeamDevice;
    this.totals.syncs += 1;
    let report: SyncReport | null = null;
    try {
      report = await dev.client.sync(options);
      this.log.push(
        `${label}: sent ${report.send.applied}/${report.send.rejected} rejected, received ${report.receive.changes} (${report.receive.applied} applied, ${report.receive.held} held, reset ${report.receive.reset})`,
      );
      this.totals.held += report.receive.held;
      if (report.receive.reset) count(this.totals.resets, report.receive.reset);
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
}
