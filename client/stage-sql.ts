import type { SyncModel, TableInfo } from "../schema/index.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import { currentKeySql } from "./current-key-sql.ts";

/**
 * SQL that is true when the staged entry `stage` (an alias of `sync_receive_stage`) is a change to
 * make: the device knows no version of its row, or an older one (one it forgot, negative, is older
 * than any). An UPSERT at the version the
 * device knows is its own write coming back (or older than one it made since) and changes nothing.
 * A DELETE at that version is still made: a row that leaves the device's read scopes comes as a
 * DELETE at the version it has, which the device may know; its own delete coming back finds no
 * row to delete.
 */
export function isFresh(stage: string): string {
  return `NOT EXISTS (SELECT 1 FROM sync_row_version v WHERE v.table_name = ${stage}.table_name
    AND v.row_key = ${stage}.row_key AND v.version >= ${stage}.version + (${stage}.kind = 'delete'))`;
}

/** SQL of a staged key (text) as the value of `table`'s key column. */
export function typedKey(table: TableInfo, key: string): string {
  return table.keyKind === "autonumber" ? `CAST(${key} AS INTEGER)` : key;
}

/**
 * SQL that is true when no row of the model refers to the row of `table` whose key is the SQL
 * expression `key`: only such a row may be deleted without breaking a reference.
 */
export function isUnreferenced(model: SyncModel, table: TableInfo, key: string): string {
  const checks: string[] = [];
  for (const child of model.ordered) {
    for (const column of child.references) {
      if (column.references !== table.name) continue;
      checks.push(
        `NOT EXISTS (SELECT 1 FROM ${quoteIdentifier(child.name)} AS c WHERE c.${quoteIdentifier(column.name)} = ${key})`,
      );
    }
  }
  return checks.length === 0 ? "1" : checks.join(" AND ");
}

/**
 * A common table expression `pending(table_name, row_key)`: the rows that pending events (unsent,
 * or sent and unanswered) write, under the keys they have now.
 */
export const pendingRowsCte = `pending (table_name, row_key) AS MATERIALIZED (
  SELECT o.table_name, ${currentKeySql("o.table_name", "o.row_key")} FROM sync_outbox o
  WHERE o.status = 'pending' AND o.kind != 'checkpoint')`;
