import { randomBytes, randomUUID } from "node:crypto";
import type postgres from "postgres";
import type { SyncModel, TableInfo } from "../../schema/index.ts";
import { quoteIdentifier } from "../../writer/index.ts";
import { countOf, jsonParam, type PgSql, rowsOf, valuesOf } from "./postgres-connection.ts";
import { reserveSeqs } from "./postgres-row-states.ts";
import { keyAsText } from "./postgres-rows.ts";
import type { BatchRetention, StoreFacts } from "./sync-store.ts";

/** Creates the store's facts once (a new epoch and cursor secret per store). */
export async function initStoreFacts(sql: PgSql): Promise<void> {
  await rowsOf(sql, {
    text: `INSERT INTO sync_meta (name, value) VALUES ('epoch', $1), ('cursor_secret', $2), ('seq', '0'), ('pruned_seq', '0')
      ON CONFLICT (name) DO NOTHING`,
    args: [randomUUID(), randomBytes(32).toString("base64url")],
  });
}

/** The store's facts (`sync_meta`). */
export async function factsOf(sql: PgSql): Promise<StoreFacts> {
  const rows = await valuesOf(sql, {
    text: `SELECT name, value FROM sync_meta
      UNION ALL SELECT 'newest_mark', id FROM sync_commit WHERE seq = (SELECT max(seq) FROM sync_commit)`,
  });
  const facts = new Map(rows.map(([name, value]) => [String(name), String(value)]));
  const epoch = facts.get("epoch");
  const cursorSecret = facts.get("cursor_secret");
  if (epoch === undefined || cursorSecret === undefined) throw new Error("sync_meta is empty");
  return {
    epoch,
    cursorSecret,
    lastSeq: Number(facts.get("seq") ?? 0),
    prunedSeq: Number(facts.get("pruned_seq") ?? 0),
    newestMark: facts.get("newest_mark") ?? "",
  };
}

/** The id of the newest commit mark at or below `seq`; `""` when there is none. */
export async function commitMarkOf(sql: PgSql, seq: number): Promise<string> {
  const [row] = await valuesOf(sql, {
    text: "SELECT id FROM sync_commit WHERE seq <= $1 ORDER BY seq DESC LIMIT 1",
    args: [seq],
  });
  return row === undefined ? "" : String(row[0]);
}

/** Locks of upkeep work that one process at a time does (values of `pg_advisory_xact_lock`). */
const upkeepLocks = { adopt: 7_301, prune: 7_302, batches: 7_303 } as const;

/**
 * Takes an upkeep lock for the transaction: `wait` waits for it, otherwise false when another
 * process holds it (that process does the work).
 */
async function upkeepLock(
  tx: postgres.TransactionSql,
  lock: keyof typeof upkeepLocks,
  wait: boolean,
): Promise<boolean> {
  const [row] = await valuesOf(tx, {
    text: wait
      ? "SELECT pg_advisory_xact_lock($1), true"
      : "SELECT 0, pg_try_advisory_xact_lock($1)",
    args: [upkeepLocks[lock]],
  });
  return row?.[1] === true;
}

/** SQL that gives a row of `table` (alias `t`) its scope, as `adoptRows` needs it. */
function scopeSql(table: TableInfo): string {
  const { scope } = table;
  if (scope.kind === "global") return "''";
  if (scope.kind === "column") return `coalesce(t.${quoteIdentifier(scope.column.name)}::text, '')`;
  const parent = `'${scope.parent.replaceAll("'", "''")}'`;
  return `coalesce((SELECT p.scope FROM sync_row p WHERE p.table_name = ${parent} AND p.row_key = t.${quoteIdentifier(scope.column.name)}::text), '')`;
}

/** Gives the rows without a sync state one, parents first (see `SyncStore.adoptRows`). */
export async function adoptRows(
  tx: postgres.TransactionSql,
  model: SyncModel,
  now: number,
): Promise<number> {
  await upkeepLock(tx, "adopt", true);
  let adopted = 0;
  for (const table of model.ordered) {
    const name = `'${table.name.replaceAll("'", "''")}'`;
    const missing = `FROM ${quoteIdentifier(table.name)} t WHERE NOT EXISTS (SELECT 1 FROM sync_row r WHERE r.table_name = ${name} AND r.row_key = ${keyAsText(table, "t")})`;
    const [counted] = await valuesOf(tx, { text: `SELECT count(*) ${missing}` });
    const count = Number(counted?.[0] ?? 0);
    if (count === 0) continue;
    const first = (await reserveSeqs(tx, count, now)) - 1;
    await rowsOf(tx, {
      text: `INSERT INTO sync_row (table_name, row_key, version, seq, scope, deleted, changed_at)
        SELECT ${name}, ${keyAsText(table, "t")}, 1, $1::bigint + row_number() OVER (ORDER BY t.${quoteIdentifier(table.key.name)}), ${scopeSql(table)}, 0, $2 ${missing}`,
      args: [first, now],
    });
    adopted += count;
  }
  return adopted;
}

/** Prunes old tombstones, scope exits, writer exits and commit marks in one bounded step. */
export async function pruneTombstones(
  tx: postgres.TransactionSql,
  before: number,
  max: number,
): Promise<number> {
  if (!(await upkeepLock(tx, "prune", false))) return 0;
  let pruned = 0;
  let newest = 0;
  for (const table of ["sync_row", "sync_scope_exit", "sync_writer_exit"]) {
    const where = table === "sync_row" ? "deleted = 1 AND changed_at < $1" : "changed_at < $1";
    // Rows a running write has locked are left for the next step.
    const rows = await valuesOf(tx, {
      text: `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${where} ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING seq`,
      args: [before, max - pruned],
    });
    for (const [seq] of rows) newest = Math.max(newest, Number(seq));
    pruned += rows.length;
    if (pruned >= max) break;
  }
  if (pruned < max) {
    pruned += await countOf(tx, {
      text: `DELETE FROM sync_commit WHERE seq IN (SELECT seq FROM sync_commit WHERE committed_at < $1
        AND seq < (SELECT max(seq) FROM sync_commit) ORDER BY seq LIMIT $2)`,
      args: [before, max - pruned],
    });
  }
  if (newest > 0) {
    await rowsOf(tx, {
      text: "UPDATE sync_meta SET value = greatest(value::bigint, $1::bigint)::text WHERE name = 'pruned_seq'",
      args: [newest],
    });
  }
  return pruned;
}

/** Prunes stored answers in one bounded step (see `SyncStore.pruneBatches`). */
export async function pruneBatches(
  tx: postgres.TransactionSql,
  { before, keep, max }: BatchRetention,
): Promise<number> {
  if (!(await upkeepLock(tx, "batches", false))) return 0;
  const rows = await valuesOf(tx, {
    text: `WITH ranked AS (
        SELECT client_id, batch_id, batch_seq, created_at,
          row_number() OVER (PARTITION BY client_id ORDER BY batch_seq DESC) AS newer
        FROM sync_batch),
      gone AS (
        SELECT client_id, batch_id FROM ranked WHERE newer > $1 AND created_at < $2
        ORDER BY batch_seq LIMIT $3)
      DELETE FROM sync_batch b USING gone
      WHERE b.client_id = gone.client_id AND b.batch_id = gone.batch_id
      RETURNING b.client_id, b.batch_seq`,
    args: [keep, new Date(before).toISOString(), max],
  });
  if (rows.length === 0) return 0;
  const marks = new Map<string, number>();
  for (const [client, seq] of rows) {
    marks.set(String(client), Math.max(marks.get(String(client)) ?? 0, Number(seq)));
  }
  await rowsOf(tx, {
    text: `INSERT INTO sync_batch_mark (client_id, pruned_seq)
      SELECT value ->> 0, (value ->> 1)::bigint FROM jsonb_array_elements($1::text::jsonb)
      ON CONFLICT (client_id) DO UPDATE SET pruned_seq = greatest(sync_batch_mark.pruned_seq, excluded.pruned_seq)`,
    args: [jsonParam([...marks])],
  });
  return rows.length;
}
