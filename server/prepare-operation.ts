import {
  type ColumnInfo,
  checkColumnValue,
  describeValue,
  maxClientKeyLength,
  type SyncModel,
  type TableInfo,
} from "../schema/index.ts";
import type { PreparedOperation, Rejection, SyncOperation, TempKeyRef } from "./operation.ts";
import { parseKey, refOf } from "./operation-key.ts";
import type { SqlValue } from "./store/sync-store.ts";

/** An operation that passed the checks against the model. */
export interface Prepared {
  readonly ok: true;
  readonly table: TableInfo;
  /** The row's key as stored: a number for autonumbered tables (negative: temporary), else text. */
  readonly key: number | string;
  readonly operation: PreparedOperation;
}

/** A prepared INSERT. */
export type PreparedInsert = Prepared & { readonly operation: { readonly kind: "INSERT" } };

/** Whether a prepared operation is an INSERT. */
export const isInsert = (item: Prepared): item is PreparedInsert =>
  item.operation.kind === "INSERT";

/**
 * The row an INSERT creates, by the key the device gave it: a temporary key (autonumbered
 * tables) or a device-made key. A rejected INSERT is remembered by it.
 */
export interface InsertKey {
  readonly table: string;
  readonly key: number | string;
}

/** An operation that failed them. */
export interface Refused {
  readonly ok: false;
  readonly rejection: Rejection;
  /** The row of a refused INSERT, when its key is a temporary key or a device-made key. */
  readonly insert: InsertKey | undefined;
}

const reject = (code: Rejection["code"], message: string, insert?: InsertKey): Refused => ({
  ok: false,
  rejection: { code, message },
  insert,
});

const positionCache = new WeakMap<TableInfo, ReadonlyMap<ColumnInfo, number>>();

/** Each column's index in `TableInfo.columns`, computed once per table. */
function positions(table: TableInfo): ReadonlyMap<ColumnInfo, number> {
  let found = positionCache.get(table);
  if (!found) {
    found = new Map(table.columns.map((column, index) => [column, index]));
    positionCache.set(table, found);
  }
  return found;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks an operation against the model without touching the database: table, key, columns,
 * value types and not-null. Collects the temporary keys it refers to, which the caller resolves.
 */
export function prepareOperation(model: SyncModel, operation: SyncOperation): Prepared | Refused {
  const result = checkOperation(model, operation);
  if (result.ok || operation.kind !== "INSERT") return result;
  const table = model.byName.get(operation.table);
  const key = operation.key;
  if (table?.keyKind !== "client" || key.length === 0 || key.length > maxClientKeyLength)
    return result;
  return { ...result, insert: { table: table.name, key } };
}

function checkOperation(model: SyncModel, operation: SyncOperation): Prepared | Refused {
  const table = model.byName.get(operation.table);
  if (!table) {
    const known = [...model.byName.keys()].join(", ");
    return reject(
      "UNKNOWN_TABLE",
      `table ${describeValue(operation.table)} is not synced (synced: ${known})`,
    );
  }
  const key = parseKey(table, operation.key);
  if (typeof key === "object") return reject(key.code, key.message);
  const insert =
    operation.kind === "INSERT" && typeof key === "number" && key < 0
      ? { table: table.name, key }
      : undefined;
  if (operation.kind === "INSERT" && typeof key === "number" && key > 0) {
    return reject(
      "INVALID_VALUE",
      `INSERT into ${table.name} must carry a temporary (negative) key: the server numbers its rows`,
    );
  }
  const refs: TempKeyRef[] =
    operation.kind !== "INSERT" && typeof key === "number" && key < 0
      ? [{ table: table.name, tempKey: key, column: undefined }]
      : [];

  if (operation.kind === "DELETE") {
    if (operation.data !== undefined && operation.data !== null) {
      return reject("INVALID_VALUE", `data of a DELETE from ${table.name} must be null`);
    }
    return { ok: true, table, key, operation: { kind: "DELETE", refs } };
  }
  const { data } = operation;
  if (!isRecord(data)) {
    return reject(
      "INVALID_VALUE",
      `data of an ${operation.kind} ${operation.kind === "INSERT" ? "into" : "of"} ${table.name} must be an object of column values, got ${describeValue(data)}`,
      insert,
    );
  }
  if (operation.kind === "UPDATE") return checkUpdate(model, table, key, data, refs);
  return checkInsert(model, table, key, data, refs, insert);
}

/** The column of `name` in `table` and its value as stored, or why `data` cannot carry it. */
function checkMember(
  table: TableInfo,
  name: string,
  value: unknown,
  insert: InsertKey | undefined,
): ColumnInfo | Refused {
  const column = table.columnsByName.get(name);
  if (!column) {
    return reject(
      "UNKNOWN_COLUMN",
      `${table.name} has no column ${describeValue(name)} on this server (a device whose model is newer than the server's: once the server has the column, retry the event)`,
      insert,
    );
  }
  if (column.isKey) {
    return reject(
      "INVALID_VALUE",
      `${table.name}.${name} is the key: it travels in "key", not in data`,
      insert,
    );
  }
  const problem = checkColumnValue(table, column, value);
  if (problem) return reject(problem.code, problem.message, insert);
  return column;
}

/** An UPDATE's changes, in data's order. */
function checkUpdate(
  model: SyncModel,
  table: TableInfo,
  key: number | string,
  data: Record<string, unknown>,
  refs: TempKeyRef[],
): Prepared | Refused {
  const changes: Array<[string, SqlValue]> = [];
  for (const name in data) {
    if (!Object.hasOwn(data, name)) continue;
    const value = data[name];
    const column = checkMember(table, name, value, undefined);
    if ("ok" in column) return column;
    const stored = value as SqlValue;
    const ref = column.references === undefined ? undefined : refOf(model, column, stored);
    if (ref) refs.push(ref);
    changes.push([column.name, stored]);
  }
  if (changes.length === 0) {
    return reject("INVALID_VALUE", `data of an UPDATE of ${table.name} names no column`);
  }
  return { ok: true, table, key, operation: { kind: "UPDATE", changes, refs } };
}

/**
 * The value an INSERT gets in a column `data` leaves out: the column's literal SQL default,
 * `undefined` for an SQL-expression default (left to the database, which evaluates it per row),
 * NULL when it has no default, or a refusal when it has none and is NOT NULL. A JS-side
 * `$defaultFn` is not applied: the server runs no app code, and `syncModel` could not show it.
 */
function leftOut(
  table: TableInfo,
  column: ColumnInfo,
  insert: InsertKey | undefined,
): SqlValue | undefined | Refused {
  const { sqlDefault } = column;
  if (sqlDefault) return sqlDefault.kind === "value" ? sqlDefault.value : undefined;
  if (!column.notNull) return null;
  const jsDefault =
    column.drizzle.defaultFn || column.drizzle.onUpdateFn
      ? "; its JS default ($defaultFn) is made on the device by the typed client, not by the server: send a value"
      : "";
  return reject(
    "CONSTRAINT_VIOLATION",
    `${table.name}.${column.name} is missing and must not be null (it has no SQL default${jsDefault})`,
    insert,
  );
}

/**
 * An INSERT's values, each straight to its column's place; a column `data` leaves out gets its
 * SQL default or NULL ({@link leftOut}), and a NOT NULL column without a default is required.
 */
function checkInsert(
  model: SyncModel,
  table: TableInfo,
  key: number | string,
  data: Record<string, unknown>,
  refs: TempKeyRef[],
  insert: InsertKey | undefined,
): Prepared | Refused {
  // `undefined` marks a column data leaves out until the loop below settles it.
  const values = new Array<SqlValue | undefined>(table.columns.length).fill(undefined);
  const position = positions(table);
  for (const name in data) {
    if (!Object.hasOwn(data, name)) continue;
    const value = data[name];
    const column = checkMember(table, name, value, insert);
    if ("ok" in column) return column;
    const stored = value as SqlValue;
    const ref = column.references === undefined ? undefined : refOf(model, column, stored);
    if (ref) refs.push(ref);
    values[position.get(column) ?? 0] = stored;
  }
  const { columns } = table;
  // Index 0 is the key, which travels in `key`.
  for (let index = 1; index < columns.length; index++) {
    if (values[index] !== undefined) continue;
    const filled = leftOut(table, columns[index] as ColumnInfo, insert);
    if (typeof filled === "object" && filled !== null) return filled;
    values[index] = filled;
  }
  values[0] = key;
  return { ok: true, table, key, operation: { kind: "INSERT", values, refs } };
}
