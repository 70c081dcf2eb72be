import type { WriteTransaction } from "../../writer/index.ts";
import type { SyncStoreTransaction } from "./sync-store.ts";

/**
 * The methods of a libSQL store transaction that keep stored answers (`sync_batch`) and read the
 * client's pruned mark (`sync_batch_mark`, raised by `pruneBatches`).
 */
export function libsqlBatches(
  tx: WriteTransaction,
): Pick<SyncStoreTransaction, "findBatch" | "saveBatch" | "prunedBatchSeq"> {
  return {
    async findBatch(clientId, batchId) {
      const { rows } = await tx.execute({
        sql: "SELECT request_hash, answer, batch_seq FROM sync_batch WHERE client_id = ? AND batch_id = ?",
        args: [clientId, batchId],
      });
      const [row] = rows;
      if (!row) return undefined;
      return {
        requestHash: String(row.request_hash),
        answer: String(row.answer),
        batchSeq: Number(row.batch_seq),
      };
    },

    async saveBatch(clientId, batchId, batch) {
      await tx.execute({
        sql: "INSERT INTO sync_batch (client_id, batch_id, request_hash, answer, created_at, batch_seq) VALUES (?, ?, ?, ?, ?, ?)",
        args: [
          clientId,
          batchId,
          batch.requestHash,
          batch.answer,
          new Date().toISOString(),
          batch.batchSeq,
        ],
      });
    },

    async prunedBatchSeq(clientId) {
      const { rows } = await tx.execute({
        sql: "SELECT pruned_seq FROM sync_batch_mark WHERE client_id = ?",
        args: [clientId],
      });
      return Number(rows[0]?.pruned_seq ?? 0);
    },
  };
}
