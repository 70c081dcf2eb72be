import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The outbox: pending and rejected events and checkpoints, in `seq` order. */
export const syncOutbox = sqliteTable(
  "sync_outbox",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    /** insert | update | delete | checkpoint */
    kind: text("kind").notNull(),
    tableName: text("table_name"),
    /** The row's key as text (a temporary key is negative). */
    rowKey: text("row_key"),
    /**
     * The event as the wire carries it: a `SyncOperationInput` with its keys in sorted order, whose
     * `data` maps SQL column names to values (INSERT: all but the key; UPDATE: the changes; DELETE:
     * null). Null for a checkpoint. A batch's body is these texts joined, so sending builds no JSON
     * per event; a key mapping rewrites `key` and `row_key` together.
     */
    operation: text("operation"),
    /** pending | rejected */
    status: text("status").notNull().default("pending"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    /**
     * A rejected event's conflict as the answer gave it (JSON: serverVersion, serverRow, columns,
     * resolution): another writer changed the row since the event's base. Null otherwise.
     */
    conflict: text("conflict"),
    createdAt: text("created_at").notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
  },
  (table) => [
    // Only rejected events are indexed by status: the pending ones are nearly the whole outbox,
    // found in seq order by its key, and an index of them cost every capture and every applied
    // event a write more.
    index("sync_outbox_rejected").on(table.seq).where(sql`status = 'rejected'`),
    // Finds the checkpoint that ends a segment without walking the events before it.
    index("sync_outbox_checkpoint").on(table.seq).where(sql`kind = 'checkpoint'`),
  ],
);

/**
 * The temporary keys an event refers to (its own key, or a foreign key in its data): the index
 * that lets a key mapping find the waiting events to rewrite without scanning the outbox.
 */
export const syncOutboxRef = sqliteTable(
  "sync_outbox_ref",
  {
    /**
     * The event. Whoever deletes an event deletes its references first: a foreign key with a
     * cascade would cost an index probe for every deleted event, also the many without any.
     */
    seq: integer("seq").notNull(),
    /** The column holding the key, or NULL for the event's own key. */
    columnName: text("column_name"),
    refTable: text("ref_table").notNull(),
    refKey: integer("ref_key").notNull(),
  },
  (table) => [
    index("sync_outbox_ref_target").on(table.refTable, table.refKey),
    index("sync_outbox_ref_seq").on(table.seq),
  ],
);

/**
 * A batch of the outbox being sent: its batch id survives restarts, so a resend is a replay. Its
 * events are the pending ones in `first_seq`–`last_seq` (no other batch's range overlaps it, and
 * none holds a rejected event when formed), so forming a batch writes one row, not one per event.
 */
export const syncBatch = sqliteTable("sync_batch", {
  batchId: text("batch_id").primaryKey(),
  firstSeq: integer("first_seq").notNull(),
  lastSeq: integer("last_seq").notNull(),
  /** The checkpoint that closes this batch's segment, removed with the answer. */
  checkpointSeq: integer("checkpoint_seq"),
  /**
   * Formation order: one more than any open batch's when formed. Open batches are resent in this
   * order, which is the order they were posted in (by seq they may come the other way round).
   */
  formed: integer("formed").notNull(),
  /**
   * The batch's `batchSeq` on the wire: one more than the last one this device gave (the
   * `last_batch_seq` of `sync_state`), fixed with the batch id, so a resend carries both unchanged.
   * The server prunes stored answers by it; 0 only between the migration and its own update.
   */
  batchSeq: integer("batch_seq").notNull().default(0),
});

/** Durable temporary-key counters: a temporary key is never reused by this device. */
export const syncTempKey = sqliteTable("sync_temp_key", {
  tableName: text("table_name").primaryKey(),
  last: integer("last").notNull(),
});

/**
 * Every key mapping this device applied, so that a write naming a row by the temporary key the
 * app still holds reaches the row under its server key, as key runs (`writer/key-runs.ts`, read by
 * `findKeyRuns`): the temporary keys from
 * `first_client` down to `last_client` (consecutive and negative) map to the server keys from
 * `first_server` up. An answer maps a batch's consecutive inserts into one table to consecutive
 * server keys, so one row usually holds a whole batch's worth. Runs of a table never overlap.
 */
export const syncMappedRun = sqliteTable(
  "sync_mapped_run",
  {
    tableName: text("table_name").notNull(),
    firstClient: integer("first_client").notNull(),
    lastClient: integer("last_client").notNull(),
    firstServer: integer("first_server").notNull(),
  },
  (table) => [primaryKey({ columns: [table.tableName, table.firstClient] })],
);

/**
 * Small facts of this device database: `client_id`; `last_batch_seq` (the highest `batchSeq`
 * given to a batch, never lowered: a new batch continues above it after any restart); and of receiving: `receive_cursor` (the cursor
 * of the last run applied; none: from the start), `receive_staged_cursor` (of the last page staged,
 * while a run is staged and not yet applied) and `receive_staged_reset` (the reset reason of the run
 * staged, when the server forced a snapshot).
 */
export const syncState = sqliteTable("sync_state", {
  name: text("name").primaryKey(),
  value: text("value").notNull(),
});

/**
 * The server version of each synced row the device knows (`OperationResult.version` of its own
 * applied writes, `RowChange.version` of the changes it applied), by table and key (as text, a
 * server key or a device-made one). A received change whose version is not above the known one
 * changes nothing: it is the device's own write coming back, or older than a write it made since.
 * A row's entry goes with the row (a received DELETE, a reset); a reset clears them all.
 *
 * A negative version is one the device forgot: a rejected UPDATE or DELETE left the row holding
 * values the server refused, so the next receive must take the server's row at any version (no
 * received version is at or below a negative one), and no answer records a version over it that
 * does not follow 0. Until then, an edit of the row still goes on its absolute value as base, so
 * the server checks it for conflicts (whether or not the app removed the rejected event).
 */
export const syncRowVersion = sqliteTable(
  "sync_row_version",
  {
    tableName: text("table_name").notNull(),
    rowKey: text("row_key").notNull(),
    version: integer("version").notNull(),
  },
  (table) => [primaryKey({ columns: [table.tableName, table.rowKey] })],
);

/**
 * Received changes waiting to be applied: the pages of a run are staged here (with the cursor of
 * the last page, in `sync_state`) and applied together, in one transaction, when a page says
 * `hasMore: false`. One entry per row (a later change of a row replaces its entry). `held`: a
 * change the last apply could not make without breaking a reference (a row whose parent the device
 * lacks, a deleted row that local rows still refer to); it is tried again at every apply.
 */
export const syncReceiveStage = sqliteTable(
  "sync_receive_stage",
  {
    tableName: text("table_name").notNull(),
    rowKey: text("row_key").notNull(),
    /** upsert | delete */
    kind: text("kind").notNull(),
    version: integer("version").notNull(),
    /** UPSERT: the row's columns but the key, as JSON (SQL column names); DELETE: null. */
    data: text("data"),
    held: integer("held").notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.tableName, table.rowKey] })],
);

/**
 * Received pages waiting to be applied, one entry per page in the order staged (`seq`): a page is
 * staged as one entry, its cursor in `sync_state`, in one local transaction. `changes` is the JSON
 * of the page's changes (see `client/staged-page.ts`). An apply either writes a run's pages
 * straight into the tables (a snapshot into an empty device) or unpacks them into
 * `sync_receive_stage`, one entry per row, and empties this table in the same transaction.
 */
export const syncReceivePage = sqliteTable("sync_receive_page", {
  seq: integer("seq").primaryKey(),
  changes: text("changes").notNull(),
});
