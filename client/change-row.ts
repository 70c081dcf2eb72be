import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { TableInfo } from "../schema/index.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import { currentKey, currentReference } from "./current-key.ts";
import type { SqlValue } from "./device-database.ts";
import type { EventBase } from "./wire-operation.ts";
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
 * What the device knows of the row `key` of `info` before it changes it: the server version it
 * holds or forgot (none for a row the server has not answered for yet: no base), and `values`, the changed
 * columns' previous values but for references by a temporary key, which the server never knew.
 */
async function baseOf(
  context: WriteContext,
  info: TableInfo,
  key: Value,
  values: Record<string, Value> | null,
): Promise<EventBase | null> {
  if (typeof key === "number" && key < 0) return null;
  // The version known, or the one forgotten (kept negated) when a rejected UPDATE or DELETE made
  // the device forget it until its next receive brings the server's row: an edit in between (the
  // row still holding the device's values) must not go unchecked, whether or not the rejected
  // event is still in the outbox. One lookup by the table's primary key, at every edit.
  const { rows } = await context.tx.execute({
    sql: "SELECT abs(version) FROM sync_row_version WHERE table_name = ? AND row_key = ?",
    args: [info.name, String(key)],
  });
  const version = rows[0]?.[0];
  if (version === undefined || version === null) return null;
  if (values) {
    for (const column of info.references) {
      const value = values[column.name];
      if (typeof value === "number" && value < 0) delete values[column.name];
    }
  }
  return { version: Number(version), values };
}

/**
 * Changes columns of a row (named by the key the app holds, which may be a mapped temporary key)
 * and records an update event with only the columns whose value changes (and what the device knew
 * of the row: its version and those columns' previous values); nothing when none does.
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
  // A synced column holds an integer, a real or a text (the model allows no other type).
  const previous = Object.fromEntries(
    names.map((name) => [name, (old.get(name) ?? null) as Value]),
  );
  const base = await baseOf(context, info, key, previous);
  await context.outbox.record("update", info, key, changed, base);
}

/** Deletes a row (named by the key the app holds) and records a delete event with its version. */
export async function deleteRow(
  context: WriteContext,
  table: SQLiteTable,
  rowKey: unknown,
): Promise<void> {
  await context.inserts.write();
  const info = context.infoOf(table);
  const key = await currentKey(context, info, rowKey);
  const base = await baseOf(context, info, key, null);
  const { rowsAffected } = await asInvalidWrite(`delete from ${info.name} ${String(rowKey)}`, () =>
    context.tx.execute({
      sql: `DELETE FROM ${quoteIdentifier(info.name)} ${byKey(info)}`,
      args: [key],
    }),
  );
  if (rowsAffected === 0) {
    throw invalid(`delete from ${info.name}: no row with key ${String(rowKey)}`);
  }
  await context.outbox.record("delete", info, key, null, base);
}
