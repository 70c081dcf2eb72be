import { multiRowStatements, quoteIdentifier, type WriteTransaction } from "../../writer/index.ts";
import { reserveSeqs } from "./libsql-changes.ts";
import type { RowState, SqlValue, SyncStoreTransaction } from "./sync-store.ts";

/** Keys per `IN (…)` look-up: far below SQLite's parameter cap, and a statement text reused. */
const keysPerLookup = 500;

/**
 * The methods of a libSQL store transaction that keep the sync state of rows (`sync_row`,
 * `sync_scope_exit`, `sync_writer_exit`, the change sequence in `sync_meta`).
 */
export function libsqlRowStates(
  tx: WriteTransaction,
): Pick<
  SyncStoreTransaction,
  | "readRowStates"
  | "childKeys"
  | "readColumn"
  | "readRow"
  | "reserveSeqs"
  | "saveInsertedRuns"
  | "saveRowStates"
  | "saveScopeExits"
  | "saveWriterExits"
> {
  return {
    async readRowStates(table, keys) {
      const states = new Map<string, RowState>();
      for (let start = 0; start < keys.length; start += keysPerLookup) {
        const chunk = keys.slice(start, start + keysPerLookup);
        const { rows } = await tx.execute({
          sql: `SELECT row_key, version, scope, deleted, writer, writer_from FROM sync_row WHERE table_name = ? AND row_key IN (${chunk.map(() => "?").join(", ")})`,
          args: [table.name, ...(table.keyKind === "autonumber" ? chunk.map(Number) : chunk)],
        });
        for (const row of rows) {
          states.set(String(row.row_key), {
            version: Number(row.version),
            scope: String(row.scope),
            deleted: Number(row.deleted) === 1,
            writer: String(row.writer),
            writerFrom: Number(row.writer_from),
          });
        }
      }
      return states;
    },

    async childKeys(table, column, parentKey) {
      const { rows } = await tx.execute({
        sql: `SELECT ${quoteIdentifier(table.key.name)} AS k FROM ${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(column.name)} = ?`,
        args: [parentKey],
      });
      return rows.map((row) => String(row.k));
    },

    async readColumn(table, column, key) {
      const { rows } = await tx.execute({
        sql: `SELECT ${quoteIdentifier(column.name)} AS v FROM ${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(table.key.name)} = ?`,
        args: [key],
      });
      const value = rows[0]?.v;
      return value === undefined ? undefined : (value as string | number | null);
    },

    async readRow(table, key) {
      const columns = table.dataColumns.map((column) => quoteIdentifier(column.name));
      const { rows } = await tx.execute({
        sql: `SELECT ${columns.join(", ") || "1"} FROM ${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(table.key.name)} = ?`,
        args: [key],
      });
      const row = rows[0];
      if (!row) return undefined;
      const values: Record<string, SqlValue> = {};
      for (const [index, column] of table.dataColumns.entries()) {
        values[column.name] = (row[index] ?? null) as SqlValue;
      }
      return values;
    },

    async reserveSeqs(count) {
      return reserveSeqs((statement) => tx.execute(statement), count, Date.now());
    },

    async saveInsertedRuns(runs, changedAt, writer) {
      for (const { table, firstKey, lastKey, firstSeq } of runs) {
        const key = quoteIdentifier(table.key.name);
        await tx.execute({
          sql: `INSERT INTO sync_row (seq, table_name, row_key, version, scope, deleted, changed_at, writer, writer_from)
                SELECT ? + (${key} - ?), ?, ${key}, 1, '', 0, ?, ?, 1 FROM ${quoteIdentifier(table.name)}
                WHERE ${key} BETWEEN ? AND ?`,
          args: [firstSeq, firstKey, table.name, changedAt, writer, firstKey, lastKey],
        });
      }
    },

    async saveRowStates(entries, changedAt) {
      const rows = entries.map((entry) => [
        entry.table,
        entry.key,
        entry.version,
        entry.seq,
        entry.scope,
        entry.deleted ? 1 : 0,
        changedAt,
        entry.writer,
        entry.writerFrom,
      ]);
      const head =
        "INSERT OR REPLACE INTO sync_row (table_name, row_key, version, seq, scope, deleted, changed_at, writer, writer_from)";
      for (const statement of multiRowStatements(head, 9, rows)) await tx.execute(statement);
    },

    async saveScopeExits(exits, changedAt) {
      const rows = exits.map((exit) => [
        exit.table,
        exit.key,
        exit.scope,
        exit.seq,
        changedAt,
        exit.version,
      ]);
      const head =
        "INSERT OR REPLACE INTO sync_scope_exit (table_name, row_key, scope, seq, changed_at, version)";
      for (const statement of multiRowStatements(head, 6, rows)) await tx.execute(statement);
    },

    async saveWriterExits(clientId, exits, changedAt) {
      const rows = exits.map((exit) => [
        clientId,
        exit.table,
        exit.key,
        exit.seq,
        changedAt,
        exit.version,
      ]);
      const head =
        "INSERT OR REPLACE INTO sync_writer_exit (client_id, table_name, row_key, seq, changed_at, version)";
      for (const statement of multiRowStatements(head, 6, rows)) await tx.execute(statement);
    },
  };
}
