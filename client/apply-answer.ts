import type { SyncModel, TableInfo } from "../schema/index.ts";
import { findKeyRuns } from "../writer/find-key-runs.ts";
import {
  type KeyRun,
  keyRunsJson,
  keyRunsOf,
  keyRunsSql,
  lastClientKey,
} from "../writer/key-runs.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import { batchEvents, isBatchMember, isEventOf } from "./batch-members.ts";
import type { CheckedAnswer } from "./check-answer.ts";
import { currentKeySql } from "./current-key-sql.ts";
import type { DeviceTransaction } from "./device-database.ts";
import type { Batch } from "./next-batch.ts";
import { recordVersions, versionedRows } from "./record-versions.ts";
import { rewriteEvents, rewriteWithKnownMappings } from "./rewrite-events.ts";

/** Up to this many runs, one UPDATE per run (a range of the index, no join) beats one joined UPDATE. */
const runsPerStatement = 8;

/**
 * Sets `column` of `table` (both quoted) from temporary keys to server keys, a run at a time:
 * within a run the server key is arithmetic on the temporary one, so the rows are an index range.
 * `negativeOnly` adds the `< 0` that lets SQLite use a foreign key's partial index of temporary keys.
 */
async function rekey(
  tx: DeviceTransaction,
  runs: readonly KeyRun[],
  runsJson: string,
  [table, column]: readonly [string, string],
  negativeOnly: boolean,
): Promise<void> {
  const target = `${table}.${column}`;
  const negative = negativeOnly ? ` AND ${target} < 0` : "";
  if (runs.length <= runsPerStatement) {
    await tx.batch(
      runs.map((run) => ({
        sql: `UPDATE ${table} SET ${column} = ?1 + (?2 - ${target}) WHERE ${target} BETWEEN ?3 AND ?2${negative}`,
        args: [run.firstServer, run.firstClient, lastClientKey(run)],
      })),
    );
    return;
  }
  await tx.execute({
    sql: `UPDATE ${table} SET ${column} = r.first_server + (r.first_client - ${target})
          FROM (${keyRunsSql}) AS r WHERE ${target} BETWEEN r.last_client AND r.first_client${negative}`,
    args: [runsJson],
  });
}

/**
 * Rewrites a table's temporary keys on the device: its rows, the foreign keys pointing at them,
 * and the events waiting in the outbox. Events of a batch in flight keep their body, since a
 * resend of the batch must be identical; they are rewritten if their batch comes back rejected.
 * The batch being applied is no longer open here, so its rejected events are rewritten too.
 * The mappings are logged last, once every write they drive has succeeded. Returns the temporary
 * keys the log had mapped before (see {@link logMappings}).
 */
async function applyMappings(
  tx: DeviceTransaction,
  model: SyncModel,
  table: TableInfo,
  pairs: ReadonlyArray<readonly [number, number]>,
): Promise<ReadonlySet<number>> {
  const runs = keyRunsOf(table.name, pairs);
  const runsJson = keyRunsJson(runs);
  const key = [quoteIdentifier(table.name), quoteIdentifier(table.key.name)] as const;
  await rekey(tx, runs, runsJson, key, false);
  for (const child of model.ordered) {
    for (const column of child.references) {
      if (column.references !== table.name) continue;
      const reference = [quoteIdentifier(child.name), quoteIdentifier(column.name)] as const;
      await rekey(tx, runs, runsJson, reference, true);
    }
  }
  // CROSS JOIN keeps the runs the outer loop, so each one is an index range in the refs.
  const { rows } = await tx.execute({
    sql: `SELECT r.rowid, r.seq, r.column_name, m.first_server + (m.first_client - r.ref_key)
          FROM (${keyRunsSql}) AS m
          CROSS JOIN sync_outbox_ref r ON r.ref_table = ? AND r.ref_key BETWEEN m.last_client AND m.first_client
          CROSS JOIN sync_outbox o ON o.seq = r.seq
          WHERE NOT EXISTS (SELECT 1 FROM sync_batch p WHERE ${isBatchMember("o", "p")})`,
    args: [runsJson, table.name],
  });
  await rewriteEvents(tx, rows);
  return logMappings(tx, table.name, pairs);
}

/**
 * Adds the mappings to the device's log of runs (`sync_mapped_run`). A temporary key is mapped
 * once; should a key already in the log come again (a device restored from a copy), its logged
 * mapping stays and runs never overlap. Returns the temporary keys that were in the log already
 * (empty but on such a device): the rows keyed by them are known by the logged mapping.
 */
async function logMappings(
  tx: DeviceTransaction,
  table: string,
  pairs: ReadonlyArray<readonly [number, number]>,
): Promise<ReadonlySet<number>> {
  let low = 0;
  let high = Number.NEGATIVE_INFINITY;
  for (const [client] of pairs) {
    if (client < low) low = client;
    if (client > high) high = client;
  }
  const logged = await findKeyRuns(tx, { name: "sync_mapped_run" }, table, low, high);
  // A key mapped twice in one answer (two INSERTs of one temporary key, answered as duplicates)
  // is logged once.
  const seen = new Set<number>();
  const relogged = new Set<number>();
  const fresh = pairs.filter(([client]) => {
    if (seen.has(client)) return false;
    seen.add(client);
    if (!logged.some((run) => client <= run.firstClient && client >= lastClientKey(run)))
      return true;
    relogged.add(client);
    return false;
  });
  if (fresh.length === 0) return relogged;
  await tx.execute({
    sql: `INSERT INTO sync_mapped_run (table_name, first_client, last_client, first_server)
          SELECT table_name, first_client, last_client, first_server FROM (${keyRunsSql})`,
    args: [keyRunsJson(keyRunsOf(table, fresh))],
  });
  return relogged;
}

/**
 * Applies a checked answer inside the caller's write transaction: removes applied events and the
 * consumed checkpoint, marks rejected events with their error (rewriting the keys mapped
 * meanwhile), applies the key mappings to rows, foreign keys and waiting events, and records the
 * versions of the rows written. Nothing changes if a step fails and the transaction rolls back.
 */
export async function applyAnswer(
  tx: DeviceTransaction,
  model: SyncModel,
  batch: Batch,
  answer: CheckedAnswer,
): Promise<void> {
  // Parents and children get their new keys in separate statements; check references at commit.
  await tx.execute("PRAGMA defer_foreign_keys = ON");
  if (answer.rejected.length > 0) {
    await tx.execute({
      sql: `UPDATE sync_outbox SET status = 'rejected', error_code = j.value ->> 1, error_message = j.value ->> 2
            FROM json_each(?) AS j WHERE sync_outbox.seq = j.value ->> 0`,
      args: [JSON.stringify(answer.rejected)],
    });
    await rewriteWithKnownMappings(
      tx,
      answer.rejected.map(([seq]) => seq),
    );
  }
  const versioned = await versionedRows(tx, batch, answer);
  // Read before the events go: the rows whose change met a conflict.
  const conflicted = answer.conflicts.length > 0 ? await conflictedRows(tx, answer) : "[]";
  // Applied events go, with their references: what is left of the batch once its rejected events
  // were let go. Found as a range of seqs (a batch is one), which reads pages in order.
  const range = [batch.seqs[0] ?? 0, batch.seqs.at(-1) ?? -1];
  const consumed = [
    {
      sql: `DELETE FROM sync_outbox_ref WHERE seq BETWEEN ?1 AND ?2 AND EXISTS
            (SELECT 1 FROM sync_outbox o WHERE o.seq = sync_outbox_ref.seq AND ${isEventOf("o", "?1", "?2")})`,
      args: range,
    },
    { sql: `DELETE FROM sync_outbox WHERE ${batchEvents}`, args: range },
    { sql: "DELETE FROM sync_batch WHERE batch_id = ?", args: [batch.batchId] },
  ];
  if (batch.checkpointSeq !== null) {
    consumed.push({ sql: "DELETE FROM sync_outbox WHERE seq = ?", args: [batch.checkpointSeq] });
  }
  await tx.batch(consumed);
  const relogged = new Map<string, ReadonlySet<number>>();
  for (const table of model.ordered) {
    const pairs = answer.mappings.get(table.name);
    if (pairs && pairs.length > 0)
      relogged.set(table.name, await applyMappings(tx, model, table, pairs));
  }
  await recordVersions(tx, versioned, answer.mappings, relogged);
  if (answer.rejected.length > 0) await forgetRejectedRows(tx, answer);
  if (conflicted !== "[]") {
    await tx.execute({
      sql: `INSERT INTO sync_row_version (table_name, row_key, version)
            SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true
            ON CONFLICT (table_name, row_key) DO UPDATE SET version = excluded.version`,
      args: [conflicted],
    });
  }
  if (answer.conflicts.length > 0) {
    // Kept with the rejected events (the server's row, for the app); applied ones are gone.
    await tx.execute({
      sql: `UPDATE sync_outbox SET conflict = j.value -> 1
            FROM json_each(?) AS j WHERE sync_outbox.seq = j.value ->> 0`,
      args: [JSON.stringify(answer.conflicts)],
    });
  }
}

/**
 * The rows of the events whose change met a conflict and applied, as `[table, key, version]` JSON
 * (keys as they are now): the version is one below the answer's. The server's row after its
 * verdict may differ from the device's (another writer's columns, or columns the policy kept), so
 * the device takes it at its next receive; a change made before that still goes on a base the
 * server checks (the version below its own, which another writer's may be).
 */
async function conflictedRows(tx: DeviceTransaction, answer: CheckedAnswer): Promise<string> {
  const versions = new Map(answer.versions);
  const below = answer.conflicts.flatMap(([seq]) => {
    const version = versions.get(seq);
    return version === undefined ? [] : [[seq, version - 1]];
  });
  if (below.length === 0) return "[]";
  const { rows } = await tx.execute({
    sql: `SELECT json_group_array(json_array(o.table_name, ${currentKeySql("o.table_name", "o.row_key")}, j.value ->> 1))
          FROM json_each(?) AS j JOIN sync_outbox o ON o.seq = j.value ->> 0
          WHERE o.kind IN ('update', 'delete')`,
    args: [JSON.stringify(below)],
  });
  return String(rows[0]?.[0] ?? "[]");
}

/**
 * Forgets the versions of the rows of rejected UPDATEs and DELETEs (their keys as they are now,
 * the mappings applied), keeping each negated (see `sync_row_version`). The server sends such a
 * row again at the version it has; the device, knowing no version of it, takes it at its next
 * receive and so undoes its own write. An edit before then still goes on the version forgotten,
 * whatever becomes of the event: it stays, rejected, with the values it tried, until the app
 * retries or removes it.
 */
async function forgetRejectedRows(tx: DeviceTransaction, answer: CheckedAnswer): Promise<void> {
  await tx.execute({
    sql: `UPDATE sync_row_version SET version = -abs(version) WHERE (table_name, row_key) IN
            (SELECT o.table_name, o.row_key FROM json_each(?) AS j JOIN sync_outbox o
             ON o.seq = j.value ->> 0 WHERE o.kind IN ('update', 'delete'))`,
    args: [JSON.stringify(answer.rejected)],
  });
}
