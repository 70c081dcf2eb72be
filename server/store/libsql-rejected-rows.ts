import { rowIdentity, type WriteTransaction } from "../../writer/index.ts";
import type { RowRef, SyncStoreTransaction } from "./sync-store.ts";

/** Rows as JSON rows `[table, key]`, read by `json_each`. */
const rowsJson = (rows: readonly RowRef[]): string =>
  JSON.stringify(rows.map((row) => [row.table, row.key]));

/**
 * The methods of a libSQL store transaction for rows with device-made keys whose INSERT a client
 * failed (`sync_rejected_row`).
 */
export function libsqlRejectedRows(
  tx: WriteTransaction,
): Pick<SyncStoreTransaction, "findRejectedRows" | "saveRejectedRows"> {
  return {
    async findRejectedRows(clientId, rows) {
      if (rows.length === 0) return new Set<string>();
      const { rows: found } = await tx.execute({
        sql: `SELECT r.table_name, r.row_key FROM json_each(?) AS j CROSS JOIN sync_rejected_row r
              ON r.client_id = ? AND r.table_name = j.value ->> 0 AND r.row_key = j.value ->> 1`,
        args: [rowsJson(rows), clientId],
      });
      return new Set(found.map((row) => rowIdentity(String(row.table_name), String(row.row_key))));
    },

    async saveRejectedRows(clientId, rejected, inserted) {
      if (inserted.length > 0) {
        await tx.execute({
          sql: `DELETE FROM sync_rejected_row WHERE client_id = ? AND (table_name, row_key) IN
                (SELECT value ->> 0, value ->> 1 FROM json_each(?))`,
          args: [clientId, rowsJson(inserted)],
        });
      }
      if (rejected.length > 0) {
        await tx.execute({
          sql: `INSERT OR IGNORE INTO sync_rejected_row (client_id, table_name, row_key)
                SELECT ?, value ->> 0, value ->> 1 FROM json_each(?)`,
          args: [clientId, rowsJson(rejected)],
        });
      }
    },
  };
}
