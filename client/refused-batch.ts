import { batchEvents } from "./batch-members.ts";
import type { DeviceDatabase } from "./device-database.ts";
import type { Batch } from "./next-batch.ts";
import { rewriteWithKnownMappings } from "./rewrite-events.ts";

/** The first and last seq of a batch's events: where to find them by the outbox's key. */
const seqRange = (batch: Batch): [number, number] => [batch.seqs[0] ?? 0, batch.seqs.at(-1) ?? 0];

/**
 * Releases a batch the server refused whole (so nothing of it was applied): its events wait again,
 * to be cut smaller, with the keys mapped while they were in flight written in.
 */
export function dissolveBatch(database: DeviceDatabase, batch: Batch): Promise<void> {
  return database.transaction(async (tx) => {
    await tx.execute({ sql: "DELETE FROM sync_batch WHERE batch_id = ?", args: [batch.batchId] });
    await rewriteWithKnownMappings(tx, batch.seqs);
  });
}

/**
 * Marks the one event of a batch rejected by the device itself, with the server's whole-request
 * refusal (a single event larger than the server accepts), so it no longer blocks the outbox and
 * the app can fix or remove it.
 */
export function rejectBatch(
  database: DeviceDatabase,
  batch: Batch,
  code: string,
  message: string,
): Promise<void> {
  return database.transaction(async (tx) => {
    await tx.execute({
      sql: `UPDATE sync_outbox SET status = 'rejected', error_code = ?, error_message = ?
            WHERE ${batchEvents}`,
      args: [code, message, ...seqRange(batch)],
    });
    await tx.execute({ sql: "DELETE FROM sync_batch WHERE batch_id = ?", args: [batch.batchId] });
    await rewriteWithKnownMappings(tx, batch.seqs);
  });
}
