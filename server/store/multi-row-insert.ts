import type { InStatement, InValue } from "@libsql/client";
import type { TableInfo } from "../../schema/index.ts";
import { quoteIdentifier } from "../../writer/index.ts";
import type { Row } from "./sync-store.ts";

/** SQLite caps bound parameters per statement at 32,766: a statement stays well below. */
export const maxParametersPerStatement = 30_000;

const sqlCache = new WeakMap<TableInfo, Map<number, string>>();

/**
 * `INSERT INTO table (columns) VALUES (?, …), …` for `count` rows. Kept per table and count: the
 * file writer reuses a prepared statement only for the same text, and a batch's counts repeat.
 */
function insertSql(table: TableInfo, count: number): string {
  let byCount = sqlCache.get(table);
  if (!byCount) {
    byCount = new Map();
    sqlCache.set(table, byCount);
  }
  let sql = byCount.get(count);
  if (sql === undefined) {
    const columns = table.columns.map((column) => quoteIdentifier(column.name)).join(", ");
    const tuple = `(${table.columns.map(() => "?").join(", ")})`;
    sql = `INSERT INTO ${quoteIdentifier(table.name)} (${columns}) VALUES ${new Array(count).fill(tuple).join(", ")}`;
    if (byCount.size >= 64) byCount.clear();
    byCount.set(count, sql);
  }
  return sql;
}

/**
 * The statements that insert `rows` (values in `TableInfo.columns` order) into `table`: one
 * multi-row INSERT per {@link maxParametersPerStatement} parameters, in row order. The one
 * multi-row INSERT builder of the server.
 */
export function multiRowInserts(table: TableInfo, rows: readonly Row[]): InStatement[] {
  const statements: InStatement[] = [];
  const width = table.columns.length;
  const perStatement = Math.max(1, Math.floor(maxParametersPerStatement / width));
  for (let start = 0; start < rows.length; start += perStatement) {
    const count = Math.min(perStatement, rows.length - start);
    const args = new Array<InValue>(count * width);
    for (let i = 0; i < count; i++) {
      const row = rows[start + i] as Row;
      for (let j = 0; j < width; j++) args[i * width + j] = row[j] ?? null;
    }
    statements.push({ sql: insertSql(table, count), args });
  }
  return statements;
}
