// drizzle-kit's PostgreSQL schema file for the server's bookkeeping: the tables follow from the
// SQLite ones (`tables.ts`, declared once), plus what only the PostgreSQL store needs.
import { bigint, pgTable, text } from "drizzle-orm/pg-core";
import { toPgTables } from "../../schema/to-pg-tables.ts";
import * as tables from "./tables.ts";

/**
 * The server's bookkeeping tables on PostgreSQL. The `row_key` columns are SQLite blobs with no
 * type affinity (an integer or a text key, stored as the table holds it); PostgreSQL has no such
 * column, so they hold the key as text.
 */
export const {
  syncBatch,
  syncBatchMark,
  syncKeyRun,
  syncRejectedKey,
  syncRejectedRow,
  syncRow,
  syncScopeExit,
  syncWriterExit,
  syncMeta,
  syncCommit,
  syncClient,
  syncRate,
} = toPgTables(tables, {
  columnTypes: {
    "sync_row.row_key": "text",
    "sync_scope_exit.row_key": "text",
    "sync_writer_exit.row_key": "text",
  },
});

/**
 * Per autonumbered table, the next server key to hand out. PostgreSQL only: several processes
 * share one database, so a process reserves a block of keys by moving `next_key` on in a
 * transaction (the row lock orders the processes) and hands them out itself; a key is never
 * handed out twice, whichever process asks.
 */
export const syncKeyBlock = pgTable("sync_key_block", {
  tableName: text("table_name").primaryKey(),
  nextKey: bigint("next_key", { mode: "number" }).notNull(),
});
