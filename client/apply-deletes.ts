import type { SyncModel, TableInfo } from "../schema/index.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import { currentKeySql } from "./current-key-sql.ts";
import type { DeviceTransaction, SqlValue } from "./device-database.ts";
import { isFresh, isUnreferenced, pendingRowsCte, typedKey } from "./stage-sql.ts";

/** The model's tables, children before their parents: the order deletes go in. */
const childrenFirst = (model: SyncModel): TableInfo[] => [...model.ordered].reverse();

const names = (table: TableInfo) => ({
  table: quoteIdentifier(table.name),
  key: `${quoteIdentifier(table.name)}.${quoteIdentifier(table.key.name)}`,
});

/**
 * SQL that is true when the staged DELETE `s` is to be made now. A DELETE at version 0 is one a
 * reset left for a row the snapshot lacked (see `removeUnlisted`): it waits for the row's pending
 * events, and is then made whatever version the device knows, since the answers to those events
 * gave the row versions the snapshot never saw. Any other DELETE is made when it is fresh.
 */
const deleteDue = `CASE WHEN s.version = 0
  THEN s.row_key NOT IN (SELECT row_key FROM unresolved WHERE unresolved.table_name = s.table_name)
  ELSE ${isFresh("s")} END`;

/**
 * A common table expression `unresolved(table_name, row_key)`: the rows that events still in the
 * outbox write (pending, or rejected and waiting for the app to retry or remove them), under the
 * keys they have now. A row a reset left for them stays while they do: a retried INSERT must find
 * its row.
 */
const unresolvedRowsCte = `unresolved (table_name, row_key) AS MATERIALIZED (
  SELECT o.table_name, ${currentKeySql("o.table_name", "o.row_key")} FROM sync_outbox o
  WHERE o.status IN ('pending', 'rejected') AND o.kind != 'checkpoint')`;

/**
 * Deletes the rows of the staged DELETEs that are due, children first, and returns how many rows
 * went. A row that another row still refers to (one with pending events, or one the server has not
 * deleted yet) stays, and its DELETE is held for the next apply; so does a row a reset left for
 * its pending events.
 */
export async function applyStagedDeletes(tx: DeviceTransaction, model: SyncModel): Promise<number> {
  let deleted = 0;
  for (const table of childrenFirst(model)) {
    const { table: name, key } = names(table);
    const [done] = await tx.batch([
      {
        sql: `WITH ${unresolvedRowsCte}
              DELETE FROM ${name} WHERE ${key} IN (
                SELECT ${typedKey(table, "s.row_key")} FROM sync_receive_stage s
                WHERE s.table_name = ? AND s.kind = 'delete' AND ${deleteDue})
              AND ${isUnreferenced(model, table, key)}`,
        args: [table.name],
      },
      {
        sql: `UPDATE sync_receive_stage AS s SET held = 1
              WHERE s.table_name = ? AND s.kind = 'delete' AND (s.version = 0 OR ${isFresh("s")})
              AND EXISTS (SELECT 1 FROM ${name} WHERE ${key} = ${typedKey(table, "s.row_key")})`,
        args: [table.name],
      },
    ]);
    deleted += done?.rowsAffected ?? 0;
  }
  return deleted;
}

/**
 * Deletes again the rows that pending DELETE events deleted and the pull brought back, children
 * first; a row that a pulled row refers to stays (the server refuses that delete too, while the
 * row has children there).
 */
export async function applyPendingDeletes(
  tx: DeviceTransaction,
  model: SyncModel,
  deletes: ReadonlyMap<string, ReadonlySet<SqlValue>>,
): Promise<void> {
  for (const table of childrenFirst(model)) {
    const keys = deletes.get(table.name);
    if (!keys || keys.size === 0) continue;
    const { table: name, key } = names(table);
    await tx.execute({
      sql: `DELETE FROM ${name} WHERE ${key} IN (SELECT value FROM json_each(?))
            AND ${isUnreferenced(model, table, key)}`,
      args: [JSON.stringify([...keys])],
    });
  }
}

/**
 * After a reset's snapshot: deletes the rows the snapshot did not contain, children first, but for
 * rows with temporary keys (never sent, or sent and not answered), rows with pending events and rows
 * that kept rows still refer to. The DELETE of each of the last two is held, at version 0, for an
 * apply after their events are answered (see `applyStagedDeletes`). The versions known of rows that
 * are gone go too. Returns how many rows went.
 */
export async function removeUnlisted(tx: DeviceTransaction, model: SyncModel): Promise<number> {
  let removed = 0;
  for (const table of childrenFirst(model)) {
    const { table: name, key } = names(table);
    const unlisted = `NOT EXISTS (SELECT 1 FROM sync_receive_stage s WHERE s.table_name = ?1
        AND s.row_key = CAST(${key} AS TEXT))
      ${table.keyKind === "autonumber" ? `AND ${key} > 0` : ""}`;
    const [deleted] = await tx.batch([
      {
        sql: `WITH ${pendingRowsCte}
              DELETE FROM ${name} WHERE ${unlisted}
              AND CAST(${key} AS TEXT) NOT IN (SELECT row_key FROM pending WHERE table_name = ?1)
              AND ${isUnreferenced(model, table, key)}`,
        args: [table.name],
      },
      {
        // What stayed: rows with pending events and rows they refer to.
        sql: `INSERT INTO sync_receive_stage (table_name, row_key, kind, version, data, held)
              SELECT ?1, CAST(${key} AS TEXT), 'delete', 0, NULL, 1 FROM ${name} WHERE ${unlisted}`,
        args: [table.name],
      },
      {
        sql: `DELETE FROM sync_row_version WHERE table_name = ?1 AND NOT EXISTS
                (SELECT 1 FROM ${name} WHERE ${key} = ${typedKey(table, "sync_row_version.row_key")})`,
        args: [table.name],
      },
    ]);
    removed += deleted?.rowsAffected ?? 0;
  }
  return removed;
}
