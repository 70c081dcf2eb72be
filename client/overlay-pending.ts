import type { SyncModel, TableInfo } from "../schema/index.ts";
import { findKeyRuns } from "../writer/find-key-runs.ts";
import { serverKeyIn } from "../writer/key-runs.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import { currentKeySql } from "./current-key-sql.ts";
import type { DeviceTransaction, SqlValue } from "./device-database.ts";
import { isFresh } from "./stage-sql.ts";
import { upsertStatements } from "./upsert-rows.ts";

/** Events read per step. */
const eventsPerStep = 500;

/**
 * The pending events (unsent, or sent and unanswered) of the rows a fresh staged change writes,
 * in outbox order, after `seq`: their keys as the rows have them now.
 */
const pendingOfStaged = `
  SELECT e.seq, e.kind, e.table_name, e.row_key, e.data FROM (
    SELECT o.seq, o.kind, o.table_name, ${currentKeySql("o.table_name", "o.row_key")} AS row_key,
           o.operation -> '$.data' AS data
    FROM sync_outbox o WHERE o.seq > ? AND o.status = 'pending' AND o.kind != 'checkpoint') AS e
  WHERE EXISTS (SELECT 1 FROM sync_receive_stage s WHERE s.table_name = e.table_name
    AND s.row_key = e.row_key AND ${isFresh("s")})
  ORDER BY e.seq LIMIT ?`;

/**
 * An event's data with the references it holds by temporary keys this device has had mapped
 * (events of a batch in flight keep the keys they were sent with) turned into server keys.
 */
async function currentData(
  tx: DeviceTransaction,
  model: SyncModel,
  table: TableInfo,
  data: Record<string, SqlValue>,
): Promise<Record<string, SqlValue>> {
  for (const column of table.references) {
    const value = data[column.name];
    const target = model.byName.get(column.references ?? "");
    if (typeof value !== "number" || value >= 0 || target?.keyKind !== "autonumber") continue;
    const runs = await findKeyRuns(tx, { name: "sync_mapped_run" }, target.name, value, value);
    data[column.name] = serverKeyIn(runs, value) ?? value;
  }
  return data;
}

/**
 * Applies the device's pending events again on top of the rows the pull wrote, in outbox order:
 * local writes win until the server has answered them. An INSERT writes its row again, an UPDATE
 * its columns; a DELETE is returned (by table, the keys) for the deletes that come after, which
 * keep a row that others still refer to. Read inside the apply transaction, so an event the app
 * recorded before it is here, and one recorded after it applies on top by itself.
 */
export async function overlayPending(
  tx: DeviceTransaction,
  model: SyncModel,
): Promise<Map<string, Set<SqlValue>>> {
  const deletes = new Map<string, Set<SqlValue>>();
  let after = 0;
  for (;;) {
    const { rows } = await tx.execute({ sql: pendingOfStaged, args: [after, eventsPerStep] });
    for (const [seq, kind, tableName, rowKey, rawData] of rows) {
      after = Number(seq);
      const table = model.byName.get(String(tableName));
      if (!table) continue;
      const key = table.keyKind === "autonumber" ? Number(rowKey) : String(rowKey);
      let keys = deletes.get(table.name);
      if (kind === "delete") {
        if (!keys) {
          keys = new Set();
          deletes.set(table.name, keys);
        }
        keys.add(key);
        continue;
      }
      keys?.delete(key);
      const given = JSON.parse(String(rawData ?? "{}")) as Record<string, SqlValue>;
      const data = await currentData(tx, model, table, given);
      if (kind === "insert") {
        const row = table.columns.map((column) =>
          column.isKey ? key : Object.hasOwn(data, column.name) ? data[column.name] : undefined,
        );
        await tx.batch(upsertStatements(table, [row]));
        continue;
      }
      const columns = Object.keys(data).filter((name) => table.columnsByName.has(name));
      if (columns.length === 0) continue;
      await tx.execute({
        sql: `UPDATE ${quoteIdentifier(table.name)} SET ${columns.map((name) => `${quoteIdentifier(name)} = ?`).join(", ")}
              WHERE ${quoteIdentifier(table.key.name)} = ?`,
        args: [...columns.map((name) => data[name] as SqlValue), key],
      });
    }
    if (rows.length < eventsPerStep) return deletes;
  }
}
