import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { TableInfo } from "../schema/index.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import { currentReference } from "./current-key.ts";
import {
  asInvalidWrite,
  checkInsertValues,
  columnValues,
  deviceMadeKey,
  invalid,
  toDriver,
  toValue,
  type Value,
} from "./write-checks.ts";
import type { WriteContext } from "./write-context.ts";

/** A row to insert: its columns and values, and its event's data. */
interface NewRow {
  /** `INSERT INTO table (columns)`: the columns given a value. */
  readonly head: string;
  readonly values: Value[];
  /** Every column but the key, SQL names: the event's data. */
  readonly data: Record<string, Value>;
  /** Whether a column left out has a default only the database knows. */
  readonly sqlDefaults: boolean;
}

/**
 * The row the app's values make, checked as the server checks them: a value for each column (or
 * its drizzle default function), NOT NULL columns given one, foreign keys the app gives by a
 * mapped temporary key turned into server keys.
 */
async function newRow(
  context: WriteContext,
  info: TableInfo,
  key: Value,
  given: Record<string, unknown>,
): Promise<NewRow> {
  const names: string[] = [];
  const values: Value[] = [];
  const data: Record<string, Value> = {};
  let sqlDefaults = false;
  for (const column of info.columns) {
    let value = column.isKey ? key : given[column.property];
    if (value === undefined && column.drizzle.defaultFn) value = column.drizzle.defaultFn();
    if (value === undefined) {
      if (column.notNull && !column.hasDefault && !column.isKey) {
        throw invalid(`${info.name}.${column.name} must not be null`);
      }
      // Left to SQLite: NULL, or a default only the database knows (read back after the insert).
      sqlDefaults ||= column.hasDefault;
      if (!column.isKey) data[column.name] = null;
      continue;
    }
    const stored = column.isKey
      ? (value as Value)
      : await currentReference(context, column, toDriver(info, column, value));
    names.push(quoteIdentifier(column.name));
    values.push(stored);
    if (!column.isKey) data[column.name] = stored;
  }
  const head = `INSERT INTO ${quoteIdentifier(info.name)} (${names.join(", ")})`;
  return { head, values, data, sqlDefaults };
}

/** Writes a row whose defaults only the database knows at once, and reads them back into `data`. */
async function insertReadingBack(context: WriteContext, info: TableInfo, row: NewRow) {
  await context.inserts.write();
  const tuple = `(${row.values.map(() => "?").join(", ")})`;
  const { columns, rows } = await asInvalidWrite(`insert into ${info.name}`, () =>
    context.tx.execute({ sql: `${row.head} VALUES ${tuple} RETURNING *`, args: row.values }),
  );
  const written = rows[0] ?? [];
  for (const column of info.dataColumns) {
    const value = written[columns.indexOf(column.name)] ?? null;
    row.data[column.name] = toValue(`${info.name}.${column.name}`, value);
  }
}

/**
 * Inserts a row and records its event; returns its key. An autonumbered table's row gets the next
 * temporary key, taken once the row is written (or waits in the insert group, which fails the
 * transaction whole if its statement fails); a table whose keys the device makes gets the one the
 * app gave, or a UUID.
 */
export async function insertRow(
  context: WriteContext,
  table: SQLiteTable,
  values: unknown,
): Promise<Value> {
  const info = context.infoOf(table);
  const given = columnValues(`insert into ${info.name}`, "values", values);
  checkInsertValues(info, given);
  const autonumber = info.keyKind === "autonumber";
  const key = autonumber ? await context.tempKeys.next(info.name) : deviceMadeKey(info, given);
  const row = await newRow(context, info, key, given);
  if (row.sqlDefaults) await insertReadingBack(context, info, row);
  else await context.inserts.add(info.name, row.head, row.values);
  if (autonumber) context.tempKeys.take(info.name, key as number);
  await context.outbox.record("insert", info, key, row.data);
  return key;
}
