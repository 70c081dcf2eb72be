import type { WriteTransaction } from "../../writer/index.ts";
import type { BatchRetention } from "./sync-store.ts";

type Execute = WriteTransaction["execute"];

/**
 * The stored answers to prune: those ranked below each client's `keep` newest (by `batch_seq`;
 * ties, as answers stored before the number existed all have 0, by storing time) and stored before
 * `before`, oldest `batch_seq` first, at most `max`. `created_at` is ISO text, compared as text.
 */
const pruneSql = `DELETE FROM sync_batch WHERE rowid IN (
  SELECT id FROM (
    SELECT rowid AS id, batch_seq, created_at,
           row_number() OVER (
             PARTITION BY client_id ORDER BY batch_seq DESC, created_at DESC, rowid DESC
           ) AS newer
    FROM sync_batch
  )
  WHERE newer > ? AND created_at < ?
  ORDER BY batch_seq, created_at, id
  LIMIT ?
) RETURNING client_id, batch_seq`;

/** Raises a client's mark, never lowers it. */
const raiseMarkSql = `INSERT INTO sync_batch_mark (client_id, pruned_seq) VALUES (?, ?)
  ON CONFLICT (client_id) DO UPDATE SET pruned_seq = max(pruned_seq, excluded.pruned_seq)`;

/**
 * Prunes stored answers in one bounded step and raises the pruned marks of their clients, in the
 * caller's write transaction (see `SyncStore.pruneBatches`): a batch whose answer went can never be
 * taken for a new one, since its `batchSeq` is then at or below its client's mark.
 */
export async function pruneBatches(
  execute: Execute,
  { before, keep, max }: BatchRetention,
): Promise<number> {
  if (max <= 0) return 0;
  const { rows } = await execute({
    sql: pruneSql,
    args: [keep, new Date(before).toISOString(), max],
  });
  const highest = new Map<string, number>();
  for (const row of rows) {
    const clientId = String(row.client_id);
    highest.set(clientId, Math.max(highest.get(clientId) ?? 0, Number(row.batch_seq)));
  }
  for (const [clientId, seq] of highest)
    await execute({ sql: raiseMarkSql, args: [clientId, seq] });
  return rows.length;
}
