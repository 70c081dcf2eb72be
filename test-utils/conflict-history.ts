import { join } from "node:path";
import { createClient } from "@libsql/client";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { createSyncClient, type SyncClient } from "../client/index.ts";
import { type BatchTapFetch, batchTapFetch, type TappedBatch } from "./batch-tap-fetch.ts";
import { conflictModel, conflictTables, conflictTablesSql } from "./conflict-model.ts";
import {
  ConflictReference,
  canonical,
  concatTitles,
  type Values,
  type Verdict,
} from "./conflict-reference.ts";
import { type HttpTestServer, startHttpServer } from "./http-server.ts";
import type { SyncBatchAnswer } from "./test-server.ts";

type Tables = typeof conflictTables;
type Client = SyncClient<Tables>;

/** The conflict model's tables by SQL name, for the device's typed writes. */
export const tableBySqlName: Readonly<Record<string, SQLiteTable>> = {
  merged: conflictTables.merged,
  server_merged: conflictTables.serverMerged,
  server_wins: conflictTables.serverWins,
  unchecked: conflictTables.unchecked,
  custom: conflictTables.custom,
};
/** The SQL names of the conflict model's tables. */
export const tableNames = Object.keys(tableBySqlName);
const columns = ["title", "body", "color"] as const;

/** Figures over every history, for the closing line. */
export const conflictTotals = {
  verdicts: {} as Record<string, number>,
  conflicts: {} as Record<string, number>,
  replays: 0,
  dropped: 0,
};
const count = (into: Record<string, number>, name: string) => {
  into[name] = (into[name] ?? 0) + 1;
};

/** A device of a history: its client, its tapped fetch, and what its sends have to report. */
export interface HistoryDevice {
  readonly clientId: string;
  readonly client: Client;
  readonly tap: BatchTapFetch;
  /** Conflicts of the answers the device got (not dropped) since its send began. */
  conflictsSeen: Record<string, number>;
}

/** The answer's verdict in the model's shape. */
const asVerdict = (result: SyncBatchAnswer["results"][number]): Verdict => ({
  eventId: result.eventId,
  status: result.status as Verdict["status"],
  code: result.error?.code ?? null,
  version: result.version,
  conflict: result.conflict && {
    serverVersion: result.conflict.serverVersion,
    serverRow: result.conflict.serverRow as Values | null,
    columns: [...result.conflict.columns].sort(),
    resolution: result.conflict.resolution as NonNullable<Verdict["conflict"]>["resolution"],
  },
});

/**
 * A server of the conflict model (its custom policy {@link concatTitles}), devices on their own
 * files, and the reference model the tap checks every syncBatch answer against; problems are
 * collected with a log of the history, for the failure's message.
 */
export class ConflictHistory {
  readonly log: string[] = [];
  readonly problems: string[] = [];
  readonly model = new ConflictReference();
  readonly devices: HistoryDevice[] = [];
  /** What each event sent should carry (its data, and its base for an UPDATE), by client/event. */
  readonly expected = new Map<string, { data: Values | null; base: Values | null }>();
  /** The latest verdict the device got for each event, by client/event. */
  readonly verdicts = new Map<string, Verdict>();
  server!: HttpTestServer;

  constructor(readonly folder: string) {}

  problem(text: string): void {
    this.problems.push(text);
    this.log.push(`!! ${text}`);
  }

  async start(deviceCount: number, rowsPerTable: number): Promise<void> {
    this.server = await startHttpServer({
      reuseDatabase: `file:${join(this.folder, "server.db")}`,
      model: conflictModel(concatTitles),
      tables: conflictTablesSql,
    });
    for (let i = 0; i < deviceCount; i++) {
      const clientId = `dev${i}`;
      const database = `file:${join(this.folder, `${clientId}.db`)}`;
      const raw = createClient({ url: database });
      for (const sql of conflictTablesSql) await raw.execute(sql);
      raw.close();
      const tap = batchTapFetch();
      const client = await createSyncClient<Tables>({
        database,
        endpoint: this.server.endpoint,
        model: conflictModel(concatTitles),
        clientId,
        fetch: tap.fetch,
        // Retries at once: a dropped answer is replayed within the send unless every try drops.
        retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 },
      });
      this.devices.push({ clientId, client, tap, conflictsSeen: {} });
    }
    // Rows made by dev0 and known to every device before the history; the model starts there.
    const first = this.devices[0] as HistoryDevice;
    for (const name of tableNames) {
      for (let n = 0; n < rowsPerTable; n++) {
        await first.client.insert(tableBySqlName[name] as Tables["merged"], {
          title: `${name}-${n}`,
        });
      }
    }
    for (const device of this.devices) await device.client.sync();
    for (const name of tableNames) {
      for (const { id, title, body, color } of await this.serverRows(name)) {
        this.model.insert(name, id as number, { title, body, color } as Values, first.clientId);
      }
    }
    for (const device of this.devices) device.tap.onBatch = (batch) => this.tapped(batch);
  }

  async close(): Promise<void> {
    for (const device of this.devices) {
      await device.client.close();
      device.tap.close();
    }
    await this.server.close();
  }

  /** Checks one exchange against the model: what was sent, and every verdict. */
  private tapped(batch: TappedBatch): void {
    const { clientId, batchId, operations, answer } = batch;
    const where = `${clientId} batch ${batchId.slice(0, 8)}`;
    if (!answer) {
      this.problem(`${where}: no answer`);
      return;
    }
    for (const op of operations) this.checkSent(clientId, op);
    const predicted = this.model.batch(clientId, batchId, operations);
    if (answer.replayed !== predicted.replayed) {
      this.problem(`${where}: replayed ${answer.replayed}, the model says ${predicted.replayed}`);
    }
    if (answer.replayed) conflictTotals.replays += 1;
    if (batch.dropped) conflictTotals.dropped += 1;
    const device = this.devices.find((d) => d.clientId === clientId) as HistoryDevice;
    answer.results.forEach((result, index) => {
      const actual = asVerdict(result);
      const expected = predicted.verdicts[index];
      const op = operations[index];
      const text = `${op?.kind} ${op?.table} ${op?.key} base ${op?.baseVersion} ${JSON.stringify(op?.data)}`;
      this.log.push(
        `  ${where}${answer.replayed ? " (replay)" : ""}: ${text} -> ${JSON.stringify(actual)}`,
      );
      if (canonical(actual) !== canonical(expected)) {
        this.problem(
          `${where}: ${text}: got ${JSON.stringify(actual)}, the model says ${JSON.stringify(expected)}`,
        );
      }
      if (!answer.replayed) {
        count(
          conflictTotals.verdicts,
          actual.code ? `${actual.status} ${actual.code}` : actual.status,
        );
        if (actual.conflict) count(conflictTotals.conflicts, actual.conflict.resolution);
      }
      if (!batch.dropped) {
        this.verdicts.set(`${clientId}/${actual.eventId}`, actual);
        if (actual.conflict) count(device.conflictsSeen, actual.conflict.resolution);
      }
    });
  }

  /** An UPDATE or DELETE carries the values the app changed, their previous values and a version. */
  private checkSent(clientId: string, op: TappedBatch["operations"][number]): void {
    const expected = this.expected.get(`${clientId}/${op.eventId}`);
    if (!expected) return;
    const sent = { data: op.data, base: op.base ?? null };
    if (canonical(sent) !== canonical(expected) || typeof op.baseVersion !== "number") {
      this.problem(
        `${clientId} event ${op.eventId} sent ${JSON.stringify({ ...sent, baseVersion: op.baseVersion })}, expected ${JSON.stringify(expected)} with a version`,
      );
    }
  }

  /** The device's rows of a table, by key order. */
  async deviceRows(device: HistoryDevice, table: string): Promise<Array<Record<string, unknown>>> {
    const drizzle = tableBySqlName[table] as Tables["merged"];
    return await device.client.db.select().from(drizzle).orderBy(drizzle.id);
  }

  /** The server's rows of a table, by key order. */
  async serverRows(table: string): Promise<Array<Record<string, unknown>>> {
    const rows = await this.server.rows(`SELECT * FROM ${table} ORDER BY id`);
    return rows.map(({ id, title, body, color }) => ({ id, title, body, color }));
  }

  /**
   * A write of the app on `device`: new values for some columns of a row it holds (or its delete),
   * remembered with the values they replace, which its event must carry as its base.
   */
  async write(device: HistoryDevice, random: () => number, remove: boolean): Promise<void> {
    const table = tableNames[Math.floor(random() * tableNames.length)] as string;
    const rows = await this.deviceRows(device, table);
    const row = rows[Math.floor(random() * rows.length)];
    if (!row) {
      this.log.push(`${device.clientId}: no row of ${table} to write`);
      return;
    }
    const drizzle = tableBySqlName[table] as Tables["merged"];
    const id = row.id as number;
    if (remove) {
      await device.client.delete(drizzle, id);
      this.log.push(`${device.clientId}: delete ${table} ${id}`);
      return this.remember(device, null, null);
    }
    const changes: Values = {};
    for (const column of columns) {
      if (random() < 0.5) continue;
      // Colors from a short list, so two writers sometimes set the same value, or set one back.
      changes[column] =
        column === "color"
          ? (["white", "red", "blue"][Math.floor(random() * 3)] as string)
          : `${device.clientId}.${Math.floor(random() * 1000)}`;
    }
    if (Object.keys(changes).length === 0) changes.body = `${device.clientId}.b`;
    await device.client.update(drizzle, id, changes);
    const changed = Object.keys(changes)
      .filter((column) => row[column] !== changes[column])
      .sort();
    this.log.push(`${device.clientId}: update ${table} ${id} ${JSON.stringify(changes)}`);
    if (changed.length === 0) return;
    const pick = (from: Record<string, unknown>) =>
      Object.fromEntries(changed.map((column) => [column, from[column]])) as Values;
    await this.remember(device, pick(changes), pick(row));
  }

  /** Remembers what the event just recorded should send. */
  private async remember(device: HistoryDevice, data: Values | null, base: Values | null) {
    const last = (await device.client.events({ status: "pending", limit: 10_000 })).at(-1);
    if (last) this.expected.set(`${device.clientId}/${last.id}`, { data, base });
  }
}
