import type { TableInfo } from "../schema/index.ts";
import { quoteIdentifier } from "./quote-identifier.ts";

/** SQLite caps bound parameters per statement at 32,766: a statement stays well below. */
export const maxParametersPerStatement = 30_000;

/**
 * How many rows of `width` values one multi-row INSERT takes: as many as
 * {@link maxParametersPerStatement} allows, at most `maxRows`, at least one.
 */
export function rowsPerStatement(width: number, maxRows = Number.POSITIVE_INFINITY): number {
  return Math.max(1, Math.min(maxRows, Math.floor(maxParametersPerStatement / width)));
}

/** Statement texts by head, then by row count; cleared when it grows past its bounds. */
const sqlCache = new Map<string, Map<number, string>>();

/**
 * `head VALUES (?, …), …` for `count` rows of `width` values, where `head` is
 * `INSERT INTO table (columns)`. Kept per head and count: a prepared statement is reused only for
 * the same text, and the counts of a workload repeat.
 */
export function multiRowInsertSql(head: string, width: number, count: number): string {
  let byCount = sqlCache.get(head);
  if (!byCount) {
    if (sqlCache.size >= 256) sqlCache.clear();
    byCount = new Map();
    sqlCache.set(head, byCount);
  }
  let sql = byCount.get(count);
  if (sql === undefined) {
    const tuple = `(${new Array(width).fill("?").join(", ")})`;
    sql = `${head} VALUES ${new Array(count).fill(tuple).join(", ")}`;
    if (byCount.size >= 64) byCount.clear();
    byCount.set(count, sql);
  }
  return sql;
}

/**
 * The statements that insert `rows` (each `width` values, in the order of `head`'s columns): one
 * multi-row INSERT per {@link rowsPerStatement} rows, in row order. The one multi-row INSERT
 * builder, on both sides.
 */
export function multiRowStatements<V>(
  head: string,
  width: number,
  rows: ReadonlyArray<ReadonlyArray<V | undefined>>,
  maxRows?: number,
): Array<{ sql: string; args: Array<V | null> }> {
  const statements: Array<{ sql: string; args: Array<V | null> }> = [];
  const perStatement = rowsPerStatement(width, maxRows);
  for (let start = 0; start < rows.length; start += perStatement) {
    const count = Math.min(perStatement, rows.length - start);
    const args = new Array<V | null>(count * width);
    for (let i = 0; i < count; i++) {
      const row = rows[start + i] as ReadonlyArray<V | undefined>;
      for (let j = 0; j < width; j++) args[i * width + j] = row[j] ?? null;
    }
    statements.push({ sql: multiRowInsertSql(head, width, count), args });
  }
  return statements;
}

const heads = new WeakMap<TableInfo, string>();

/** `INSERT INTO table (every column)`, in `TableInfo.columns` order (key first). */
function headOf(table: TableInfo): string {
  let head = heads.get(table);
  if (head === undefined) {
    const columns = table.columns.map((column) => quoteIdentifier(column.name)).join(", ");
    head = `INSERT INTO ${quoteIdentifier(table.name)} (${columns})`;
    heads.set(table, head);
  }
  return head;
}

/** {@link multiRowStatements} of whole rows of `table`: values in `TableInfo.columns` order. */
export function multiRowInserts<V>(
  table: TableInfo,
  rows: ReadonlyArray<ReadonlyArray<V | undefined>>,
): Array<{ sql: string; args: Array<V | null> }> {
  return multiRowStatements(headOf(table), table.columns.length, rows);
}
