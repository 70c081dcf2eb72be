import { randomBytes, randomUUID } from "node:crypto";
import type { SyncModel, TableInfo } from "../../schema/index.ts";
import { quoteIdentifier, type WriteTransaction } from "../../writer/index.ts";
import type { ReadPlan } from "./libsql-reads.ts";
import type { StoreFacts } from "./sync-store.ts";

type Execute = WriteTransaction["execute"];

/** Creates the store's facts once (a new epoch and cursor secret per store). */
export async function initStoreFacts(execute: Execute): Promise<void> {
  await execute({
    sql: "INSERT OR IGNORE INTO sync_meta (name, value) VALUES ('epoch', ?), ('cursor_secret', ?), ('seq', '0'), ('pruned_seq', '0')",
    args: [randomUUID(), randomBytes(32).toString("base64url")],
  });
}

/** `sync_meta`'s names and values, and the newest commit mark's id as `newest_mark`. */
const factsQuery = `SELECT name, value FROM sync_meta
  UNION ALL SELECT 'newest_mark', id FROM sync_commit WHERE seq = (SELECT max(seq) FROM sync_commit)`;

/** The store's facts (`sync_meta`, `sync_commit`). */
export function* factsPlan(): ReadPlan<StoreFacts> {
  const rows = yield { sql: factsQuery, args: [] };
  const facts = new Map(rows.map((row) => [String(row[0]), String(row[1])]));
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

/**
 * Hands out `count` consecutive change sequence numbers (see `SyncStoreTransaction.reserveSeqs`)
 * and marks the transaction in `sync_commit` with a random id at its last number.
 */
export async function reserveSeqs(execute: Execute, count: number, now: number): Promise<number> {
  const { rows } = await execute({
    sql: "UPDATE sync_meta SET value = CAST(value AS INTEGER) + ? WHERE name = 'seq' RETURNING CAST(value AS INTEGER) AS last",
    args: [count],
  });
  const last = Number(rows[0]?.last);
  if (!Number.isSafeInteger(last)) throw new Error("sync_meta holds no change sequence");
  await execute({
    sql: "INSERT OR REPLACE INTO sync_commit (seq, id, committed_at) VALUES (?, ?, ?)",
    args: [last, randomBytes(9).toString("base64url"), now],
  });
  return last - count + 1;
}

/** The id of the newest commit mark at or below `seq`; `""` when there is none. */
export function* commitMarkPlan(seq: number): ReadPlan<string> {
  const [row] = yield {
    sql: "SELECT id FROM sync_commit WHERE seq <= ? ORDER BY seq DESC LIMIT 1",
    args: [seq],
  };
  return row === undefined ? "" : String(row[0]);
}

/*
 * `row_key = +t.column`: `row_key` has no type affinity, and compared with a column of INTEGER or
 * TEXT affinity it would be converted first, which keeps SQLite from using `sync_row_key` (every
 * lookup a scan of the table's sync states). A key is stored as its table holds it, so the values
 * are compared as they are (`+` takes the column's affinity away).
 */

/** SQL that gives a row of `table` (alias `t`) its scope, as `adoptRows` needs it. */
function scopeSql(table: TableInfo): string {
  const { scope } = table;
  if (scope.kind === "global") return "''";
  if (scope.kind === "column") return `CAST(t.${quoteIdentifier(scope.column.name)} AS TEXT)`;
  return `coalesce((SELECT p.scope FROM sync_row p WHERE p.table_name = ${sqlText(scope.parent)} AND p.row_key = +t.${quoteIdentifier(scope.column.name)}), '')`;
}

/** A table name as an SQL text literal (names come from the model, never from a request). */
const sqlText = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** Gives the rows without a sync state one, parents first (see `SyncStore.adoptRows`). */
export async function adoptRows(execute: Execute, model: SyncModel, now: number): Promise<number> {
  let adopted = 0;
  for (const table of model.ordered) {
    const key = `t.${quoteIdentifier(table.key.name)}`;
    const missing = `FROM ${quoteIdentifier(table.name)} t WHERE NOT EXISTS (SELECT 1 FROM sync_row r WHERE r.table_name = ${sqlText(table.name)} AND r.row_key = +${key})`;
    const { rows } = await execute(`SELECT count(*) AS n ${missing}`);
    const count = Number(rows[0]?.n ?? 0);
    if (count === 0) continue;
    const first = (await reserveSeqs(execute, count, now)) - 1;
    await execute({
      sql: `INSERT INTO sync_row (table_name, row_key, version, seq, scope, deleted, changed_at)
            SELECT ${sqlText(table.name)}, ${key}, 1, ? + row_number() OVER (ORDER BY t.${quoteIdentifier(table.key.name)}), ${scopeSql(table)}, 0, ? ${missing}`,
      args: [first, now],
    });
    adopted += count;
  }
  return adopted;
}

/**
 * Prunes old tombstones, scope exits and writer exits in one bounded step (see
 * `SyncStore.pruneTombstones`).
 */
export async function pruneTombstones(
  execute: Execute,
  before: number,
  max: number,
): Promise<number> {
  let pruned = 0;
  let newest = 0;
  for (const table of ["sync_row", "sync_scope_exit", "sync_writer_exit"]) {
    const where = table === "sync_row" ? "deleted = 1 AND changed_at < ?" : "changed_at < ?";
    const { rows } = await execute({
      sql: `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} ORDER BY seq LIMIT ?) RETURNING seq`,
      args: [before, max - pruned],
    });
    for (const row of rows) newest = Math.max(newest, Number(row.seq));
    pruned += rows.length;
    if (pruned >= max) break;
  }
  if (pruned < max) {
    // Old commit marks go too, the newest kept: a cursor older than them gets a reset.
    const { rows } = await execute({
      sql: "DELETE FROM sync_commit WHERE seq IN (SELECT seq FROM sync_commit WHERE committed_at < ? AND seq < (SELECT max(seq) FROM sync_commit) ORDER BY seq LIMIT ?) RETURNING seq",
      args: [before, max - pruned],
    });
    pruned += rows.length;
  }
  if (pruned > 0) {
    await execute({
      sql: "UPDATE sync_meta SET value = max(CAST(value AS INTEGER), ?) WHERE name = 'pruned_seq'",
      args: [newest],
    });
  }
  return pruned;
}
