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
