import type { ColumnInfo } from "./define-sync-model.ts";

/**
 * How a table's rows get their scope, as a model declares it (SQL column names):
 * `{ column }` the scope is that column's value, as text ({@link scopeValue});
 * `{ parent }` the scope of the row that foreign key refers to.
 */
export type ScopeRule = { readonly column: string } | { readonly parent: string };

/**
 * How a table's rows get their scope, resolved against the model.
 * - `global`: no rule; every device reads the table's rows.
 * - `column`: the scope is this column's value, as text ({@link scopeValue}). It may be the key
 *   (a row is its own scope, e.g. a team); a key never changes, so such a row never changes scope.
 * - `parent`: the scope of the row this foreign key refers to (`parent` is its SQL table name,
 *   never a global table). Following `parent` always ends at a `column` table.
 */
export type TableScope =
  | { readonly kind: "global" }
  | { readonly kind: "column"; readonly column: ColumnInfo }
  | { readonly kind: "parent"; readonly column: ColumnInfo; readonly parent: string };

/**
 * The scope text of a column value, the same on the server and the device: an integer gives its
 * decimal text (a number that is a safe integer, or a bigint), a text itself; anything else
 * (null, a fraction, a boolean, an object) has no scope: `undefined`. So the integer 7 and the
 * text "7" name the same scope.
 */
export function scopeValue(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isSafeInteger(value) ? String(value) : undefined;
  if (typeof value === "bigint") return value.toString();
  return undefined;
}
