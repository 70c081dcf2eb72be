import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

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
  },
  (table) => [primaryKey({ columns: [table.clientId, table.batchId] })],
);

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
