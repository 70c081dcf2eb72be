import type { Client, Transaction } from "@libsql/client";
import { Mutex } from "async-mutex";

/** What work inside a write transaction may do: run statements. */
export type WriteTransaction = Pick<Transaction, "execute">;

/** Runs write transactions on one libSQL database, one at a time. */
export interface Writer {
  /**
   * Runs `work` in one write transaction (BEGIN IMMEDIATE) and commits it, or rolls it back when
   * `work` throws. Writes queue behind one mutex because libSQL's busy wait blocks the event
   * loop: two writers in one process must never race.
   */
  run<T>(work: (tx: WriteTransaction) => Promise<T>): Promise<T>;
  /** Resolves once every transaction queued before this call has finished. */
  drain(): Promise<void>;
}

/**
 * The writer of a database opened with @libsql/client (its transactions borrow a pooled
 * connection): the one for remote libSQL URLs. Local files go through `createFileWriter`: on a
 * file, a BEGIN that @libsql/client gets refused with SQLITE_BUSY leaves its connection with a
 * statement in progress, and every later COMMIT on that connection fails.
 */
export function createWriter(database: Client): Writer {
  const mutex = new Mutex();
  return {
    run: (work) =>
      mutex.runExclusive(async () => {
        const tx = await database.transaction("write");
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
      }),
    drain: () => mutex.runExclusive(() => undefined),
  };
}
