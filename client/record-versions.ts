import { rowIdentity, rowOfIdentity } from "../writer/row-identity.ts";
import type { CheckedAnswer } from "./check-answer.ts";
import { currentKeySql } from "./current-key-sql.ts";
import type { DeviceTransaction } from "./device-database.ts";
import type { Batch } from "./next-batch.ts";

/** A row an applied event wrote and the version the answer gives it after that event. */
type Versioned<Key> = readonly [table: string, key: Key, version: number];

/**
 * The rows of a batch's applied events that the answer gives a version, read before the events
 * leave the outbox. Keys are the ones the events were sent with: a temporary key, mapped by this
 * answer or an earlier one, stays temporary here.
 */
export interface VersionedRows {
  /** Inserts into autonumbered tables (the batch's `tempKeys`), their temporary keys as numbers. */
  readonly inserts: ReadonlyArray<Versioned<number>>;
  /** Every other versioned event, its key as the outbox holds it (text), read from the outbox. */
  readonly others: ReadonlyArray<Versioned<string>>;
}

/**
 * Reads {@link VersionedRows} of an answer to `batch`. The inserts come from the batch itself
 * (`tempKeys` names them), so a batch of inserts reads nothing; only the other events are looked up.
 */
export async function versionedRows(
  tx: DeviceTransaction,
  batch: Batch,
  answer: CheckedAnswer,
): Promise<VersionedRows> {
  const inserts: Array<Versioned<number>> = [];
  const otherSeqs: Array<readonly [number, number]> = [];
  // `answer.versions` follows the batch's order (checkAnswer builds it so), so one walk pairs them.
  let index = 0;
  for (const entry of answer.versions) {
    const [seq, version] = entry;
    while (index < batch.seqs.length && batch.seqs[index] !== seq) index += 1;
    const identity = batch.tempKeys[index];
    if (identity === undefined || identity === null) {
      otherSeqs.push(entry);
      continue;
    }
    const [table, key] = rowOfIdentity(identity);
    inserts.push([table, Number(key), version]);
  }
  if (otherSeqs.length === 0) return { inserts, others: [] };
  const { rows } = await tx.execute({
    sql: `SELECT json_group_array(json_array(o.table_name, o.row_key, j.value ->> 1))
          FROM json_each(?) AS j JOIN sync_outbox o ON o.seq = j.value ->> 0`,
    args: [JSON.stringify(otherSeqs)],
  });
  const others = JSON.parse(String(rows[0]?.[0] ?? "[]")) as Array<Versioned<string>>;
  return { inserts, others };
}

/**
 * The general recording: keys resolved through the log of mapped runs, versions grouped by row,
 * the newest recorded only when the first follows the version the device knows (none, or one it
 * forgot, which is negative, counts as 0); a known version never goes back.
 */
const recordSql = `INSERT INTO sync_row_version (table_name, row_key, version)
  SELECT t, k, max(v) FROM (
    SELECT value ->> 0 AS t, ${currentKeySql("value ->> 0", "value ->> 1")} AS k, value ->> 2 AS v
    FROM json_each(?))
  GROUP BY t, k
  HAVING min(v) - 1 = coalesce((SELECT max(known.version, 0) FROM sync_row_version known
                                WHERE known.table_name = t AND known.row_key = k), 0)
  ON CONFLICT (table_name, row_key) DO UPDATE SET version = max(version, excluded.version)`;

/**
 * Version 1 for every key of runs of consecutive server keys (`[table, first, last]` JSON), unless
 * a version of the row is known: the general rule for a row whose only versioned write is an insert
 * at version 1, since every known version is at least 1. No row is read or sent one by one.
 */
const recordInsertedRunsSql = `WITH RECURSIVE k (t, n, last) AS (
    SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)
    UNION ALL SELECT t, n + 1, last FROM k WHERE n < last)
  INSERT INTO sync_row_version (table_name, row_key, version)
  SELECT t, CAST(n AS TEXT), 1 FROM k WHERE true
  ON CONFLICT (table_name, row_key) DO NOTHING`;

/** Counts of the rows named by inserts, by identity. */
function insertCounts(inserts: ReadonlyArray<Versioned<number>>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [table, key] of inserts) {
    const identity = rowIdentity(table, key);
    counts.set(identity, (counts.get(identity) ?? 0) + 1);
  }
  return counts;
}

/**
 * Records the versions of the rows the device wrote (`sync_row_version`), under their keys as
 * they are now; runs once the answer's mappings are applied and logged. A row's newest version in
 * the answer is recorded only when its first one follows the version the device knows (none: an
 * insert, version 1): only then does the device's row hold every write up to it. Another writer's
 * write in between (a version the device never received) would otherwise be skipped when its own
 * write comes back. A version never goes back (a replayed answer may be older than a change
 * received since).
 *
 * Rows written only by one insert into an autonumbered table, at version 1, under a temporary key
 * this answer maps (and the log had not mapped before: `relogged`), are recorded as runs of their
 * server keys, which is the same rule without resolving or grouping row by row. Every other row
 * (an update or delete, a key inserted twice or also written by another event of the batch, a key
 * whose logged mapping wins) takes the general statement, which sees all of that row's entries.
 * No entry of the general statement can name a run's row by another key: the server hands a key
 * out once, so no earlier answer mapped a temporary key to it.
 */
export async function recordVersions(
  tx: DeviceTransaction,
  rows: VersionedRows,
  mappings: CheckedAnswer["mappings"],
  relogged: ReadonlyMap<string, ReadonlySet<number>>,
): Promise<void> {
  const general: Array<Versioned<string>> = [...rows.others];
  const runs: Array<[table: string, first: number, last: number]> = [];
  const open = new Map<string, [table: string, first: number, last: number]>();
  if (rows.inserts.length > 0) {
    const named = new Set(rows.others.map(([table, key]) => rowIdentity(table, key)));
    const counts = insertCounts(rows.inserts);
    const serverKeys = new Map<string, Map<number, number>>();
    const serverKeyOf = (table: string, key: number): number | undefined => {
      let keys = serverKeys.get(table);
      if (!keys) {
        keys = new Map();
        for (const [client, server] of mappings.get(table) ?? []) {
          if (!keys.has(client)) keys.set(client, server);
        }
        serverKeys.set(table, keys);
      }
      return keys.get(key);
    };
    for (const [table, key, version] of rows.inserts) {
      const server = serverKeyOf(table, key);
      const alone =
        server !== undefined &&
        version === 1 &&
        counts.get(rowIdentity(table, key)) === 1 &&
        !relogged.get(table)?.has(key) &&
        !named.has(rowIdentity(table, key)) &&
        !named.has(rowIdentity(table, server));
      if (!alone) {
        general.push([table, String(key), version]);
        continue;
      }
      // Each table's newest run is extended on its own: parents and children inserted in turn
      // take consecutive keys in each table, not across them.
      const last = open.get(table);
      if (last && last[2] + 1 === server) last[2] = server;
      else {
        const run: [string, number, number] = [table, server, server];
        runs.push(run);
        open.set(table, run);
      }
    }
  }
  const statements = [];
  if (general.length > 0) statements.push({ sql: recordSql, args: [JSON.stringify(general)] });
  if (runs.length > 0) {
    statements.push({ sql: recordInsertedRunsSql, args: [JSON.stringify(runs)] });
  }
  if (statements.length > 0) await tx.batch(statements);
}
