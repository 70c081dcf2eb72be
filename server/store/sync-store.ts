// The store's contract: the one interface a second store (PostgreSQL) implements, with the types
// it speaks in and the invariant of each method beside it. It runs past 250 lines because the
// contract is read, and implemented, as one whole.

import type { ColumnInfo, SyncModel, TableInfo } from "../../schema/index.ts";

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
  /** The request's `batchSeq` (the client's increasing number); pruning goes oldest first. */
  readonly batchSeq: number;
}

/** What {@link SyncStore.pruneBatches} keeps of each client's stored answers. */
export interface BatchRetention {
  /** Answers stored at or after this (Unix milliseconds) are kept. */
  readonly before: number;
  /** Each client's `keep` answers of highest `batchSeq` are kept, however old. */
  readonly keep: number;
  /** At most this many answers go in one call (bounded work per step). */
  readonly max: number;
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

/** A synced row's sync state (`sync_row`). */
export interface RowState {
  /** 1 at insert, one more per applied write (a delete included). */
  readonly version: number;
  /** The row's scope; `''` for a global table. */
  readonly scope: string;
  /** A tombstone: the row was deleted. */
  readonly deleted: boolean;
  /** The clientId of the latest applied write (`''`: the server side). */
  readonly writer: string;
  /** The first version of the writer's run of consecutive writes, up to `version`. */
  readonly writerFrom: number;
}

/** A row's sync state after a request, with the change sequence of its latest change. */
export interface RowStateEntry extends RowState {
  readonly table: string;
  /** As the table holds it: a number for an autonumbered table, else a text. */
  readonly key: string | number;
  readonly seq: number;
}

/**
 * Rows a request inserted into an autonumbered global table with the consecutive keys
 * `firstKey`..`lastKey`: each at version 1, its change sequence `firstSeq + (key - firstKey)`.
 */
export interface InsertedRun {
  readonly table: TableInfo;
  readonly firstKey: number;
  readonly lastKey: number;
  readonly firstSeq: number;
}

/** A row left `scope` at change sequence `seq`: readers of that scope receive it as a DELETE. */
export interface ScopeExit {
  readonly table: string;
  /** As the table holds it. */
  readonly key: string | number;
  readonly scope: string;
  readonly seq: number;
  /** The row's version when it left: its DELETE's (later writes in another scope stay unseen). */
  readonly version: number;
}

/** A row its writer may not read, and the change sequence of its DELETE to that writer. */
export interface WriterExit {
  readonly table: string;
  /** As the table holds it. */
  readonly key: string | number;
  readonly seq: number;
  /** The row's version as the writer left it: its DELETE's. */
  readonly version: number;
}

/** What binding a clientId to a subject found (see `SyncStoreTransaction.bindClient`). */
export type ClientBinding = "bound" | "taken" | "revoked" | "over-quota";

/** What a page of changes asks the store for. */
export interface ChangeQuery {
  readonly model: SyncModel;
  /** Changes with a change sequence above this. */
  readonly after: number;
  /** Tombstones and scope exits at or below this are left out (a snapshot's start); 0: none. */
  readonly floor: number;
  /** The read scopes (`''`, the global scope, is always read); undefined: every scope. */
  readonly scopes: ReadonlySet<string> | undefined;
  /** The reader: the rows it wrote outside its read scopes come to it as DELETEs. */
  readonly clientId: string;
  readonly limit: number;
}

/** One change as read: a row at its latest change, or its leaving one of the reader's scopes. */
export interface StoredChange {
  readonly table: string;
  readonly key: string;
  readonly seq: number;
  readonly version: number;
  /** The row's columns but the key, SQL names; null for a DELETE (deleted, or out of scope). */
  readonly data: Readonly<Record<string, SqlValue>> | null;
}

/** A page of changes and the store's facts as of the same read. */
export interface ChangePage {
  readonly changes: readonly StoredChange[];
  /** Changes above the page's last one exist (in the reader's scopes or not). */
  readonly hasMore: boolean;
  readonly facts: StoreFacts;
}

/** What the cursors of a store rest on (`sync_meta`). */
export interface StoreFacts {
  /** Made once per store: a replaced store has another. */
  readonly epoch: string;
  /** Signs cursors; the same for every process of a store. */
  readonly cursorSecret: string;
  /** The newest change sequence handed out. */
  readonly lastSeq: number;
  /** The newest change sequence of a pruned tombstone or scope exit (0: none pruned). */
  readonly prunedSeq: number;
  /**
   * The id of the newest commit mark (`""`: none): a store restored from a backup in place keeps
   * its epoch, and may reach the same `lastSeq` again, but not with the same marks.
   */
  readonly newestMark: string;
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
  /**
   * Binds `clientId` to `subject` at its first use, durably: `bound` (now or before), `taken` (by
   * another subject), `revoked` (its subject's, refused by an operator) or `over-quota` (the
   * subject holds `maxPerSubject` clientIds already; nothing bound).
   */
  bindClient(clientId: string, subject: string, maxPerSubject: number): Promise<ClientBinding>;
  /** Refuses a clientId from now on, to its own subject too; false when it was never bound. */
  revokeClient(clientId: string): Promise<boolean>;
  /**
   * Takes one request from the token bucket of `key` (`limit.requests` per `limit.perSeconds`, a
   * full bucket allowing that many at once), as of `now` (Unix milliseconds), atomically: 0 when
   * taken; otherwise the whole seconds (1 or more) until one is allowed, and nothing taken.
   */
  takeRateToken(
    key: string,
    limit: { readonly requests: number; readonly perSeconds: number },
    now: number,
  ): Promise<number>;
  findBatch(clientId: string, batchId: string): Promise<StoredBatch | undefined>;
  saveBatch(clientId: string, batchId: string, batch: StoredBatch): Promise<void>;
  /**
   * The highest `batchSeq` of this client whose stored answer was pruned (0: none): a batch at or
   * below it that has no stored answer is `BATCH_EXPIRED`.
   */
  prunedBatchSeq(clientId: string): Promise<number>;
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
  /** The sync states of these rows of `table` that have one, by key as text. */
  readRowStates(table: TableInfo, keys: readonly string[]): Promise<ReadonlyMap<string, RowState>>;
  /** The keys (as text) of the rows of `table` whose `column` holds `parentKey`. */
  childKeys(table: TableInfo, column: ColumnInfo, parentKey: SqlValue): Promise<string[]>;
  /** One column of one row; undefined when no row has the key. */
  readColumn(table: TableInfo, column: ColumnInfo, key: SqlValue): Promise<SqlValue | undefined>;
  /** A row's columns but the key, by SQL name; undefined when no row has the key. */
  readRow(table: TableInfo, key: SqlValue): Promise<Record<string, SqlValue> | undefined>;
  /**
   * Hands out `count` consecutive change sequence numbers and returns the first. They follow
   * commit order: the counter is written inside the transaction, and transactions are serial.
   */
  reserveSeqs(count: number): Promise<number>;
  /**
   * Writes the sync states of runs of inserted rows, from the rows themselves (a row of a run
   * deleted since has none). Written before `saveRowStates`, which may replace some of them.
   */
  saveInsertedRuns(runs: readonly InsertedRun[], changedAt: number, writer: string): Promise<void>;
  /** Writes rows' sync states (replacing the previous ones); `changedAt` in Unix milliseconds. */
  saveRowStates(entries: readonly RowStateEntry[], changedAt: number): Promise<void>;
  /** Records rows leaving scopes (replacing an earlier exit of the same row from the same scope). */
  saveScopeExits(exits: readonly ScopeExit[], changedAt: number): Promise<void>;
  /**
   * Records rows that `clientId` wrote into scopes it may not read (replacing an earlier entry of
   * the same row): they reach that client as DELETEs.
   */
  saveWriterExits(clientId: string, exits: readonly WriterExit[], changedAt: number): Promise<void>;
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
  /**
   * Gives every row of the model's tables that has no sync state one (version 1, a new change
   * sequence, its scope), parents before children; returns how many. Run at start, so rows
   * written before sync bookkeeping existed, or by other means, reach the devices.
   */
  adoptRows(model: SyncModel): Promise<number>;
  /**
   * What `bindClient(clientId, subject, …)` would find for a clientId bound before, read without
   * a write transaction (a bound clientId's reads need no write): `bound`, `taken` or `revoked`,
   * decided as `bindClient` decides; undefined when the clientId is not bound yet (its first use
   * binds it with `bindClient`). Reads committed state only, and writes nothing.
   */
  findClientBinding(
    clientId: string,
    subject: string,
  ): Promise<Exclude<ClientBinding, "over-quota"> | undefined>;
  /** The store's facts: its epoch, cursor secret, newest and pruned change sequence, newest mark. */
  facts(): Promise<StoreFacts>;
  /**
   * The id of the newest commit mark at or below change sequence `seq` (`""`: none): a cursor
   * carries it, and a store restored from a backup has other marks.
   */
  commitMark(seq: number): Promise<string>;
  /** A page of changes, with the store's facts, from one consistent read. */
  readChanges(query: ChangeQuery): Promise<ChangePage>;
  /**
   * Removes at most `max` tombstones, scope exits and commit marks (the newest kept) changed
   * before `before` (Unix milliseconds), oldest first, and raises the pruned mark; returns how
   * many went.
   */
  pruneTombstones(before: number, max: number): Promise<number>;
  /**
   * Removes stored answers that are neither among their client's `keep` most recent (by
   * `batchSeq`) nor stored at or after `before`, at most `max` of them, oldest `batchSeq` first,
   * and raises each such client's pruned mark (`prunedBatchSeq`) to the highest one removed, in the
   * same transaction; returns how many went.
   */
  pruneBatches(retention: BatchRetention): Promise<number>;
  /** The column names of `table` in the database; none when it has no such table. */
  tableColumns(table: string): Promise<readonly string[]>;
  /** Waits for running transactions, then closes the database. */
  close(): Promise<void>;
}
