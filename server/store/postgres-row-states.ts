import { randomBytes } from "node:crypto";
import type postgres from "postgres";
import { multiRowStatements, quoteIdentifier } from "../../writer/index.ts";
import { dollarParams, type PgSql, rowsOf } from "./postgres-connection.ts";
import { keyAsText } from "./postgres-rows.ts";
import type { SqlValue, SyncStoreTransaction } from "./sync-store.ts";

/**
 * Hands out `count` consecutive change sequence numbers and marks the transaction in
 * `sync_commit`. The counter is one row of `sync_meta`, updated in the transaction: its row lock
 * is held until commit, so a second transaction that hands out numbers waits for the first to end
 * and numbers follow commit order. (A sequence's `nextval()` would not: a page could pass a
 * number whose transaction commits later.) A reader's snapshot thus holds every change up to the
 * counter it sees, and none above it.
 */
export async function reserveSeqs(sql: PgSql, count: number, now: number): Promise<number> {
  const [row] = await rowsOf(sql, {
    text: "UPDATE sync_meta SET value = (value::bigint + $1::bigint)::text WHERE name = 'seq' RETURNING value::bigint AS last",
    args: [count],
  });
  const last = Number(row?.last);
  if (!Number.isSafeInteger(last)) throw new Error("sync_meta holds no change sequence");
  await rowsOf(sql, {
    text: `INSERT INTO sync_commit (seq, id, committed_at) VALUES ($1, $2, $3)
      ON CONFLICT (seq) DO UPDATE SET id = excluded.id, committed_at = excluded.committed_at`,
    args: [last, randomBytes(9).toString("base64url"), now],
  });
  return last - count + 1;
}

/**
 * Rows keyed by the columns of a unique constraint, the last one kept: one multi-row upsert may
 * not touch a row twice on PostgreSQL (SQLite's `INSERT OR REPLACE` took the last).
 */
function lastByKey<T>(rows: readonly T[], keyOf: (row: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const row of rows) byKey.set(keyOf(row), row);
  return byKey.size === rows.length ? [...rows] : [...byKey.values()];
}

/** Multi-row upserts of `rows` under `head`, replacing the row of `conflict` by `update`. */
async function upsert(
  tx: postgres.TransactionSql,
  head: string,
  width: number,
  rows: ReadonlyArray<ReadonlyArray<SqlValue>>,
  conflict: string,
  update: readonly string[],
): Promise<void> {
  const tail = ` ON CONFLICT (${conflict}) DO UPDATE SET ${update.map((column) => `${column} = excluded.${column}`).join(", ")}`;
  await Promise.all(
    multiRowStatements(head, width, rows).map(({ sql, args }) =>
      rowsOf(tx, { text: dollarParams(sql) + tail, args }),
    ),
  );
}

/**
 * The methods of a PostgreSQL store transaction that write rows' sync states (`sync_row`,
 * `sync_scope_exit`, `sync_writer_exit`) and hand out change sequence numbers. Keys are stored as
 * text (`row_key`), whatever the table's key type.
 */
export function postgresRowStates(
  tx: postgres.TransactionSql,
): Pick<
  SyncStoreTransaction,
  "reserveSeqs" | "saveInsertedRuns" | "saveRowStates" | "saveScopeExits" | "saveWriterExits"
> {
  return {
    reserveSeqs: (count) => reserveSeqs(tx, count, Date.now()),

    async saveInsertedRuns(runs, changedAt, writer) {
      await Promise.all(
        runs.map(({ table, firstKey, lastKey, firstSeq }) => {
          const key = `t.${quoteIdentifier(table.key.name)}`;
          return rowsOf(tx, {
            text: `INSERT INTO sync_row (seq, table_name, row_key, version, scope, deleted, changed_at, writer, writer_from)
              SELECT $1::bigint + (${key} - $2::bigint), $3, ${keyAsText(table, "t")}, 1, '', 0, $4, $5, 1
              FROM ${quoteIdentifier(table.name)} t WHERE ${key} BETWEEN $2 AND $6`,
            args: [firstSeq, firstKey, table.name, changedAt, writer, lastKey],
          });
        }),
      );
    },

    async saveRowStates(entries, changedAt) {
      const rows = lastByKey(entries, (entry) => `${entry.table}\n${entry.key}`).map((entry) => [
        entry.table,
        String(entry.key),
        entry.version,
        entry.seq,
        entry.scope,
        entry.deleted ? 1 : 0,
        changedAt,
        entry.writer,
        entry.writerFrom,
      ]);
      await upsert(
        tx,
        "INSERT INTO sync_row (table_name, row_key, version, seq, scope, deleted, changed_at, writer, writer_from)",
        9,
        rows,
        "table_name, row_key",
        ["version", "seq", "scope", "deleted", "changed_at", "writer", "writer_from"],
      );
    },

    async saveScopeExits(exits, changedAt) {
      const rows = lastByKey(exits, (exit) => `${exit.table}\n${exit.key}\n${exit.scope}`).map(
        (exit) => [exit.table, String(exit.key), exit.scope, exit.seq, changedAt, exit.version],
      );
      await upsert(
        tx,
        "INSERT INTO sync_scope_exit (table_name, row_key, scope, seq, changed_at, version)",
        6,
        rows,
        "table_name, row_key, scope",
        ["seq", "changed_at", "version"],
      );
    },

    async saveWriterExits(clientId, exits, changedAt) {
      const rows = lastByKey(exits, (exit) => `${exit.table}\n${exit.key}`).map((exit) => [
        clientId,
        exit.table,
        String(exit.key),
        exit.seq,
        changedAt,
        exit.version,
      ]);
      await upsert(
        tx,
        "INSERT INTO sync_writer_exit (client_id, table_name, row_key, seq, changed_at, version)",
        6,
        rows,
        "client_id, table_name, row_key",
        ["seq", "changed_at", "version"],
      );
    },
  };
}
