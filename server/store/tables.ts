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
 * Each client's temporary keys: the server key it was mapped to, or NULL when its INSERT was
 * rejected (later references get DEPENDENCY_REJECTED until an INSERT of it succeeds).
 */
export const syncKey = sqliteTable(
  "sync_key",
  {
    clientId: text("client_id").notNull(),
    tableName: text("table_name").notNull(),
    clientKey: integer("client_key").notNull(),
    serverKey: integer("server_key"),
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
