import {
  blob,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

/** The stored answer of every request, by `(clientId, batchId)`: what a replay returns. */
export const syncBatch = sqliteTable(
  "sync_batch",
  {
    clientId: text("client_id").notNull(),
    batchId: text("batch_id").notNull(),
    /** SHA-256 of the request's operations as canonical JSON (key order ignored). */
    requestHash: text("request_hash").notNull(),
    /** The answer as JSON, without `replayed`. */
    answer: text("answer").notNull(),
    createdAt: text("created_at").notNull(),
    /**
     * The request's `batchSeq`: a number the client increases from batch to batch. Answers are
     * pruned oldest `batch_seq` first; 0 for answers stored before the number existed.
     */
    batchSeq: integer("batch_seq").notNull().default(0),
  },
  (table) => [
    primaryKey({ columns: [table.clientId, table.batchId] }),
    index("sync_batch_client_seq").on(table.clientId, table.batchSeq),
  ],
);

/**
 * Per client, the highest `batchSeq` whose stored answer was pruned: a batch at or below it can no
 * longer be recognised as a replay, so it is refused whole (`BATCH_EXPIRED`), never applied again.
 */
export const syncBatchMark = sqliteTable("sync_batch_mark", {
  clientId: text("client_id").primaryKey(),
  prunedSeq: integer("pruned_seq").notNull(),
});

/**
 * Each client's key mappings, as key runs (`writer/key-runs.ts`): the temporary keys from
 * `first_client` down to `last_client` (consecutive and negative) are the server keys from
 * `first_server` up. A batch's INSERTs into one table map consecutive temporary keys to
 * consecutive server keys, so one row usually holds a whole batch's worth. Runs of a client and
 * table never overlap; a mapped key stays mapped.
 */
export const syncKeyRun = sqliteTable(
  "sync_key_run",
  {
    clientId: text("client_id").notNull(),
    tableName: text("table_name").notNull(),
    firstClient: integer("first_client").notNull(),
    lastClient: integer("last_client").notNull(),
    firstServer: integer("first_server").notNull(),
  },
  (table) => [primaryKey({ columns: [table.clientId, table.tableName, table.firstClient] })],
);

/**
 * A client's temporary keys whose INSERT was rejected and never applied since: later references
 * get DEPENDENCY_REJECTED. The mark goes when an INSERT of the key succeeds.
 */
export const syncRejectedKey = sqliteTable(
  "sync_rejected_key",
  {
    clientId: text("client_id").notNull(),
    tableName: text("table_name").notNull(),
    clientKey: integer("client_key").notNull(),
  },
  (table) => [primaryKey({ columns: [table.clientId, table.tableName, table.clientKey] })],
);

/**
 * Rows of tables whose keys the device makes (UUIDs) that a client's INSERT failed to create:
 * a later UPDATE, DELETE or reference that fails on them is DEPENDENCY_REJECTED, not NOT_FOUND.
 * A later INSERT of the row that succeeds removes the mark.
 */
export const syncRejectedRow = sqliteTable(
  "sync_rejected_row",
  {
    clientId: text("client_id").notNull(),
    tableName: text("table_name").notNull(),
    rowKey: text("row_key").notNull(),
  },
  (table) => [primaryKey({ columns: [table.clientId, table.tableName, table.rowKey] })],
);

/**
 * The sync state of every synced row, apart from the app's own tables: its version (1 at insert,
 * one more per applied write), the change sequence of its latest change (commit order: it comes
 * from `sync_meta`'s counter inside the writing transaction), its scope (`''` for a global
 * table), and whether it was deleted (a tombstone, pruned after the retention period). The key is
 * stored as the table holds it.
 */
export const syncRow = sqliteTable(
  "sync_row",
  {
    // The change sequence is the rowid: a change appends at the end of the table, and a page
    // reads it in order without another index.
    seq: integer("seq").primaryKey(),
    tableName: text("table_name").notNull(),
    // No type affinity: a key is stored as the table holds it (an integer, or a text UUID), so
    // the keys of a run of inserts are consecutive integers in the index.
    rowKey: blob("row_key").notNull(),
    version: integer("version").notNull(),
    scope: text("scope").notNull(),
    deleted: integer("deleted").notNull(),
    /** Unix milliseconds of the latest change: when a tombstone may be pruned. */
    changedAt: integer("changed_at").notNull(),
    /** The clientId of the latest applied write; `''` for the server side (rows adopted). */
    writer: text("writer").notNull().default(""),
    /**
     * The version that began the writer's run of consecutive writes: every version from it up to
     * `version` is the writer's own, so its edits based on any of them conflict with no one.
     */
    writerFrom: integer("writer_from").notNull().default(0),
  },
  (table) => [uniqueIndex("sync_row_key").on(table.tableName, table.rowKey)],
);

/**
 * A row that left a scope (its scope column changed, or its parent moved): the devices reading
 * the old scope but not the new one receive it as a DELETE. One entry per row and scope it left,
 * at its latest exit; pruned like tombstones.
 */
export const syncScopeExit = sqliteTable(
  "sync_scope_exit",
  {
    tableName: text("table_name").notNull(),
    rowKey: blob("row_key").notNull(),
    scope: text("scope").notNull(),
    seq: integer("seq").notNull(),
    changedAt: integer("changed_at").notNull(),
    /** The row's version when it left: its DELETE's, telling nothing of later writes elsewhere. */
    version: integer("version").notNull().default(0),
  },
  (table) => [
    primaryKey({ columns: [table.tableName, table.rowKey, table.scope] }),
    uniqueIndex("sync_scope_exit_seq").on(table.seq),
  ],
);

/**
 * The rows a client wrote into scopes it may not read, by client: the row reaches that client as a
 * DELETE (`seq` orders it among the changes), so a device never keeps a row it cannot receive.
 * Pruned with the tombstones; an entry whose row is readable again by then is left out of pages.
 */
export const syncWriterExit = sqliteTable(
  "sync_writer_exit",
  {
    clientId: text("client_id").notNull(),
    tableName: text("table_name").notNull(),
    rowKey: blob("row_key").notNull(),
    seq: integer("seq").notNull(),
    changedAt: integer("changed_at").notNull(),
    /** The row's version when the client wrote it there: its DELETE's. */
    version: integer("version").notNull().default(0),
  },
  (table) => [
    primaryKey({ columns: [table.clientId, table.tableName, table.rowKey] }),
    uniqueIndex("sync_writer_exit_seq").on(table.seq),
  ],
);

/**
 * The store's own facts, by name: `epoch` (made once per store: a replaced store has another),
 * `cursor_secret` (signs cursors, shared by every server process), `seq` (the last change
 * sequence number handed out), `pruned_seq` (the newest change sequence of a pruned tombstone or
 * scope exit: an older cursor may have missed it).
 */
export const syncMeta = sqliteTable("sync_meta", {
  name: text("name").primaryKey(),
  value: text("value").notNull(),
});

/**
 * One mark per write transaction that handed out change sequence numbers: its last number and a
 * random id. A cursor carries the id of the newest mark at or below its position: a store restored
 * from a backup and written since has other marks there, which is how a reset (STORE_CHANGED)
 * finds it. Pruned with the tombstones.
 */
export const syncCommit = sqliteTable("sync_commit", {
  seq: integer("seq").primaryKey(),
  id: text("id").notNull(),
  committedAt: integer("committed_at").notNull(),
});

/**
 * Which subject (a verified token's `sub`) each clientId belongs to: bound durably at its first
 * authenticated request; another subject using it is refused. `revoked` refuses its own subject
 * too (an operator's act).
 */
export const syncClient = sqliteTable(
  "sync_client",
  {
    clientId: text("client_id").primaryKey(),
    subject: text("subject").notNull(),
    boundAt: integer("bound_at").notNull(),
    revoked: integer("revoked").notNull().default(0),
  },
  (table) => [index("sync_client_subject").on(table.subject)],
);

/**
 * The request rates of clientIds and subjects (`server/rate-limits.ts`), shared by every server
 * process: a token bucket kept as one time per key (GCRA). `ready_at`, in Unix microseconds (whole
 * numbers, so that sums of intervals are exact), is when the key's bucket is full again. A request
 * moves it one interval later (from now at the earliest), and is allowed while it stays within one
 * window of now. A row whose `ready_at` has passed means a full bucket, the same as no row: such
 * rows are pruned as requests come.
 */
export const syncRate = sqliteTable(
  "sync_rate",
  {
    /** `client:<clientId>` or `subject:<sub>`. */
    key: text("key").primaryKey(),
    readyAt: integer("ready_at").notNull(),
  },
  (table) => [index("sync_rate_ready_at").on(table.readyAt)],
);
