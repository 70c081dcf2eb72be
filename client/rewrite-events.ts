import { findKeyRuns } from "../writer/find-key-runs.ts";
import { serverKeyIn } from "../writer/key-runs.ts";
import type { DeviceTransaction, SqlRow, SqlStatement } from "./device-database.ts";

/** A JSON path to a column of an event's data in its operation, quoted for any column name. */
const pathOf = (column: string): string =>
  `$.data."${column.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

/**
 * Writes server keys into waiting events, given rows of `(ref, seq, column, server key)` found
 * through their recorded references (`ref` the rowid in `sync_outbox_ref`; `column` null: the
 * event's own key), then drops those references. One statement per column: an UPDATE … FROM
 * changes each row at most once.
 */
export async function rewriteEvents(
  tx: DeviceTransaction,
  found: readonly SqlRow[],
): Promise<void> {
  if (found.length === 0) return;
  const byColumn = new Map<string | null, Array<[number, number]>>();
  const refs: number[] = [];
  for (const [ref, seq, columnName, serverKey] of found) {
    const column = columnName === null || columnName === undefined ? null : String(columnName);
    let list = byColumn.get(column);
    if (!list) {
      list = [];
      byColumn.set(column, list);
    }
    list.push([Number(seq), Number(serverKey)]);
    refs.push(Number(ref));
  }
  const statements: SqlStatement[] = [];
  for (const [column, list] of byColumn) {
    statements.push(
      column === null
        ? {
            sql: `UPDATE sync_outbox SET row_key = CAST(j.value ->> 1 AS TEXT),
                    operation = json_set(operation, '$.key', CAST(j.value ->> 1 AS TEXT))
                  FROM json_each(?) AS j WHERE sync_outbox.seq = j.value ->> 0`,
            args: [JSON.stringify(list)],
          }
        : {
            sql: `UPDATE sync_outbox SET operation = json_set(operation, ?, j.value ->> 1)
                  FROM json_each(?) AS j WHERE sync_outbox.seq = j.value ->> 0`,
            args: [pathOf(column), JSON.stringify(list)],
          },
    );
  }
  statements.push({
    sql: "DELETE FROM sync_outbox_ref WHERE rowid IN (SELECT value FROM json_each(?))",
    args: [JSON.stringify(refs)],
  });
  await tx.batch(statements);
}

/**
 * Rewrites the given events with every mapping the device already applied: for events that were
 * in flight when their keys were mapped and are waiting again (rejected, or released from a batch
 * the server refused whole). Each table's runs that can hold the events' keys are read once.
 */
export async function rewriteWithKnownMappings(
  tx: DeviceTransaction,
  seqs: readonly number[],
): Promise<void> {
  const { rows: refs } = await tx.execute({
    sql: `SELECT r.rowid, r.seq, r.column_name, r.ref_table, r.ref_key
          FROM json_each(?) AS j CROSS JOIN sync_outbox_ref r ON r.seq = j.value`,
    args: [JSON.stringify(seqs)],
  });
  const byTable = new Map<string, SqlRow[]>();
  for (const ref of refs) {
    const table = String(ref[3]);
    const list = byTable.get(table);
    if (list) list.push(ref);
    else byTable.set(table, [ref]);
  }
  const found: SqlRow[] = [];
  for (const [table, list] of byTable) {
    const keys = list.map((ref) => Number(ref[4]));
    let low = 0;
    let high = Number.NEGATIVE_INFINITY;
    for (const key of keys) {
      if (key < low) low = key;
      if (key > high) high = key;
    }
    const runs = await findKeyRuns(tx, { name: "sync_mapped_run" }, table, low, high);
    for (const [i, [ref, seq, column]] of list.entries()) {
      const serverKey = serverKeyIn(runs, keys[i] as number);
      if (serverKey !== undefined)
        found.push([ref ?? null, seq ?? null, column ?? null, serverKey]);
    }
  }
  await rewriteEvents(tx, found);
}
