import type { TableInfo } from "../../schema/index.ts";
import { quoteIdentifier } from "../../writer/index.ts";
import { factsPlan } from "./libsql-changes.ts";
import { integerValue, type ReadPlan, type ReadQuery, sqlValue } from "./libsql-reads.ts";
import type { ChangePage, ChangeQuery, SqlValue, StoredChange } from "./sync-store.ts";

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

/** A table name as an SQL text literal (names come from the model, never from a request). */
const sqlText = (text: string): string => `'${text.replaceAll("'", "''")}'`;

type Args = Array<string | number>;

/**
 * The entries a reader gets, in two parts: `rows`, the sync states (alias `r`) of the rows in its
 * scopes at their latest change, and `exits`, a SELECT of `table_name, row_key, version, seq` of
 * the rows that left its scopes (each once, at its latest exit) and of those it wrote into scopes it
 * does not read. Both above `after`, tombstones
 * and exits above `floor` only, and with `seq <= ?` appended when `upTo` is given.
 */
function entryParts({ after, floor, scopes, clientId }: ChangeQuery, upTo?: number) {
  const rowArgs: Args = [after];
  let rows = "r.seq > ?";
  if (upTo !== undefined) {
    rows += " AND r.seq <= ?";
    rowArgs.push(upTo);
  }
  if (!scopes) return { rows, rowArgs, exits: undefined, exitArgs: [] as Args };
  const list = scopeList(scopes);
  rows += ` AND (r.scope = '' OR r.scope IN ${list.sql})`;
  rowArgs.push(...list.args);
  const exitArgs: Args = [after, floor];
  let exits = `SELECT e.table_name, e.row_key, e.version, e.seq FROM sync_scope_exit e
      LEFT JOIN sync_row r ON r.table_name = e.table_name AND r.row_key = e.row_key
      WHERE e.seq > ? AND e.seq > ?`;
  if (upTo !== undefined) {
    exits += " AND e.seq <= ?";
    exitArgs.push(upTo);
  }
  // A row that left several of the reader's scopes comes once, at its latest exit.
  exits += ` AND e.scope IN ${list.sql}
        AND NOT coalesce(r.scope = '' OR r.scope IN ${list.sql}, 0)
        AND NOT EXISTS (SELECT 1 FROM sync_scope_exit n WHERE n.table_name = e.table_name
          AND n.row_key = e.row_key AND n.scope IN ${list.sql} AND n.seq > e.seq)`;
  exitArgs.push(...list.args, ...list.args, ...list.args);
  // The rows the reader itself left in scopes it does not read (and still does not), snapshots
  // included: the device holds them, and a snapshot that is not a reset removes nothing.
  exits += ` UNION ALL SELECT w.table_name, w.row_key, w.version, w.seq
      FROM sync_writer_exit w
      LEFT JOIN sync_row r ON r.table_name = w.table_name AND r.row_key = w.row_key
      WHERE w.client_id = ? AND w.seq > ?${upTo === undefined ? "" : " AND w.seq <= ?"}
        AND NOT coalesce(r.scope = '' OR r.scope IN ${list.sql}, 0)`;
  exitArgs.push(clientId, after, ...(upTo === undefined ? [] : [upTo]), ...list.args);
  return { rows, rowArgs, exits, exitArgs };
}

/**
 * The change sequence of the page's last entry and of the one after it, if there are such: the
 * page is the entries up to the first, and more follow when there is a second.
 */
function boundsQuery(query: ChangeQuery): ReadQuery {
  const { rows, rowArgs, exits, exitArgs } = entryParts(query);
  let sql = `SELECT seq FROM sync_row r WHERE ${rows} AND (r.deleted = 0 OR r.seq > ?)`;
  const args: Args = [...rowArgs, query.floor];
  if (exits) {
    sql += ` UNION ALL SELECT seq FROM (${exits})`;
    args.push(...exitArgs);
  }
  sql += " ORDER BY seq LIMIT 2 OFFSET ?";
  args.push(query.limit - 1);
  return { sql, args };
}

/** The tables with live rows among the page's entries. */
function tablesQuery(query: ChangeQuery, upTo: number): ReadQuery {
  const { rows, rowArgs } = entryParts(query, upTo);
  return {
    sql: `SELECT DISTINCT table_name FROM sync_row r WHERE ${rows} AND r.deleted = 0`,
    args: rowArgs,
  };
}

/**
 * The page's live rows of `table`: `seq, row_key, version`, then the row's columns but the key
 * (NULL key: the row is gone). `sync_row` is walked in sequence order and each row looked up by
 * its key; without `table` (one the model does not have), the columns are left out.
 */
function liveRowsQuery(
  name: string,
  table: TableInfo | undefined,
  query: ChangeQuery,
  upTo: number,
): ReadQuery {
  const { rows, rowArgs } = entryParts(query, upTo);
  // `+` keeps the walk on seq (the table_name of sync_row_key would be a scan of the table's rows).
  const where = `${rows} AND r.deleted = 0 AND +r.table_name = ${sqlText(name)}`;
  if (!table) {
    return {
      sql: `SELECT r.seq, r.row_key, r.version FROM sync_row r WHERE ${where}`,
      args: rowArgs,
    };
  }
  const columns = [table.key, ...table.dataColumns].map(
    (column) => `, t.${quoteIdentifier(column.name)}`,
  );
  return {
    sql: `SELECT r.seq, r.row_key, r.version${columns.join("")} FROM sync_row r
      LEFT JOIN ${quoteIdentifier(table.name)} t ON t.${quoteIdentifier(table.key.name)} = r.row_key
      WHERE ${where}`,
    args: rowArgs,
  };
}

/** The page's tombstones and scope exits: `table_name, row_key, version, seq`. */
function deletesQuery(query: ChangeQuery, upTo: number): ReadQuery {
  const { rows, rowArgs, exits, exitArgs } = entryParts(query, upTo);
  let sql = `SELECT r.table_name, r.row_key, r.version, r.seq FROM sync_row r WHERE ${rows} AND r.deleted = 1 AND r.seq > ?`;
  const args: Args = [...rowArgs, query.floor];
  if (exits) {
    sql += ` UNION ALL ${exits}`;
    args.push(...exitArgs);
  }
  return { sql, args };
}

/** The upserts of one table's rows, from the rows of {@link liveRowsQuery}. */
function upserts(
  name: string,
  table: TableInfo | undefined,
  rows: ReadonlyArray<ArrayLike<unknown>>,
) {
  const names = table?.dataColumns.map((column) => column.name) ?? [];
  return rows.map((row): StoredChange => {
    let data: Record<string, SqlValue> | null = null;
    // A row gone without a tombstone (deleted by other means) travels as a DELETE.
    if (table && row[3] !== null) {
      data = {};
      for (let i = 0; i < names.length; i++) data[names[i] as string] = sqlValue(row[i + 4]);
    }
    return {
      table: name,
      key: String(row[1]),
      seq: integerValue(row[0]),
      version: integerValue(row[2]),
      data,
    };
  });
}

/**
 * A page of changes (see `SyncStore.readChanges`): the store's facts, where the page ends, then the
 * page's live rows table by table with their columns, and its deletes; in change-sequence order.
 */
export function* changePagePlan(query: ChangeQuery): ReadPlan<ChangePage> {
  const facts = yield* factsPlan();
  const [last, next] = yield boundsQuery(query);
  // Fewer entries than the limit: the page holds them all.
  const upTo = last === undefined ? Number.MAX_SAFE_INTEGER : integerValue(last[0]);
  const hasMore = next !== undefined;
  const changes: StoredChange[] = [];
  for (const row of yield tablesQuery(query, upTo)) {
    const name = String(row[0]);
    const table = query.model.byName.get(name);
    changes.push(...upserts(name, table, yield liveRowsQuery(name, table, query, upTo)));
  }
  for (const row of yield deletesQuery(query, upTo)) {
    changes.push({
      table: String(row[0]),
      key: String(row[1]),
      seq: integerValue(row[3]),
      version: integerValue(row[2]),
      data: null,
    });
  }
  changes.sort((a, b) => a.seq - b.seq);
  return { changes, hasMore, facts };
}
