import type postgres from "postgres";
import type { TableInfo } from "../../schema/index.ts";
import { multiRowInserts, quoteIdentifier } from "../../writer/index.ts";
import { dollarParams, inSavepoint, jsonParam, rowsOf, valuesOf } from "./postgres-connection.ts";
import type { RowState, SqlValue, SyncStoreTransaction } from "./sync-store.ts";

/** PostgreSQL caps parameters per statement at 65,535: the shared builder keeps to 30,000. */
const keysPerLookup = 1_000;

/** The key column of `table` as `sync_row.row_key` (text) compares with it. */
export function keyAsText(table: TableInfo, alias: string): string {
  const key = `${alias}.${quoteIdentifier(table.key.name)}`;
  return table.keyKind === "autonumber" ? `${key}::text` : key;
}

/** `sync_row.row_key` (alias `r`) as the key column of `table` holds it. */
export function rowKeyAs(table: TableInfo): string {
  return table.keyKind === "autonumber" ? "r.row_key::bigint" : "r.row_key";
}

/**
 * The methods of a PostgreSQL store transaction that read and write the synced tables and read
 * rows' sync states. Writes that may break a constraint run in a savepoint (see `inSavepoint`).
 * `readRowStates` locks the states it reads until the transaction ends: a write of the same row
 * by another process waits, then reads the version this one wrote.
 */
export function postgresRows(
  tx: postgres.TransactionSql,
): Pick<
  SyncStoreTransaction,
  | "insertRows"
  | "updateRow"
  | "deleteRow"
  | "hasRow"
  | "readRowStates"
  | "childKeys"
  | "readColumn"
  | "readRow"
> {
  return {
    async insertRows(groups) {
      const statements = groups.flatMap(({ table, rows }) =>
        multiRowInserts(table, rows).map(({ sql, args }) => ({ text: dollarParams(sql), args })),
      );
      if (statements.length > 0) await inSavepoint(tx, statements);
    },

    async updateRow(table, key, changes) {
      const assignments = changes.map(([column], i) => `${quoteIdentifier(column)} = $${i + 1}`);
      const [count] = await inSavepoint(tx, [
        {
          text: `UPDATE ${quoteIdentifier(table.name)} SET ${assignments.join(", ")} WHERE ${quoteIdentifier(table.key.name)} = $${changes.length + 1}`,
          args: [...changes.map(([, value]) => value), key],
        },
      ]);
      return (count ?? 0) > 0;
    },

    async deleteRow(table, key) {
      const [count] = await inSavepoint(tx, [
        {
          text: `DELETE FROM ${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(table.key.name)} = $1`,
          args: [key],
        },
      ]);
      return (count ?? 0) > 0;
    },

    async hasRow(table, column, value) {
      const [row] = await rowsOf(tx, {
        text: `SELECT EXISTS (SELECT 1 FROM ${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(column.name)} = $1) AS found`,
        args: [value],
      });
      return row?.found === true;
    },

    async readRowStates(table, keys) {
      const states = new Map<string, RowState>();
      const reads: Promise<unknown[][]>[] = [];
      for (let start = 0; start < keys.length; start += keysPerLookup) {
        const chunk = keys.slice(start, start + keysPerLookup);
        reads.push(
          valuesOf(tx, {
            text: `SELECT row_key, version, scope, deleted, writer, writer_from FROM sync_row
              WHERE table_name = $1 AND row_key IN (SELECT jsonb_array_elements_text($2::text::jsonb))
              ORDER BY row_key FOR UPDATE`,
            args: [table.name, jsonParam(chunk.map(String))],
          }),
        );
      }
      for (const rows of await Promise.all(reads)) {
        for (const [key, version, scope, deleted, writer, writerFrom] of rows) {
          states.set(String(key), {
            version: Number(version),
            scope: String(scope),
            deleted: Number(deleted) === 1,
            writer: String(writer),
            writerFrom: Number(writerFrom),
          });
        }
      }
      return states;
    },

    async childKeys(table, column, parentKey) {
      const rows = await valuesOf(tx, {
        text: `SELECT ${quoteIdentifier(table.key.name)} FROM ${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(column.name)} = $1`,
        args: [parentKey],
      });
      return rows.map(([key]) => String(key));
    },

    async readColumn(table, column, key) {
      const [row] = await valuesOf(tx, {
        text: `SELECT ${quoteIdentifier(column.name)} FROM ${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(table.key.name)} = $1`,
        args: [key],
      });
      return row === undefined ? undefined : ((row[0] ?? null) as SqlValue);
    },

    async readRow(table, key) {
      const columns = table.dataColumns.map((column) => quoteIdentifier(column.name));
      const [row] = await valuesOf(tx, {
        text: `SELECT ${columns.join(", ") || "1"} FROM ${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(table.key.name)} = $1`,
        args: [key],
      });
      if (!row) return undefined;
      const values: Record<string, SqlValue> = {};
      for (const [index, column] of table.dataColumns.entries()) {
        values[column.name] = (row[index] ?? null) as SqlValue;
      }
      return values;
    },
  };
}
