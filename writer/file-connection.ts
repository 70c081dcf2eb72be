import { Mutex } from "async-mutex";
import Database from "libsql";

/** The errors a {@link FileConnection} makes itself; each user gives its own kind. */
export interface FileConnectionErrors {
  /** A driver error (a failed statement, BEGIN or COMMIT) as the user reports it. */
  fromDriver(error: unknown): unknown;
  /** A transaction asked for after `close()`. */
  closed(): Error;
  /** A statement or COMMIT after the transaction ended: its run settled, or SQLite rolled it back. */
  transactionClosed(): Error;
}

/** Options of {@link openFileConnection}. */
export interface FileConnectionOptions {
  /** How long a statement waits for another connection's lock, in milliseconds. */
  readonly busyTimeoutMs: number;
  /** Prepared statements kept for reuse (the least recently used goes first). Default 64. */
  readonly cachedStatements?: number;
  readonly errors: FileConnectionErrors;
}

/**
 * What one statement gave, as the driver gives it: rows as arrays in column order, integers as
 * bigints (never rounded), blobs as Buffers. Empty `columns` and `rows` for a statement that
 * returns no rows, whose `changes` counts the rows it changed.
 */
export interface RawResult {
  readonly columns: readonly string[];
  /** The declared type of each column ("" for an expression). */
  readonly types: readonly string[];
  readonly rows: unknown[][];
  readonly changes: number;
  readonly lastInsertRowid: bigint;
}

/** Runs one statement with values bound positionally (an array) or by name (an object). */
export type RawExecute = (sql: string, args: unknown[] | Record<string, unknown>) => RawResult;

/** Options of one transaction. */
export interface FileTransactionOptions {
  /**
   * False: foreign keys are not enforced while it runs, which is how SQLite changes a table's
   * shape (migrations). Default true.
   */
  readonly foreignKeys?: boolean;
}

/** One connection to a local SQLite file, with its prepared statements kept by SQL text. */
export interface FileConnection {
  /** Runs one statement outside any transaction of {@link transaction}: for reads and settings. */
  readonly execute: RawExecute;
  /**
   * Runs `work` in one write transaction (BEGIN IMMEDIATE, so another process's writer waits for
   * it, or this one for theirs, up to the busy timeout) and commits it, or rolls it back when
   * `work` throws. One at a time, in the order asked: libSQL's busy wait blocks the event loop,
   * so two transactions of one process must never race. The `execute` that `work` gets refuses
   * statements (`errors.transactionClosed`) once the run settled or SQLite rolled the transaction
   * back by itself (ON CONFLICT ROLLBACK, a full disk), so nothing runs outside it by accident.
   */
  transaction<T>(
    work: (execute: RawExecute) => Promise<T>,
    options?: FileTransactionOptions,
  ): Promise<T>;
  /** Resolves once every transaction asked for before this call has finished. */
  drain(): Promise<void>;
  /** Lets the transactions already asked for finish, refuses new ones, and closes the connection. */
  close(): Promise<void>;
}

type Statement = ReturnType<Database.Database["prepare"]>;

interface Prepared {
  readonly statement: Statement;
  readonly columns: string[];
  readonly types: string[];
  /** The most positional values a call ever gave it. */
  width: number;
}

/**
 * The statements of `db`, prepared once per SQL text and kept (the least recently used goes
 * first once there are more than `size`), with their result columns described.
 */
function preparedStatements(db: Database.Database, size: number) {
  const statements = new Map<string, Prepared>();
  return {
    prepare(sql: string): Prepared {
      let cached = statements.get(sql);
      if (cached) {
        // Most recently used last: the map's order is the eviction order.
        statements.delete(sql);
      } else {
        const statement = db.prepare(sql);
        if (statement.reader) statement.raw(true);
        statement.safeIntegers(true);
        const described = statement.reader ? statement.columns() : [];
        cached = {
          statement,
          columns: described.map((column) => column.name),
          types: described.map((column) => column.type ?? ""),
          width: 0,
        };
      }
      statements.set(sql, cached);
      if (statements.size > size) {
        const oldest = statements.keys().next().value;
        if (oldest !== undefined) statements.delete(oldest);
      }
      return cached;
    },
    clear: () => statements.clear(),
  };
}

/** Runs statements prepared by `prepare`, reporting the driver's errors as `errors` says. */
function executor(prepare: (sql: string) => Prepared, errors: FileConnectionErrors): RawExecute {
  return (sql, args) => {
    try {
      const cached = prepare(sql);
      const { statement } = cached;
      // A prepared statement keeps the positional values of its last call where a call gives
      // fewer; a statement prepared anew (as @libsql/client does) binds NULL there.
      if (Array.isArray(args)) {
        if (args.length > cached.width) cached.width = args.length;
        while (args.length < cached.width) args.push(null);
      }
      if (statement.reader) {
        const rows = statement.all(args) as unknown[][];
        const { columns, types } = cached;
        return { columns, types, rows, changes: 0, lastInsertRowid: 0n };
      }
      const info = statement.run(args);
      const lastInsertRowid = BigInt(info.lastInsertRowid);
      return { columns: [], types: [], rows: [], changes: info.changes, lastInsertRowid };
    } catch (error) {
      throw errors.fromDriver(error);
    }
  };
}

/**
 * Runs one write transaction on `db` (see {@link FileConnection.transaction}); the caller makes
 * sure that only one runs at a time.
 */
async function runTransaction<T>(
  db: Database.Database,
  execute: RawExecute,
  errors: FileConnectionErrors,
  work: (execute: RawExecute) => Promise<T>,
  { foreignKeys = true }: FileTransactionOptions = {},
): Promise<T> {
  // A transaction left open by a ROLLBACK that failed is ended before the next one begins.
  if (db.inTransaction) execute("ROLLBACK", []);
  if (!foreignKeys) execute("PRAGMA foreign_keys = OFF", []);
  try {
    execute("BEGIN IMMEDIATE", []);
    // Valid only until this run settles, and only while SQLite keeps the transaction open.
    let open = true;
    const guarded: RawExecute = (sql, args) => {
      if (!open || !db.inTransaction) {
        open = false;
        throw errors.transactionClosed();
      }
      return execute(sql, args);
    };
    try {
      const result = await work(guarded);
      if (!db.inTransaction) throw errors.transactionClosed();
      open = false;
      execute("COMMIT", []);
      return result;
    } catch (error) {
      open = false;
      if (db.inTransaction) {
        try {
          execute("ROLLBACK", []);
        } catch {
          // The work's error is the one to tell; the next run ends the transaction.
        }
      }
      throw error;
    }
  } finally {
    if (!foreignKeys) execute("PRAGMA foreign_keys = ON", []);
  }
}

/**
 * Opens a connection to the SQLite file at `path` through the `libsql` driver (what
 * @libsql/client uses underneath), which keeps its prepared statements: @libsql/client prepares
 * every statement anew, and compiling a multi-row INSERT costs more than running it.
 */
export function openFileConnection(
  path: string,
  { busyTimeoutMs, cachedStatements = 64, errors }: FileConnectionOptions,
): FileConnection {
  const db = new Database(path, { timeout: busyTimeoutMs });
  const statements = preparedStatements(db, cachedStatements);
  const execute = executor(statements.prepare, errors);
  try {
    // This libSQL keeps temporary data in memory by default (TEMP_STORE=2): a sort of a million
    // keys (a device's apply, a server's page of many scopes) would hold tens of MB of the
    // process's memory. On disk, a sort keeps a small cache and spills the rest.
    execute("PRAGMA temp_store = FILE", []);
  } catch (error) {
    db.close();
    throw error;
  }
  const mutex = new Mutex();
  let closing = false;
  return {
    execute,
    transaction: (work, options) =>
      closing
        ? Promise.reject(errors.closed())
        : mutex.runExclusive(() => runTransaction(db, execute, errors, work, options)),
    drain: () => mutex.runExclusive(() => undefined),
    async close() {
      closing = true;
      // Transactions asked for before the close finish first.
      await mutex.runExclusive(() => {
        statements.clear();
        if (db.open) db.close();
      });
    },
  };
}
