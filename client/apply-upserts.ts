import type { SyncModel, TableInfo } from "../schema/index.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import type { DeviceTransaction, SqlValue } from "./device-database.ts";
import { isFresh } from "./stage-sql.ts";
import { type UpsertRow, upsertStatements } from "./upsert-rows.ts";

/** Staged rows read and written per step: the stage is never read whole into memory. */
const rowsPerStep = 500;

/** A staged UPSERT as the row to write (the model's columns; others in `data` are left out). */
function rowOf(table: TableInfo, key: string, data: Record<string, SqlValue>): UpsertRow {
  return table.columns.map((column) => {
    if (column.isKey) return table.keyKind === "autonumber" ? Number(key) : key;
    return Object.hasOwn(data, column.name) ? data[column.name] : undefined;
  });
}

/**
 * The rows (by index) that refer to a parent the device lacks: neither in its table now (parents
 * are written first) nor, for a table that refers to itself, among the rows staged for it.
 */
async function orphans(
  tx: DeviceTransaction,
  model: SyncModel,
  table: TableInfo,
  rows: readonly UpsertRow[],
): Promise<Set<number>> {
  const found = new Set<number>();
  for (const column of table.references) {
    const at = table.columns.indexOf(column);
    const values = [
      ...new Set(rows.map((row) => row[at]).filter((v) => v !== null && v !== undefined)),
    ];
    if (values.length === 0) continue;
    const parent = quoteIdentifier(column.references ?? "");
    const parentKey = quoteIdentifier(model.byName.get(column.references ?? "")?.key.name ?? "");
    const staged =
      column.references === table.name
        ? `AND NOT EXISTS (SELECT 1 FROM sync_receive_stage s WHERE s.table_name = ?2
             AND s.kind = 'upsert' AND s.row_key = CAST(j.value AS TEXT))`
        : "";
    const { rows: missing } = await tx.execute({
      sql: `SELECT j.value FROM json_each(?1) AS j
            WHERE NOT EXISTS (SELECT 1 FROM ${parent} p WHERE p.${parentKey} = j.value) ${staged}`,
      args: staged ? [JSON.stringify(values), table.name] : [JSON.stringify(values)],
    });
    if (missing.length === 0) continue;
    const lacking = new Set(missing.map((row) => row[0]));
    rows.forEach((row, index) => {
      if (lacking.has(row[at] as SqlValue)) found.add(index);
    });
  }
  return found;
}

/**
 * Writes the staged UPSERTs that are fresh (newer than the version the device knows), table by
 * table with parents first, a step of rows at a time: each row is inserted or gets the columns the
 * change gives. A row that refers to a parent the device lacks is held (its entry stays staged,
 * for the next apply), so the device never holds a child without its parent.
 */
export async function applyUpserts(tx: DeviceTransaction, model: SyncModel): Promise<void> {
  for (const table of model.ordered) {
    let after = "";
    for (;;) {
      const { rows } = await tx.execute({
        sql: `SELECT s.row_key, s.data FROM sync_receive_stage s
              WHERE s.table_name = ? AND s.row_key > ? AND s.kind = 'upsert' AND ${isFresh("s")}
              ORDER BY s.row_key LIMIT ?`,
        args: [table.name, after, rowsPerStep],
      });
      if (rows.length === 0) break;
      after = String(rows[rows.length - 1]?.[0]);
      const keys = rows.map((row) => String(row[0]));
      const upserts = rows.map((row, i) =>
        rowOf(table, keys[i] as string, JSON.parse(String(row[1])) as Record<string, SqlValue>),
      );
      const held = await orphans(tx, model, table, upserts);
      const statements = upsertStatements(
        table,
        upserts.filter((_, i) => !held.has(i)),
      );
      if (held.size > 0) {
        statements.push({
          sql: "UPDATE sync_receive_stage SET held = 1 WHERE table_name = ? AND row_key IN (SELECT value FROM json_each(?))",
          args: [table.name, JSON.stringify(keys.filter((_, i) => held.has(i)))],
        });
      }
      await tx.batch(statements);
      if (rows.length < rowsPerStep) break;
    }
  }
}
