import { randomBytes, randomUUID } from "node:crypto";
import type { Client, InArgs } from "@libsql/client";
import type { SyncModel, TableInfo } from "../../schema/index.ts";
import { quoteIdentifier, type WriteTransaction } from "../../writer/index.ts";
import type { ChangePage, ChangeQuery, SqlValue, StoredChange, StoreFacts } from "./sync-store.ts";

type Execute = WriteTransaction["execute"];

/** Creates the store's facts once (a new epoch and cursor secret per store). */
export async function initStoreFacts(execute: Execute): Promise<void> {
  await execute({
    sql: "INSERT OR IGNORE INTO sync_meta (name, value) VALUES ('epoch', ?), ('cursor_secret', ?), ('seq', '0'), ('pruned_seq', '0')",
    args: [randomUUID(), randomBytes(32).toString("base64url")],
  });
}

async function readFacts(execute: Execute): Promise<StoreFacts> {
  const { rows } = await execute("SELECT name, value FROM sync_meta");
  const facts = new Map(rows.map((row) => [String(row.name), String(row.value)]));
  const epoch = facts.get("epoch");
  const cursorSecret = facts.get("cursor_secret");
  if (epoch === undefined || cursorSecret === undefined) throw new Error("sync_meta is empty");
  return {
    epoch,
    cursorSecret,
    lastSeq: Number(facts.get("seq") ?? 0),
    prunedSeq: Number(facts.get("pruned_seq") ?? 0),
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
export async function commitMark(execute: Execute, seq: number): Promise<string> {
  const { rows } = await execute({
    sql: "SELECT id FROM sync_commit WHERE seq <= ? ORDER BY seq DESC LIMIT 1",
    args: [seq],
  });
  return rows[0] === undefined ? "" : String(rows[0].id);
}

/** SQL that gives a row of `table` (alias `t`) its scope, as `adoptRows` needs it. */
function scopeSql(table: TableInfo): string {
  const { scope } = table;
  if (scope.kind === "global") return "''";
  if (scope.kind === "column") return `CAST(t.${quoteIdentifier(scope.column.name)} AS TEXT)`;
  return `coalesce((SELECT p.scope FROM sync_row p WHERE p.table_name = ${sqlText(scope.parent)} AND p.row_key = t.${quoteIdentifier(scope.column.name)}), '')`;
}

/** A table name as an SQL text literal (names come from the model, never from a request). */
const sqlText = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** Gives the rows without a sync state one, parents first (see `SyncStore.adoptRows`). */
export async function adoptRows(execute: Execute, model: SyncModel, now: number): Promise<number> {
  let adopted = 0;
  for (const table of model.ordered) {
    const key = `t.${quoteIdentifier(table.key.name)}`;
    const missing = `FROM ${quoteIdentifier(table.name)} t WHERE NOT EXISTS (SELECT 1 FROM sync_row r WHERE r.table_name = ${sqlText(table.name)} AND r.row_key = ${key})`;
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

/** Above this many scopes, a list is one JSON argument: SQLite allows 32,766 arguments a statement. */
const maxListedScopes = 100;

/** `(?, ?, …)` and its arguments for a set of scopes (one JSON array argument for a long set). */
function scopeList(scopes: ReadonlySet<string>): { sql: string; args: string[] } {
  const args = [...scopes];
  if (args.length > maxListedScopes) {
    return { sql: "(SELECT value FROM json_each(?))", args: [JSON.stringify(args)] };
  }
  return { sql: `(${args.map(() => "?").join(", ") || "NULL"})`, args };
}

/** The change entries of a page: rows at their latest change, and exits from the reader's scopes. */
async function readEntries(execute: Execute, query: ChangeQuery) {
  const { after, floor, scopes, limit } = query;
  const args: InArgs = [after, floor];
  let sql =
    "SELECT table_name, row_key, version, seq, deleted FROM sync_row WHERE seq > ? AND (deleted = 0 OR seq > ?)";
  if (scopes) {
    const list = scopeList(scopes);
    sql += ` AND (scope = '' OR scope IN ${list.sql})`;
    sql += ` UNION ALL SELECT e.table_name, e.row_key, coalesce(r.version, 0), e.seq, 1 FROM sync_scope_exit e
             LEFT JOIN sync_row r ON r.table_name = e.table_name AND r.row_key = e.row_key
             WHERE e.seq > ? AND e.seq > ? AND e.scope IN ${list.sql}
               AND NOT coalesce(r.scope = '' OR r.scope IN ${list.sql}, 0)
               AND NOT EXISTS (SELECT 1 FROM sync_scope_exit n WHERE n.table_name = e.table_name
                 AND n.row_key = e.row_key AND n.scope IN ${list.sql} AND n.seq > e.seq)`;
    // A row that left several of the reader's scopes comes once, at its latest exit.
    args.push(...list.args, after, floor, ...list.args, ...list.args, ...list.args);
  }
  sql += " ORDER BY seq LIMIT ?";
  args.push(limit + 1);
  const { rows } = await execute({ sql, args });
  return rows.map((row) => ({
    table: String(row.table_name),
    key: String(row.row_key),
    version: Number(row.version),
    seq: Number(row.seq),
    deleted: Number(row.deleted) === 1,
  }));
}

/** The current columns (but the key) of these rows of `table`, by key as text. */
async function readData(
  execute: Execute,
  table: TableInfo,
  keys: readonly string[],
): Promise<Map<string, Record<string, SqlValue>>> {
  const data = new Map<string, Record<string, SqlValue>>();
  const keyName = table.key.name;
  for (let start = 0; start < keys.length; start += 500) {
    const chunk = keys.slice(start, start + 500);
    const { rows } = await execute({
      sql: `SELECT * FROM ${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(keyName)} IN (${chunk.map(() => "?").join(", ")})`,
      args: table.keyKind === "autonumber" ? chunk.map(Number) : chunk,
    });
    for (const row of rows) {
      const values: Record<string, SqlValue> = {};
      for (const column of table.dataColumns) values[column.name] = row[column.name] as SqlValue;
      data.set(String(row[keyName]), values);
    }
  }
  return data;
}

/** A page of changes from one read transaction (see `SyncStore.readChanges`). */
export async function readChanges(database: Client, query: ChangeQuery): Promise<ChangePage> {
  const tx = await database.transaction("read");
  try {
    const execute: Execute = (statement) => tx.execute(statement);
    const facts = await readFacts(execute);
    const entries = await readEntries(execute, query);
    const hasMore = entries.length > query.limit;
    if (hasMore) entries.length = query.limit;
    const upserts = new Map<string, string[]>();
    for (const entry of entries) {
      if (entry.deleted) continue;
      const keys = upserts.get(entry.table);
      if (keys) keys.push(entry.key);
      else upserts.set(entry.table, [entry.key]);
    }
    const data = new Map<string, Map<string, Record<string, SqlValue>>>();
    for (const [name, keys] of upserts) {
      const table = query.model.byName.get(name);
      if (table) data.set(name, await readData(execute, table, keys));
    }
    const changes = entries.map(
      (entry): StoredChange => ({
        table: entry.table,
        key: entry.key,
        seq: entry.seq,
        version: entry.version,
        // A row gone without a tombstone (deleted by other means) travels as a DELETE.
        data: entry.deleted ? null : (data.get(entry.table)?.get(entry.key) ?? null),
      }),
    );
    return { changes, hasMore, facts };
  } finally {
    tx.close();
  }
}

/** Prunes old tombstones and scope exits in one bounded step (see `SyncStore.pruneTombstones`). */
export async function pruneTombstones(
  execute: Execute,
  before: number,
  max: number,
): Promise<number> {
  let pruned = 0;
  let newest = 0;
  for (const table of ["sync_row", "sync_scope_exit"]) {
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

export { readFacts };
