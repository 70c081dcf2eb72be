import type { Client, Transaction } from "@libsql/client";
import type { Mutex } from "async-mutex";

/**
 * Runs `work` in one write transaction of a libSQL database (server or device) and commits it, or
 * rolls it back when `work` throws. Writes queue behind one mutex because libSQL's busy wait
 * blocks the event loop: two writers in one process must never race.
 */
export function runWrite<T>(
  client: Client,
  writes: Mutex,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return writes.runExclusive(async () => {
    const tx = await client.transaction("write");
    try {
      const result = await work(tx);
      await tx.commit();
      return result;
    } catch (error) {
      if (!tx.closed) await tx.rollback().catch(() => undefined);
      throw error;
    } finally {
      tx.close();
    }
  });
}
