import type { WriteTransaction } from "../../writer/index.ts";
import { libsqlClients } from "./libsql-clients.ts";
import { libsqlRateLimits } from "./libsql-rate-limits.ts";
import { libsqlRejectedRows } from "./libsql-rejected-rows.ts";
import { libsqlRowStates } from "./libsql-row-states.ts";
import { libsqlRows } from "./libsql-rows.ts";
import { libsqlTempKeys } from "./libsql-temp-keys.ts";
import type { SyncStoreTransaction } from "./sync-store.ts";

/**
 * The {@link SyncStoreTransaction} of one libSQL write transaction, assembled from its parts by
 * role. A plain object whose methods are its own properties, so a wrapper may copy it with `...`.
 */
export function libsqlTransaction(tx: WriteTransaction): SyncStoreTransaction {
  return {
    async findBatch(clientId, batchId) {
      const { rows } = await tx.execute({
        sql: "SELECT request_hash, answer FROM sync_batch WHERE client_id = ? AND batch_id = ?",
        args: [clientId, batchId],
      });
      const [row] = rows;
      if (!row) return undefined;
      return { requestHash: String(row.request_hash), answer: String(row.answer) };
    },

    async saveBatch(clientId, batchId, batch) {
      await tx.execute({
        sql: "INSERT INTO sync_batch (client_id, batch_id, request_hash, answer, created_at) VALUES (?, ?, ?, ?, ?)",
        args: [clientId, batchId, batch.requestHash, batch.answer, new Date().toISOString()],
      });
    },

    ...libsqlClients(tx),
    ...libsqlRateLimits(tx),
    ...libsqlTempKeys(tx),
    ...libsqlRejectedRows(tx),
    ...libsqlRows(tx),
    ...libsqlRowStates(tx),
  };
}
