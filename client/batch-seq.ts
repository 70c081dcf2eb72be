import type { DeviceTransaction } from "./device-database.ts";

/**
 * Gives a new batch its `batchSeq`: one more than the last one this device gave, kept in
 * `sync_state` (`last_batch_seq`) and raised in the caller's transaction, the one that stores the
 * batch. So the number survives restarts, is never given twice, and only grows: the server prunes
 * stored answers by it, and refuses a batch at or below its pruned mark (BATCH_EXPIRED).
 */
export async function nextBatchSeq(tx: DeviceTransaction): Promise<number> {
  const { rows } = await tx.execute(
    `INSERT INTO sync_state (name, value) VALUES ('last_batch_seq', '1')
     ON CONFLICT (name) DO UPDATE SET value = CAST(value AS INTEGER) + 1
     RETURNING CAST(value AS INTEGER)`,
  );
  return Number(rows[0]?.[0]);
}
