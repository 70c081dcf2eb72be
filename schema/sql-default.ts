import { is, SQL } from "drizzle-orm";
import { type SQLiteColumn, SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { describeValue } from "./check-column-value.ts";
import type { ColumnType } from "./define-sync-model.ts";

/**
 * A column's SQL default: what the database puts in the column when an INSERT leaves it out.
 *
 * - `value`: a literal default (drizzle `.default(0)`, `.default("open")`), as the column stores
 *   it (drizzle's driver mapping applied: `true` is 1, a JSON value its text). The server fills
 *   it in itself, so a row that leaves the column out still goes in the same multi-row INSERT.
 * - `expression`: an SQL expression (drizzle `.default(sql\`CURRENT_TIMESTAMP\`)`), evaluated by
 *   the database for each row: the server leaves the column out of the INSERT.
 *
 * A JS-side default (`$defaultFn`, `$onUpdateFn`) is not an SQL default: the database never sees
 * it, so the server does not apply it (the typed client runs it on the device when it records the
 * insert).
 */
export type SqlDefault =
  | { readonly kind: "value"; readonly value: string | number; readonly sql: string }
  | { readonly kind: "expression"; readonly sql: string };

const dialect = new SQLiteSyncDialect();

/** `value` as an SQL literal: a number as written, a text quoted with `'` doubled. */
function sqlLiteral(value: string | number): string {
  return typeof value === "number" ? String(value) : `'${value.replaceAll("'", "''")}'`;
}

/** Whether a stored value fits a column of the wire type `type` (as `checkColumnValue` says). */
function fits(value: unknown, type: ColumnType): value is string | number {
  if (type === "text") return typeof value === "string" && value.isWellFormed();
  if (type === "integer") return Number.isSafeInteger(value);
  return typeof value === "number" && Number.isFinite(value);
}

/**
 * The SQL default of a drizzle column of the wire type `type`, or `undefined` when it has none
 * (a `.default(null)` is none: the column is NULL when left out, as without a default). `where`
 * names the column in errors. Throws when the default cannot be what the server applies: a literal
 * that does not fit the column (the server would write a value it refuses from any device), or an
 * `sql` default with bound parameters (drizzle-kit cannot write it into a migration either).
 */
export function sqlDefaultOf(
  column: SQLiteColumn,
  type: ColumnType,
  where: string,
): SqlDefault | undefined {
  const given: unknown = column.default;
  if (given === undefined || given === null) return undefined;
  if (is(given, SQL)) {
    const { sql, params } = dialect.sqlToQuery(given);
    if (params.length > 0) {
      throw new Error(
        `${where}: an sql default cannot have parameters (write its values into the SQL text)`,
      );
    }
    return { kind: "expression", sql };
  }
  let value: unknown = column.mapToDriverValue(given);
  if (typeof value === "bigint" && Number.isSafeInteger(Number(value))) value = Number(value);
  if (!fits(value, type)) {
    throw new Error(`${where}: its default ${describeValue(value)} is not a valid ${type} value`);
  }
  return { kind: "value", value, sql: sqlLiteral(value) };
}
