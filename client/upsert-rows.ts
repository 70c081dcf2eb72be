import type { TableInfo } from "../schema/index.ts";
import { multiRowInserts } from "../writer/multi-row-insert.ts";
import type { SqlStatement, SqlValue } from "./device-database.ts";

/** A row to write: its values in `TableInfo.columns` order (the key first); `undefined` leaves a column as it is. */
export type UpsertRow = ReadonlyArray<SqlValue | undefined>;

/**
 * Multi-row upserts of `rows` into `table`: a row is inserted, or the existing row with its key
 * gets the columns it gives (never a delete and an insert, so no foreign key action fires).
 * Consecutive rows that give the same columns share a statement; rows keep their order. Every
 * row gives its key.
 */
export function upsertStatements(table: TableInfo, rows: readonly UpsertRow[]): SqlStatement[] {
  return multiRowInserts(table, rows, { upsert: true, maxRows: 500 });
}
