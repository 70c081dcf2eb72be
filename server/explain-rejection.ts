import type { SyncModel, TableInfo } from "../schema/index.ts";
import { rowIdentity } from "../writer/index.ts";
import type { ApplyContext } from "./apply-context.ts";
import type { Rejection } from "./operation.ts";
import type { Prepared } from "./prepare-operation.ts";
import type { ConstraintViolation, RowRef, SqlValue } from "./store/sync-store.ts";

/** The values an operation wrote, by column: what a foreign key may have found missing. */
export type WrittenValues = ReadonlyArray<readonly [column: string, value: SqlValue]>;

/** The rows of tables with device-made keys an operation needs: its own (UPDATE, DELETE) and referenced ones. */
function deviceKeyedRows(model: SyncModel, item: Prepared): RowRef[] {
  const rows: RowRef[] = [];
  const { table, operation } = item;
  if (operation.kind !== "INSERT" && table.keyKind === "client")
    rows.push({ table: table.name, key: String(item.key) });
  const valueIn = (column: string): SqlValue | undefined =>
    operation.kind === "INSERT"
      ? operation.values[table.columns.findIndex((c) => c.name === column)]
      : operation.kind === "UPDATE"
        ? operation.changes.find(([name]) => name === column)?.[1]
        : undefined;
  for (const column of table.references) {
    const target = model.byName.get(column.references ?? "");
    const value = valueIn(column.name);
    if (target?.keyKind === "client" && typeof value === "string")
      rows.push({ table: target.name, key: value });
  }
  return rows;
}

/**
 * Why an operation failed, as the device can act on it: when it needs a row with a device-made key
 * that this client failed to insert (in this request or an earlier one) and has not inserted
 * since, DEPENDENCY_REJECTED naming that row; otherwise `rejection` as it is.
 */
export async function explainRejection(
  context: ApplyContext,
  item: Prepared,
  rejection: Rejection,
): Promise<Rejection> {
  const { deviceRows } = context;
  const rows = deviceKeyedRows(context.model, item).filter((row) => !deviceRows.wasInserted(row));
  if (rows.length === 0) return rejection;
  let culprit = rows.find((row) => deviceRows.wasRejected(row));
  if (!culprit) {
    const found = await context.tx.findRejectedRows(context.clientId, rows);
    culprit = rows.find((row) => found.has(rowIdentity(row.table, row.key)));
  }
  if (!culprit) return rejection;
  return {
    code: "DEPENDENCY_REJECTED",
    message: `${culprit.table} ${culprit.key} was not created because its INSERT was rejected`,
  };
}

/**
 * The answer to a reference to a row that is not there (or that the client may not read, which
 * must read the same): the database's own wording for a broken foreign key, and the value at fault.
 */
export function missingReference(
  table: TableInfo,
  column: string,
  parent: TableInfo,
  value: SqlValue,
): Rejection {
  return {
    code: "CONSTRAINT_VIOLATION",
    message: `FOREIGN KEY constraint failed: ${table.name}.${column} is ${String(value)}, but ${parent.name} has no row with that key`,
  };
}

/**
 * The answer to an UPDATE or DELETE of a row that is not there (or that the client may not read,
 * which must read the same); `named` is the key the device sent when it was a temporary one.
 */
export function missingRow(table: TableInfo, key: SqlValue, named: SqlValue): Rejection {
  const temporary = key === named ? "" : ` (the server key of temporary key ${String(named)})`;
  return {
    code: "NOT_FOUND",
    message: `${table.name} has no row with key ${String(key)}${temporary}`,
  };
}

/**
 * A broken foreign key told with the reference at fault, which the database does not name: for an
 * INSERT or UPDATE, the first value whose row is missing; for a DELETE, a row still referring to
 * the deleted one. Read only after the write failed, so it costs nothing when writes succeed.
 */
async function foreignKeyAtFault(
  { model, tx }: ApplyContext,
  table: TableInfo,
  kind: "INSERT" | "UPDATE" | "DELETE",
  key: SqlValue,
  values: WrittenValues,
  error: ConstraintViolation,
): Promise<Rejection> {
  const fallback = { code: "CONSTRAINT_VIOLATION", message: error.message } as const;
  if (!/FOREIGN KEY/i.test(error.message)) return fallback;
  if (kind === "DELETE") {
    for (const child of model.ordered) {
      for (const column of child.references) {
        if (column.references === table.name && (await tx.hasRow(child, column, key))) {
          return {
            code: "CONSTRAINT_VIOLATION",
            message: `${error.message}: ${table.name} ${String(key)} cannot be deleted, ${child.name}.${column.name} still refers to it`,
          };
        }
      }
    }
    return fallback;
  }
  for (const [name, value] of values) {
    const column = table.references.find((candidate) => candidate.name === name);
    const parent = model.byName.get(column?.references ?? "");
    if (!column || !parent || value === null) continue;
    if (!(await tx.hasRow(parent, parent.key, value))) {
      return missingReference(table, column.name, parent, value);
    }
  }
  return fallback;
}

/**
 * Why a write of `item` broke a constraint (not null, unique, foreign key): the foreign key at
 * fault when it was one, then explained as {@link explainRejection} does. `key` and `values` are
 * the ones written, with temporary keys already replaced by server keys.
 */
export async function explainConstraintViolation(
  context: ApplyContext,
  item: Prepared,
  key: SqlValue,
  values: WrittenValues,
  error: ConstraintViolation,
): Promise<Rejection> {
  const problem = await foreignKeyAtFault(
    context,
    item.table,
    item.operation.kind,
    key,
    values,
    error,
  );
  return explainRejection(context, item, problem);
}
