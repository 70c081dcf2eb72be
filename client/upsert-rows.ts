import type { TableInfo } from "../schema/index.ts";
import { multiRowStatements } from "../writer/multi-row-insert.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import type { SqlStatement, SqlValue } from "./device-database.ts";

/** A row to write: its values in `TableInfo.columns` order (the key first); `undefined` leaves a column as it is. */
export type UpsertRow = ReadonlyArray<SqlValue | undefined>;

/** By table, then by the positions a row leaves out: `INSERT … (columns)` and its `ON CONFLICT` clause. */
const shapes = new WeakMap<
  TableInfo,
  Map<string, { head: string; tail: string; given: number[] }>
>();

function shapeOf(table: TableInfo, row: UpsertRow) {
  let key = "";
  for (let j = 0; j < row.length; j++) if (row[j] === undefined) key += `${j},`;
  let byKey = shapes.get(table);
  if (!byKey) {
    byKey = new Map();
    shapes.set(table, byKey);
  }
  let shape = byKey.get(key);
  if (!shape) {
    const given = table.columns.flatMap((_, j) => (row[j] === undefined ? [] : [j]));
    const names = given.map((j) => quoteIdentifier(table.columns[j]?.name ?? ""));
    const keyName = quoteIdentifier(table.key.name);
    const set = names
      .filter((name) => name !== keyName)
      .map((name) => `${name} = excluded.${name}`);
    shape = {
      head: `INSERT INTO ${quoteIdentifier(table.name)} (${names.join(", ")})`,
      tail:
        set.length === 0
          ? ` ON CONFLICT (${keyName}) DO NOTHING`
          : ` ON CONFLICT (${keyName}) DO UPDATE SET ${set.join(", ")}`,
      given,
    };
    if (byKey.size >= 64) byKey.clear();
    byKey.set(key, shape);
  }
  return { key, shape };
}

/**
 * Multi-row upserts of `rows` into `table`: a row is inserted, or the existing row with its key
 * gets the columns it gives (never a delete and an insert, so no foreign key action fires).
 * Consecutive rows that give the same columns share a statement; rows keep their order. Every
 * row gives its key.
 */
export function upsertStatements(table: TableInfo, rows: readonly UpsertRow[]): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let start = 0;
  while (start < rows.length) {
    const { key, shape } = shapeOf(table, rows[start] as UpsertRow);
    let end = start + 1;
    while (end < rows.length && shapeOf(table, rows[end] as UpsertRow).key === key) end++;
    const values = rows.slice(start, end).map((row) => shape.given.map((j) => row[j]));
    for (const statement of multiRowStatements(shape.head, shape.given.length, values, 500)) {
      statements.push({ sql: statement.sql + shape.tail, args: statement.args });
    }
    start = end;
  }
  return statements;
}
