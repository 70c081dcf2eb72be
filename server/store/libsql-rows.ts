import { multiRowInserts, quoteIdentifier, type WriteTransaction } from "../../writer/index.ts";
import { constraintsAsViolations } from "./constraint-error.ts";
import type { SyncStoreTransaction } from "./sync-store.ts";

/**
 * The methods of a libSQL store transaction that write the synced tables: server keys, multi-row
 * INSERTs, UPDATE, DELETE, and the look-up that names the reference at fault. Its state (the next
 * free key per table, the savepoint counter) lives as long as the transaction.
 */
export function libsqlRows(
  tx: WriteTransaction,
): Pick<SyncStoreTransaction, "reserveKeys" | "insertRows" | "updateRow" | "deleteRow" | "hasRow"> {
  const nextKeys = new Map<string, number>();
  let savepoints = 0;

  return {
    async reserveKeys(table, count) {
      let next = nextKeys.get(table.name);
      if (next === undefined) {
        // Above every key the table ever committed, deleted ones included (sqlite_sequence).
        const { rows } = await tx.execute({
          sql: `SELECT max(
                  coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0),
                  coalesce((SELECT max(${quoteIdentifier(table.key.name)}) FROM ${quoteIdentifier(table.name)}), 0)
                ) + 1 AS next`,
          args: [table.name],
        });
        next = Number(rows[0]?.next ?? 1);
      }
      nextKeys.set(table.name, next + count);
      return next;
    },

    async insertRows(groups) {
      const statements = groups.flatMap(({ table, rows }) => multiRowInserts(table, rows));
      const [only] = statements;
      if (!only) return;
      if (statements.length === 1) {
        // SQLite undoes a failed statement by itself, so one statement needs no savepoint.
        await constraintsAsViolations(() => tx.execute(only));
        return;
      }
      const name = `insert_rows_${++savepoints}`;
      await tx.execute(`SAVEPOINT ${name}`);
      try {
        for (const statement of statements) {
          await constraintsAsViolations(() => tx.execute(statement));
        }
        await tx.execute(`RELEASE ${name}`);
      } catch (error) {
        await tx.execute(`ROLLBACK TO ${name}`);
        await tx.execute(`RELEASE ${name}`);
        throw error;
      }
    },

    async updateRow(table, key, changes) {
      const assignments = changes.map(([column]) => `${quoteIdentifier(column)} = ?`).join(", ");
      const result = await constraintsAsViolations(() =>
        tx.execute({
          sql: `UPDATE ${quoteIdentifier(table.name)} SET ${assignments} WHERE ${quoteIdentifier(table.key.name)} = ?`,
          args: [...changes.map(([, value]) => value), key],
        }),
      );
      return result.rowsAffected > 0;
    },

    async deleteRow(table, key) {
      const result = await constraintsAsViolations(() =>
        tx.execute({
          sql: `DELETE FROM ${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(table.key.name)} = ?`,
          args: [key],
        }),
      );
      return result.rowsAffected > 0;
    },

    async hasRow(table, column, value) {
      const { rows } = await tx.execute({
        sql: `SELECT EXISTS (SELECT 1 FROM ${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(column.name)} = ?) AS found`,
        args: [value],
      });
      return Number(rows[0]?.found) === 1;
    },
  };
}
