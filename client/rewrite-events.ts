import type { WriteTransaction } from "../writer/index.ts";

/** A JSON path to a column of an event's data in its operation, quoted for any column name. */
const pathOf = (column: string): string =>
  `$.data."${column.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

/**
 * Writes server keys into waiting events, given `(ref, seq, column, server key)` rows found
 * through their recorded references (`column` null: the event's own key), then drops those
 * references. One statement per column: an UPDATE … FROM changes each row at most once.
 */
export async function rewriteEvents(
  tx: WriteTransaction,
  found: ReadonlyArray<Record<string, unknown>>,
): Promise<void> {
  const byColumn = new Map<string | null, Array<[number, number]>>();
  const refs: number[] = [];
  for (const row of found) {
    const column = row.column_name === null ? null : String(row.column_name);
    let list = byColumn.get(column);
    if (!list) {
      list = [];
      byColumn.set(column, list);
    }
    list.push([Number(row.seq), Number(row.server_key)]);
    refs.push(Number(row.ref));
  }
  for (const [column, list] of byColumn) {
    await tx.execute({
      sql:
        column === null
          ? `UPDATE sync_outbox SET row_key = CAST(j.value ->> 1 AS TEXT),
               operation = json_set(operation, '$.key', CAST(j.value ->> 1 AS TEXT))
             FROM json_each(?) AS j WHERE sync_outbox.seq = j.value ->> 0`
          : `UPDATE sync_outbox SET operation = json_set(operation, ?, j.value ->> 1) FROM json_each(?) AS j
             WHERE sync_outbox.seq = j.value ->> 0`,
      args: column === null ? [JSON.stringify(list)] : [pathOf(column), JSON.stringify(list)],
    });
  }
  if (refs.length > 0) {
    await tx.execute({
      sql: "DELETE FROM sync_outbox_ref WHERE rowid IN (SELECT value FROM json_each(?))",
      args: [JSON.stringify(refs)],
    });
  }
}

/**
 * Rewrites the given events (by seq, a JSON array) with every mapping the device already applied:
 * for events that were in flight when their keys were mapped and are waiting again (rejected, or
 * released from a batch the server refused whole).
 */
export async function rewriteWithKnownMappings(tx: WriteTransaction, seqs: string): Promise<void> {
  const { rows } = await tx.execute({
    // For each reference, the nearest run starting at or above its key holds it, if any does.
    sql: `SELECT r.rowid AS ref, r.seq, r.column_name,
                 k.first_server + (k.first_client - r.ref_key) AS server_key
          FROM json_each(?) AS j
          CROSS JOIN sync_outbox_ref r ON r.seq = j.value
          CROSS JOIN sync_mapped_run k ON k.table_name = r.ref_table AND k.first_client = (
            SELECT min(first_client) FROM sync_mapped_run
            WHERE table_name = r.ref_table AND first_client >= r.ref_key)
          WHERE k.last_client <= r.ref_key`,
    args: [seqs],
  });
  await rewriteEvents(tx, rows);
}
