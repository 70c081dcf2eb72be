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

/** The head of a table's rows of one shape, and which of its columns those rows give. */
interface Shape {
  /** `INSERT INTO table (the columns given)`. */
  readonly head: string;
  /** Positions in `TableInfo.columns` of the columns given, in order. */
  readonly given: readonly number[];
  /** For an upsert: the `ON CONFLICT` clause that gives an existing row the columns given. */
  readonly onConflict: string;
}

/** How {@link multiRowInserts} writes. */
export interface MultiRowInsertOptions {
  /**
   * An existing row with the key gets the columns a row gives (an update in place: never a
   * delete and an insert, so no foreign-key action fires). Default: a plain INSERT.
   */
  readonly upsert?: boolean;
  /** At most this many rows per statement (below the parameter cap). */
  readonly maxRows?: number;
}

/** `ON CONFLICT (key) DO UPDATE SET …` for the columns given (`DO NOTHING` when only the key is). */
function onConflictOf(table: TableInfo, columns: readonly string[]): string {
  const keyName = quoteIdentifier(table.key.name);
  const set = columns
    .filter((name) => name !== keyName)
    .map((name) => `${name} = excluded.${name}`);
  return set.length === 0
    ? ` ON CONFLICT (${keyName}) DO NOTHING`
    : ` ON CONFLICT (${keyName}) DO UPDATE SET ${set.join(", ")}`;
}

/** By table, then by {@link shapeKey}: the shapes seen. A table has few (usually one). */
const shapes = new WeakMap<TableInfo, Map<string, Shape>>();

/** The positions a row leaves out (`undefined`), as a key: `""` when it gives every column. */
function shapeKey(row: ReadonlyArray<unknown>): string {
  let key = "";
  for (let j = 0; j < row.length; j++) if (row[j] === undefined) key += `${j},`;
  return key;
}

/** The shape of `table`'s rows that leave out the positions of `key` (see {@link shapeKey}). */
function shapeOf(table: TableInfo, key: string): Shape {
  let byKey = shapes.get(table);
  if (!byKey) {
    byKey = new Map();
    shapes.set(table, byKey);
  }
  let shape = byKey.get(key);
  if (!shape) {
    const left = new Set(key.split(",").filter(Boolean).map(Number));
    const given = table.columns.flatMap((_, j) => (left.has(j) ? [] : [j]));
    const columns = given.map((j) => quoteIdentifier(table.columns[j]?.name ?? ""));
    shape = {
      head: `INSERT INTO ${quoteIdentifier(table.name)} (${columns.join(", ")})`,
      given,
      onConflict: onConflictOf(table, columns),
    };
    // A bound on the shapes kept: a client can make many by leaving out different columns.
    if (byKey.size >= 64) byKey.clear();
    byKey.set(key, shape);
  }
  return shape;
}

/**
 * {@link multiRowStatements} of whole rows of `table`: values in `TableInfo.columns` order. An
 * `undefined` value leaves its column out, so the database applies the column's SQL default
 * (SQLite has no `DEFAULT` in `VALUES`): consecutive rows that leave out the same columns share a
 * statement, and rows keep their order. Invariant: a row gives at least one column (the key).
 */
export function multiRowInserts<V>(
  table: TableInfo,
  rows: ReadonlyArray<ReadonlyArray<V | undefined>>,
  { upsert = false, maxRows }: MultiRowInsertOptions = {},
): Array<{ sql: string; args: Array<V | null> }> {
  const statements: Array<{ sql: string; args: Array<V | null> }> = [];
  let start = 0;
  while (start < rows.length) {
    const key = shapeKey(rows[start] as ReadonlyArray<V | undefined>);
    let end = start + 1;
    while (end < rows.length && shapeKey(rows[end] as ReadonlyArray<V | undefined>) === key) end++;
    const run = start === 0 && end === rows.length ? rows : rows.slice(start, end);
    const { head, given, onConflict } = shapeOf(table, key);
    const values = key === "" ? run : run.map((row) => given.map((j): V | undefined => row[j]));
    for (const statement of multiRowStatements(head, given.length, values, maxRows)) {
      statements.push(
        upsert ? { sql: statement.sql + onConflict, args: statement.args } : statement,
      );
    }
    start = end;
  }
  return statements;
}
