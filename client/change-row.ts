import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { TableInfo } from "../schema/index.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import { currentKey, currentReference } from "./current-key.ts";
import type { SqlValue } from "./device-database.ts";
import {
  asInvalidWrite,
  columnOf,
  columnValues,
  invalid,
  toDriver,
  type Value,
} from "./write-checks.ts";
import type { WriteContext } from "./write-context.ts";

/** `WHERE key = ?` of a table. */
const byKey = (info: TableInfo): string => `WHERE ${quoteIdentifier(info.key.name)} = ?`;

/** The row's values by column name, or undefined when there is no row with that key. */
async function readRow(
  context: WriteContext,
  info: TableInfo,
  key: Value,
): Promise<ReadonlyMap<string, SqlValue> | undefined> {
  const { columns, rows } = await context.tx.execute({
    sql: `SELECT * FROM ${quoteIdentifier(info.name)} ${byKey(info)}`,
    args: [key],
  });
  const [row] = rows;
  return row && new Map(columns.map((name, i) => [name, row[i] ?? null]));
}

/**
 * Changes columns of a row (named by the key the app holds, which may be a mapped temporary key)
 * and records an update event with only the columns whose value changes; nothing when none does.
 */
export async function updateRow(
  context: WriteContext,
  table: SQLiteTable,
  rowKey: unknown,
  changes: unknown,
): Promise<void> {
  await context.inserts.write();
  const info = context.infoOf(table);
  const given = columnValues(`update of ${info.name}`, "changes", changes);
  const key = await currentKey(context, info, rowKey);
  const old = await readRow(context, info, key);
  if (!old) throw invalid(`update of ${info.name}: no row with key ${String(rowKey)}`);
  const changed: Record<string, Value> = {};
  for (const [property, value] of Object.entries(given)) {
    const column = columnOf(info, property);
    if (column.isKey) throw invalid(`update of ${info.name}: the key cannot change`);
    if (value === undefined) continue;
    const stored = await currentReference(context, column, toDriver(info, column, value));
    if (old.get(column.name) !== stored) changed[column.name] = stored;
  }
  const names = Object.keys(changed);
  if (names.length === 0) return;
  const assignments = names.map((name) => `${quoteIdentifier(name)} = ?`).join(", ");
  await asInvalidWrite(`update of ${info.name} ${String(rowKey)}`, () =>
    context.tx.execute({
      sql: `UPDATE ${quoteIdentifier(info.name)} SET ${assignments} ${byKey(info)}`,
      args: [...Object.values(changed), key],
    }),
  );
  await context.outbox.record("update", info, key, changed);
}

/** Deletes a row (named by the key the app holds) and records a delete event. */
export async function deleteRow(
  context: WriteContext,
  table: SQLiteTable,
  rowKey: unknown,
): Promise<void> {
  await context.inserts.write();
  const info = context.infoOf(table);
  const key = await currentKey(context, info, rowKey);
  const { rowsAffected } = await asInvalidWrite(`delete from ${info.name} ${String(rowKey)}`, () =>
    context.tx.execute({
      sql: `DELETE FROM ${quoteIdentifier(info.name)} ${byKey(info)}`,
      args: [key],
    }),
  );
  if (rowsAffected === 0) {
    throw invalid(`delete from ${info.name}: no row with key ${String(rowKey)}`);
  }
  await context.outbox.record("delete", info, key, null);
}
