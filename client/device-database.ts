/**
 * The device database: the one door through which the client reaches the device's SQLite
 * database. Capture, send, the applying of answers and event management use only this interface,
 * so that each platform brings its own implementation: `openNodeDeviceDatabase` (a libSQL file
 * through the `libsql` driver) today, SQLite compiled to WebAssembly in a Worker in a web page
 * later. Nothing else in the client imports a database driver.
 *
 * The contract, which every implementation keeps and `device-database.test.ts` checks:
 *
 * - **Opening** is each implementation's own function (its options differ: a file path, a name
 *   in the origin's storage). It resolves once statements can run: the database created if
 *   missing, foreign keys enforced, its journal set for one writer and concurrent readers (WAL).
 *   The schema is not its business: the client migrates through {@link DeviceDatabase.transaction}.
 * - **Asynchronous everywhere**: every call may be a message to a Worker and back, so callers
 *   keep round trips few (one {@link DeviceTransaction.batch} for statements that need no result
 *   in between; one multi-row statement for many rows) and build SQL texts that repeat, with
 *   values as parameters: implementations keep prepared statements, found by SQL text.
 * - **Write transactions run one at a time**, in the order asked, and nothing else runs on the
 *   writing connection between one's BEGIN and its COMMIT. A transaction takes the database's
 *   write lock when it begins (BEGIN IMMEDIATE), waiting for another process's writer up to the
 *   implementation's busy timeout. It commits when its work resolves and rolls back when its work
 *   throws, and the error is the work's. Once it has settled, or once SQLite ended it by itself (ON
 *   CONFLICT ROLLBACK, a full disk), its statements fail with `TRANSACTION_CLOSED`, and so does its
 *   commit: nothing ever runs outside the transaction it was written for.
 * - **Reads** ({@link DeviceDatabase.read}) see committed data only, never the writes of a
 *   transaction under way, and never write (they fail with `SQLITE_READONLY`). An implementation
 *   may run them beside a write transaction (a second connection) or after it.
 * - **Values** are {@link SqlValue}s both ways. An integer comes back as a number; one outside
 *   ±(2^53 − 1) fails its statement with a `RangeError` rather than coming back rounded. A
 *   parameter that is not finite (NaN, Infinity) fails with a `RangeError`.
 * - **Rows** are arrays of values in the order of the statement's result columns.
 * - **Errors** of the database are {@link DeviceDatabaseError}s whose `code` is SQLite's extended
 *   result code (`SQLITE_CONSTRAINT_FOREIGNKEY`, `SQLITE_BUSY`, …) and whose message is SQLite's,
 *   or `TRANSACTION_CLOSED`, or `DATABASE_CLOSED` for a call after {@link DeviceDatabase.close}.
 */

/** A value as SQLite stores it: NULL, an integer or a real, a text, a blob. */
export type SqlValue = null | number | string | Uint8Array;

/** One SQL statement and its positional parameters (`?`, `?NNN`). */
export interface SqlStatement {
  readonly sql: string;
  readonly args?: readonly SqlValue[];
}

/** A row: its values in the order of the statement's result columns. */
export type SqlRow = readonly SqlValue[];

/** What a statement gave. */
export interface SqlResult {
  /** The names of the result columns; empty for a statement that returns no rows. */
  readonly columns: readonly string[];
  readonly rows: readonly SqlRow[];
  /**
   * How many rows an INSERT, UPDATE or DELETE changed; 0 for a statement that returns rows (the
   * rows of a RETURNING clause tell it).
   */
  readonly rowsAffected: number;
}

/** The statements of one write transaction. Valid only until the transaction settles. */
export interface DeviceTransaction {
  /** Runs one statement in the transaction. */
  execute(statement: SqlStatement | string): Promise<SqlResult>;
  /**
   * Runs statements in order in the transaction, as one call: their results in order. The first
   * that fails stops the rest and rejects the call; what the ones before it wrote stays in the
   * transaction, which the work's error then rolls back as usual.
   */
  batch(statements: ReadonlyArray<SqlStatement | string>): Promise<SqlResult[]>;
}

/** Options of one write transaction. */
export interface DeviceTransactionOptions {
  /**
   * False: foreign keys are not enforced while it runs, which is how SQLite changes the shape of a
   * table (migrations, and nothing else). Default true.
   */
  readonly foreignKeys?: boolean;
}

/** The device's SQLite database, open. See the contract above. */
export interface DeviceDatabase {
  /** Runs `work` in one write transaction; its result once committed. */
  transaction<T>(
    work: (tx: DeviceTransaction) => Promise<T>,
    options?: DeviceTransactionOptions,
  ): Promise<T>;
  /** Runs one statement that only reads, on committed data. */
  read(statement: SqlStatement | string): Promise<SqlResult>;
  /** Lets the transactions already asked for finish, then closes; later calls fail. */
  close(): Promise<void>;
}

/** A failure of the device database: SQLite's, or a call after the end of its transaction or database. */
export class DeviceDatabaseError extends Error {
  override readonly name = "DeviceDatabaseError";
  /** SQLite's extended result code name, `TRANSACTION_CLOSED` or `DATABASE_CLOSED`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
