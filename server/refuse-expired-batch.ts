import { createGraphQLError } from "graphql-yoga";
import type { SyncStoreTransaction } from "./store/sync-store.ts";

/**
 * Refuses whole, with `BATCH_EXPIRED`, a batch that has no stored answer and whose `batchSeq` is at
 * or below the client's pruned mark: it may be one the server applied and whose answer it pruned,
 * so it cannot be applied (it could be applied twice) nor replayed. Runs after the stored-answer
 * lookup, in the request's transaction, so that a kept answer still replays whatever its number.
 */
export async function refuseIfExpired(
  tx: SyncStoreTransaction,
  clientId: string,
  batchId: string,
  batchSeq: number,
): Promise<void> {
  const pruned = await tx.prunedBatchSeq(clientId);
  if (batchSeq > pruned) return;
  throw createGraphQLError(
    `Batch ${batchId} of client ${clientId} has batchSeq ${batchSeq}, at or below ${pruned}, the highest whose stored answer this server pruned, and no answer is stored for it: it may have been applied already, so nothing of it was applied. The device cannot send it again: its events must be resolved by the app (see BATCH_EXPIRED in the client's docs), and new batches need a batchSeq above ${pruned}.`,
    { extensions: { code: "BATCH_EXPIRED", prunedBatchSeq: pruned } },
  );
}
