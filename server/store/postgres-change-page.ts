import type postgres from "postgres";
import type { TableInfo } from "../../schema/index.ts";
import { quoteIdentifier } from "../../writer/index.ts";
import { jsonParam, type PgStatement, valuesOf } from "./postgres-connection.ts";
import { rowKeyAs } from "./postgres-rows.ts";
import { factsOf } from "./postgres-upkeep.ts";
import type { ChangePage, ChangeQuery, SqlValue, StoredChange } from "./sync-store.ts";

/** Positional parameters of one statement: each value once, referred to by `$n`. */
class Params {
  readonly args: unknown[] = [];
  add(value: unknown): string {
    this.args.push(value);
    return `$${this.args.length}`;
  }
}

/** A table name as an SQL text literal (names come from the model, never from a request). */
const sqlText = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/**
 * The WHERE clause of the sync states (alias `r`) a reader gets, and for a reader with scopes, a
 * SELECT of `table_name, row_key, version, seq` of the rows that left its scopes (each once, at
 * its latest exit) and of those it wrote into scopes it does not read: the same entries as the
 * libSQL store's (see `libsql-change-page.ts`), above `after`, exits above `floor`, and up to
 * `upTo` when given. The exits are a function: their parameters are added only to a statement
 * that uses them (PostgreSQL cannot type a parameter no expression refers to).
 */
function entryParts(query: ChangeQuery, params: Params, upTo?: number) {
  const after = params.add(query.after);
  const below = upTo === undefined ? "" : ` AND r.seq <= ${params.add(upTo)}`;
  let rows = `r.seq > ${after}${below}`;
  if (!query.scopes) return { rows, exits: undefined };
  const list = `(SELECT jsonb_array_elements_text(${params.add(jsonParam([...query.scopes]))}::text::jsonb))`;
  rows += ` AND (r.scope = '' OR r.scope IN ${list})`;
  const exits = () => exitsPart(query, params, { after, list, upTo });
  return { rows, exits };
}

/** The SELECT of the scope and writer exits of {@link entryParts}. */
function exitsPart(
  query: ChangeQuery,
  params: Params,
  { after, list, upTo }: { after: string; list: string; upTo: number | undefined },
): string {
  const floor = params.add(query.floor);
  const upper = (alias: string) =>
    upTo === undefined ? "" : ` AND ${alias}.seq <= ${params.add(upTo)}`;
  const readable = `coalesce(r.scope = '' OR r.scope IN ${list}, false)`;
  return `SELECT e.table_name, e.row_key, e.version, e.seq FROM sync_scope_exit e
      LEFT JOIN sync_row r ON r.table_name = e.table_name AND r.row_key = e.row_key
      WHERE e.seq > ${after} AND e.seq > ${floor}${upper("e")} AND e.scope IN ${list}
        AND NOT ${readable}
        AND NOT EXISTS (SELECT 1 FROM sync_scope_exit n WHERE n.table_name = e.table_name
          AND n.row_key = e.row_key AND n.scope IN ${list} AND n.seq > e.seq)
    UNION ALL SELECT w.table_name, w.row_key, w.version, w.seq
      FROM sync_writer_exit w
      LEFT JOIN sync_row r ON r.table_name = w.table_name AND r.row_key = w.row_key
      WHERE w.client_id = ${params.add(query.clientId)} AND w.seq > ${after}${upper("w")}
        AND NOT ${readable}`;
}

/** The change sequence of the page's last entry and of the one after it, if there are such. */
function boundsQuery(query: ChangeQuery): PgStatement {
  const params = new Params();
  const { rows, exits } = entryParts(query, params);
  let text = `SELECT r.seq FROM sync_row r WHERE ${rows} AND (r.deleted = 0 OR r.seq > ${params.add(query.floor)})`;
  if (exits) text += ` UNION ALL SELECT seq FROM (${exits()}) x`;
  text += ` ORDER BY seq LIMIT 2 OFFSET ${params.add(query.limit - 1)}`;
  return { text, args: params.args };
}

/** The tables with live rows among the page's entries. */
function tablesQuery(query: ChangeQuery, upTo: number): PgStatement {
  const params = new Params();
  const { rows } = entryParts(query, params, upTo);
  return {
    text: `SELECT DISTINCT r.table_name FROM sync_row r WHERE ${rows} AND r.deleted = 0`,
    args: params.args,
  };
}

/** The page's live rows of `table`: `seq, row_key, version`, the key (NULL: gone), the columns. */
function liveRowsQuery(
  name: string,
  table: TableInfo | undefined,
  query: ChangeQuery,
  upTo: number,
): PgStatement {
  const params = new Params();
  const { rows } = entryParts(query, params, upTo);
  const where = `${rows} AND r.deleted = 0 AND r.table_name = ${sqlText(name)}`;
  if (!table) {
    return {
      text: `SELECT r.seq, r.row_key, r.version FROM sync_row r WHERE ${where}`,
      args: params.args,
    };
  }
  const columns = [table.key, ...table.dataColumns].map(
    (column) => `, t.${quoteIdentifier(column.name)}`,
  );
  return {
    text: `SELECT r.seq, r.row_key, r.version${columns.join("")} FROM sync_row r
      LEFT JOIN ${quoteIdentifier(table.name)} t ON t.${quoteIdentifier(table.key.name)} = ${rowKeyAs(table)}
      WHERE ${where}`,
    args: params.args,
  };
}

/** The page's tombstones and scope exits: `table_name, row_key, version, seq`. */
function deletesQuery(query: ChangeQuery, upTo: number): PgStatement {
  const params = new Params();
  const { rows, exits } = entryParts(query, params, upTo);
  let text = `SELECT r.table_name, r.row_key, r.version, r.seq FROM sync_row r WHERE ${rows} AND r.deleted = 1 AND r.seq > ${params.add(query.floor)}`;
  if (exits) text += ` UNION ALL ${exits()}`;
  return { text, args: params.args };
}

/** The upserts of one table's rows, from the rows of {@link liveRowsQuery}. */
function upserts(name: string, table: TableInfo | undefined, rows: readonly unknown[][]) {
  const names = table?.dataColumns.map((column) => column.name) ?? [];
  return rows.map((row): StoredChange => {
    let data: Record<string, SqlValue> | null = null;
    // A row gone without a tombstone (deleted by other means) travels as a DELETE.
    if (table && row[3] !== null) {
      data = {};
      for (let i = 0; i < names.length; i++) {
        data[names[i] as string] = (row[i + 4] ?? null) as SqlValue;
      }
    }
    return {
      table: name,
      key: String(row[1]),
      seq: Number(row[0]),
      version: Number(row[2]),
      data,
    };
  });
}

/**
 * A page of changes (see `SyncStore.readChanges`), read in one repeatable-read transaction (one
 * snapshot): the store's facts, where the page ends, the page's live rows table by table, and its
 * deletes; in change-sequence order.
 */
export async function readChangePage(
  tx: postgres.TransactionSql,
  query: ChangeQuery,
): Promise<ChangePage> {
  const facts = await factsOf(tx);
  const [last, next] = await valuesOf(tx, boundsQuery(query));
  const upTo = last === undefined ? Number.MAX_SAFE_INTEGER : Number(last[0]);
  const hasMore = next !== undefined;
  const changes: StoredChange[] = [];
  for (const [name] of await valuesOf(tx, tablesQuery(query, upTo))) {
    const table = query.model.byName.get(String(name));
    const rows = await valuesOf(tx, liveRowsQuery(String(name), table, query, upTo));
    changes.push(...upserts(String(name), table, rows));
  }
  for (const [table, key, version, seq] of await valuesOf(tx, deletesQuery(query, upTo))) {
    changes.push({
      table: String(table),
      key: String(key),
      seq: Number(seq),
      version: Number(version),
      data: null,
    });
  }
  changes.sort((a, b) => a.seq - b.seq);
  return { changes, hasMore, facts };
}
