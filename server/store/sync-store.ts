import type { ColumnInfo, TableInfo } from "../../schema/index.ts";

/** A value as it is stored in a column. */
export type SqlValue = string | number | null;

/**
 * A row to insert: one value per column of its table, in `TableInfo.columns` order (key first).
 * `undefined` leaves the column out of the INSERT, so the database applies the column's SQL
 * default (an expression such as `CURRENT_TIMESTAMP`); the key is never left out.
 */
export type Row = ReadonlyArray<SqlValue | undefined>;

/** The stored answer of a request, by `(clientId, batchId)`. */
export interface StoredBatch {
  /** Hash of the request's operations; a repeat with another hash is `BATCH_ID_REUSED`. */
  readonly requestHash: string;
  /** The answer as text, packed by the resolvers (see `stored-answer.ts`). */
  readonly answer: string;
}

/** A client's temporary key: mapped to a server key, or `null` when its INSERT was rejected. */
export interface TempKeyEntry {
  readonly table: string;
  readonly clientKey: number;
  readonly serverKey: number | null;
}

/** Rows for one table, in `TableInfo.columns` order. */
export interface RowGroup {
  readonly table: TableInfo;
  readonly rows: readonly Row[];
}

/** A row of a table whose keys the device makes. */
export interface RowRef {
  readonly table: string;
  readonly key: string;
}

/** Thrown by a store when a write breaks a constraint (not null, unique, foreign key). */
export class ConstraintViolation extends Error {
  override readonly name = "ConstraintViolation";
}

/**
 * What applying a batch needs from the database, inside one write transaction.
 * Invariant: a method that throws {@link ConstraintViolation} wrote nothing and leaves the
 * transaction usable; any other error aborts the whole transaction.
 */
export interface SyncStoreTransaction {
  findBatch(clientId: string, batchId: string): Promise<StoredBatch | undefined>;
  saveBatch(clientId: string, batchId: string, batch: StoredBatch): Promise<void>;
  /**
   * The known temporary keys of a client among `clientKeys`: the server key, or `null` when the
   * INSERT was rejected. A key missing from the answer was never sent by this client.
   */
  findTempKeys(
    clientId: string,
    table: string,
    clientKeys: readonly number[],
  ): Promise<ReadonlyMap<number, number | null>>;
  /**
   * Records the temporary keys mapped or rejected in this request. A key is mapped at most once
   * and stays mapped; mapping a key that was rejected before clears its rejection.
   */
  saveTempKeys(clientId: string, entries: readonly TempKeyEntry[]): Promise<void>;
  /**
   * Which of these rows (of tables with device-made keys) this client failed to insert and has not
   * inserted since, as row identities (`rowIdentity` of `writer/row-identity.ts`).
   */
  findRejectedRows(clientId: string, rows: readonly RowRef[]): Promise<ReadonlySet<string>>;
  /** Marks rows whose INSERT was rejected, and clears the marks of rows inserted after all. */
  saveRejectedRows(
    clientId: string,
    rejected: readonly RowRef[],
    inserted: readonly RowRef[],
  ): Promise<void>;
  /**
   * Reserves `count` consecutive server keys of an autonumbered table and returns the first.
   * A reserved key is larger than every key the table ever committed, so keys are never reused.
   */
  reserveKeys(table: TableInfo, count: number): Promise<number>;
  /** Inserts the rows of each group, group after group in the given order: all or none. */
  insertRows(groups: readonly RowGroup[]): Promise<void>;
  /** Updates the named columns of one row; `false` when no row has that key. */
  updateRow(
    table: TableInfo,
    key: SqlValue,
    changes: ReadonlyArray<readonly [column: string, value: SqlValue]>,
  ): Promise<boolean>;
  /** Deletes one row; `false` when no row has that key. */
  deleteRow(table: TableInfo, key: SqlValue): Promise<boolean>;
  /**
   * Whether a row of `table` holds `value` in `column`: which reference broke a foreign key, read
   * only after a write failed on one (the database does not say which).
   */
  hasRow(table: TableInfo, column: ColumnInfo, value: SqlValue): Promise<boolean>;
}

/**
 * The server's database, behind the one small interface a second store (PostgreSQL) implements.
 * Correctness across requests and processes rests on the database's transactions and constraints,
 * not on in-process state.
 */
export interface SyncStore {
  /**
   * Runs `work` in one write transaction: commits when it resolves, rolls back when it throws.
   * Concurrent calls never fail because another one holds the database.
   */
  writeTransaction<T>(work: (tx: SyncStoreTransaction) => Promise<T>): Promise<T>;
  /** The column names of `table` in the database; none when it has no such table. */
  tableColumns(table: string): Promise<readonly string[]>;
  /** Waits for running transactions, then closes the database. */
  close(): Promise<void>;
}
