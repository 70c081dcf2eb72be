import type { SyncModel, TableInfo } from "../schema/index.ts";
import type { WriteTransaction } from "../writer/index.ts";
import { quoteIdentifier } from "../writer/index.ts";
import { batchEvents, isBatchMember, isEventOf } from "./batch-members.ts";
import type { CheckedAnswer } from "./check-answer.ts";
import type { Batch } from "./next-batch.ts";
import { rewriteEvents, rewriteWithKnownMappings } from "./rewrite-events.ts";

/** `[first temporary key, last temporary key, first server key]` runs as JSON, read by `json_each`. */
const runsSql = `SELECT value ->> 0 AS first_client, value ->> 1 AS last_client, value ->> 2 AS first_server
                 FROM json_each(?)`;

/** Up to this many runs, one UPDATE per run (a range of the index, no join) beats one joined UPDATE. */
const runsPerStatement = 8;

/**
 * Sets `column` of `table` (both quoted) from temporary keys to server keys, a run at a time:
 * within a run the server key is arithmetic on the temporary one, so the rows are an index range.
 * `negativeOnly` adds the `< 0` that lets SQLite use a foreign key's partial index of temporary keys.
 */
async function rekey(
  tx: WriteTransaction,
  runs: readonly Run[],
  runsJson: string,
  table: string,
  column: string,
  negativeOnly: boolean,
): Promise<void> {
  const target = `${table}.${column}`;
  const negative = negativeOnly ? ` AND ${target} < 0` : "";
  if (runs.length <= runsPerStatement) {
    for (const [first, last, server] of runs) {
      await tx.execute({
        sql: `UPDATE ${table} SET ${column} = ?1 + (?2 - ${target}) WHERE ${target} BETWEEN ?3 AND ?2${negative}`,
        args: [server, first, last],
      });
    }
    return;
  }
  await tx.execute({
    sql: `UPDATE ${table} SET ${column} = r.first_server + (r.first_client - ${target})
          FROM (${runsSql}) AS r WHERE ${target} BETWEEN r.last_client AND r.first_client${negative}`,
    args: [runsJson],
  });
}

/**
 * Rewrites a table's temporary keys on the device: its rows, the foreign keys pointing at them,
 * and the events waiting in the outbox. Events of a batch in flight keep their body, since a
 * resend of the batch must be identical; they are rewritten if their batch comes back rejected.
 * The batch being applied is no longer open here, so its rejected events are rewritten too.
 */
async function applyMappings(
  tx: WriteTransaction,
  model: SyncModel,
  table: TableInfo,
  pairs: ReadonlyArray<readonly [number, number]>,
): Promise<void> {
  const runs = toRuns(pairs);
  const runsJson = JSON.stringify(runs);
  const name = quoteIdentifier(table.name);
  await rekey(tx, runs, runsJson, name, quoteIdentifier(table.key.name), false);
  for (const child of model.ordered) {
    for (const column of child.references) {
      if (column.references !== table.name) continue;
      await rekey(
        tx,
        runs,
        runsJson,
        quoteIdentifier(child.name),
        quoteIdentifier(column.name),
        true,
      );
    }
  }
  // CROSS JOIN keeps the runs the outer loop, so each one is an index range in the refs.
  const { rows } = await tx.execute({
    sql: `SELECT r.rowid AS ref, r.seq, r.column_name,
                 m.first_server + (m.first_client - r.ref_key) AS server_key
          FROM (${runsSql}) AS m
          CROSS JOIN sync_outbox_ref r ON r.ref_table = ? AND r.ref_key BETWEEN m.last_client AND m.first_client
          CROSS JOIN sync_outbox o ON o.seq = r.seq
          WHERE NOT EXISTS (SELECT 1 FROM sync_batch p WHERE ${isBatchMember("o", "p")})`,
    args: [runsJson, table.name],
  });
  await rewriteEvents(tx, rows);
  await recordRuns(tx, table.name, pairs);
}

/** `[first temporary key, last temporary key, first server key]`: see `sync_mapped_run`. */
type Run = [number, number, number];

/** The pairs as runs: consecutive temporary keys (down) mapped to consecutive server keys (up). */
function toRuns(pairs: ReadonlyArray<readonly [number, number]>): Run[] {
  const runs: Run[] = [];
  let run: Run | undefined;
  for (const [client, server] of pairs) {
    if (run && client === run[1] - 1 && server === run[2] + (run[0] - client)) run[1] = client;
    else {
      run = [client, client, server];
      runs.push(run);
    }
  }
  return runs;
}

/**
 * Adds the mappings to the device's log of runs. A temporary key is mapped once; should a key
 * already in the log come again (a device restored from a copy), its logged mapping stays and
 * runs never overlap.
 */
async function recordRuns(
  tx: WriteTransaction,
  table: string,
  pairs: ReadonlyArray<readonly [number, number]>,
): Promise<void> {
  let low = 0;
  let high = Number.NEGATIVE_INFINITY;
  for (const [client] of pairs) {
    if (client < low) low = client;
    if (client > high) high = client;
  }
  // Runs that start inside [low, high], and the one run starting above it, which may reach in.
  const { rows } = await tx.execute({
    sql: `SELECT first_client, last_client FROM sync_mapped_run
          WHERE table_name = ?1 AND first_client BETWEEN ?2 AND ?3
          UNION ALL
          SELECT * FROM (SELECT first_client, last_client FROM sync_mapped_run
            WHERE table_name = ?1 AND first_client > ?3 ORDER BY first_client LIMIT 1)`,
    args: [table, low, high],
  });
  const logged = rows
    .map((row) => [Number(row.first_client), Number(row.last_client)] as const)
    .filter(([, last]) => last <= high);
  // A key mapped twice in one answer (two INSERTs of one temporary key, answered as duplicates)
  // is logged once.
  const seen = new Set<number>();
  const fresh = pairs.filter(([client]) => {
    if (seen.has(client)) return false;
    seen.add(client);
    return !logged.some(([first, last]) => client <= first && client >= last);
  });
  if (fresh.length === 0) return;
  await tx.execute({
    sql: `INSERT INTO sync_mapped_run (table_name, first_client, last_client, first_server)
          SELECT ?, value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)`,
    args: [table, JSON.stringify(toRuns(fresh))],
  });
}

/**
 * Applies a checked answer inside the caller's write transaction: removes applied events and the
 * consumed checkpoint, marks rejected events with their error (rewriting the keys mapped
 * meanwhile), and applies the key mappings to rows, foreign keys and waiting events. Nothing
 * changes if a step fails and the transaction rolls back.
 */
export async function applyAnswer(
  tx: WriteTransaction,
  model: SyncModel,
  batch: Batch,
  answer: CheckedAnswer,
): Promise<void> {
  // Parents and children get their new keys in separate statements; check references at commit.
  await tx.execute("PRAGMA defer_foreign_keys = ON");
  if (answer.rejected.length > 0) {
    const rejected = JSON.stringify(answer.rejected);
    await tx.execute({
      sql: `UPDATE sync_outbox SET status = 'rejected', error_code = j.value ->> 1, error_message = j.value ->> 2,
            batch_id = NULL FROM json_each(?) AS j WHERE sync_outbox.seq = j.value ->> 0`,
      args: [rejected],
    });
    await rewriteWithKnownMappings(tx, JSON.stringify(answer.rejected.map(([seq]) => seq)));
  }
  // Applied events go, with their references: what is left of the batch once its rejected events
  // were let go. Found as a range of seqs (a batch is one), which reads pages in order.
  const range = [batch.seqs[0] ?? 0, batch.seqs.at(-1) ?? -1, batch.mark];
  await tx.execute({
    sql: `DELETE FROM sync_outbox_ref WHERE seq BETWEEN ?1 AND ?2 AND EXISTS
          (SELECT 1 FROM sync_outbox o WHERE o.seq = sync_outbox_ref.seq AND ${isEventOf("o", "?1", "?2", "?3")})`,
    args: range,
  });
  await tx.execute({ sql: `DELETE FROM sync_outbox WHERE ${batchEvents}`, args: range });
  if (batch.checkpointSeq !== null) {
    await tx.execute({
      sql: "DELETE FROM sync_outbox WHERE seq = ?",
      args: [batch.checkpointSeq],
    });
  }
  await tx.execute({ sql: "DELETE FROM sync_batch WHERE batch_id = ?", args: [batch.batchId] });
  for (const table of model.ordered) {
    const pairs = answer.mappings.get(table.name);
    if (pairs && pairs.length > 0) await applyMappings(tx, model, table, pairs);
  }
}
