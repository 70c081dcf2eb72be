import { LibsqlError } from "@libsql/core/api";
import { openFileConnection, type RawExecute } from "./file-connection.ts";
import { toLibsqlError } from "./libsql-error.ts";

/** Options of {@link openFileReader}. */
export interface FileReaderOptions {
  /** How long a read waits for a lock (a checkpoint, a recovery), in milliseconds. */
  readonly busyTimeoutMs: number;
  /** Prepared statements kept for reuse (the least recently used goes first). Default 64. */
  readonly cachedStatements?: number;
}

/** A connection to a local SQLite file for reads only, keeping its prepared statements. */
export interface FileReader {
  /**
   * Runs `work` in one read transaction, a consistent snapshot of the database, and returns what
   * it returns. `work` must be synchronous: the transaction ends when it returns, and since the
   * driver is synchronous, no other read or write of this process runs in between.
   */
  read<T>(work: (execute: RawExecute) => T): T;
  close(): Promise<void>;
}

/**
 * Opens a read connection to the SQLite file at `path` (`openFileConnection`: prepared statements
 * kept, rows as arrays, integers as bigints). It refuses writes (`PRAGMA query_only`). With the
 * file in WAL mode, its reads never wait for the writer's transactions.
 */
export function openFileReader(
  path: string,
  { busyTimeoutMs, cachedStatements = 64 }: FileReaderOptions,
): FileReader {
  const closed = () => new LibsqlError("The client is closed", "CLIENT_CLOSED");
  const connection = openFileConnection(path, {
    busyTimeoutMs,
    cachedStatements,
    errors: {
      fromDriver: toLibsqlError,
      closed,
      transactionClosed: () => new LibsqlError("The transaction is closed", "TRANSACTION_CLOSED"),
    },
  });
  const { execute } = connection;
  execute("PRAGMA query_only = 1", []);
  let open = true;
  return {
    read(work) {
      if (!open) throw closed();
      execute("BEGIN", []);
      let result: ReturnType<typeof work>;
      try {
        result = work(execute);
      } catch (error) {
        try {
          execute("ROLLBACK", []);
        } catch {
          // The work's error is the one to tell.
        }
        throw error;
      }
      execute("COMMIT", []);
      return result;
    },
    close() {
      open = false;
      return connection.close();
    },
  };
}
