import {
  type ColumnInfo,
  checkColumnValue,
  describeValue,
  maxClientKeyLength,
  type TableInfo,
} from "../schema/index.ts";
import { isConstraintError } from "../writer/constraint-error.ts";
import { SyncClientError } from "./sync-client-error.ts";

/** A column value as the outbox carries it and the device database stores it. */
export type Value = string | number | null;

/** The error of a write the app asked for that cannot be made. */
export const invalid = (message: string, cause?: unknown): SyncClientError =>
  new SyncClientError("INVALID_WRITE", message, { cause });

/**
 * The column values an app passed, checked to be an object of them (the types say so, but a
 * value may come from anywhere); `call` and `what` name the write and the argument in the message.
 */
export function columnValues(call: string, what: string, values: unknown): Record<string, unknown> {
  if (typeof values === "object" && values !== null && !Array.isArray(values)) {
    return values as Record<string, unknown>;
  }
  const got = values === undefined ? "undefined" : describeValue(values);
  throw invalid(`${call}: ${what} must be an object of column values, got ${got}`);
}

/** The column of a table with the property name `property`. */
export function columnOf(info: TableInfo, property: string): ColumnInfo {
  const column = info.columns.find((candidate) => candidate.property === property);
  if (!column) throw invalid(`${info.name} has no column "${property}"`);
  return column;
}

/**
 * A value read back from SQL or made by drizzle for a column: a number, a text or null (a
 * bigint that a number holds exactly becomes one; anything else cannot be synced).
 */
export function toValue(where: string, value: unknown): Value {
  if (value === null || typeof value === "string" || typeof value === "number") return value;
  if (typeof value === "bigint" && Number.isSafeInteger(Number(value))) return Number(value);
  throw invalid(`${where}: a value of type ${typeof value} cannot be synced`);
}

/**
 * The SQL value of a column, checked as the server will check it: a value SQLite would store
 * under its column's affinity ("3" in an integer column) but the server refuses is refused here,
 * before the row and its event disagree.
 */
export function toDriver(table: TableInfo, column: ColumnInfo, value: unknown): Value {
  const stored =
    value === null
      ? null
      : toValue(`${table.name}.${column.name}`, column.drizzle.mapToDriverValue(value));
  const problem = checkColumnValue(table, column, stored);
  if (problem) throw invalid(problem.message);
  return stored;
}

/** The values of an insert: every property names a column, and an autonumbered key is left out. */
export function checkInsertValues(info: TableInfo, given: Record<string, unknown>): void {
  for (const property of Object.keys(given)) columnOf(info, property);
  if (info.keyKind === "autonumber" && given[info.key.property] !== undefined) {
    throw invalid(
      `${info.name}: leave "${info.key.property}" out; the device gives a temporary key and the server numbers the row`,
    );
  }
}

/** The key of a row the device makes: the one given, checked as the server checks it, or a UUID. */
export function deviceMadeKey(info: TableInfo, given: Record<string, unknown>): string {
  const wanted = given[info.key.property] ?? crypto.randomUUID();
  if (
    typeof wanted !== "string" ||
    wanted.length === 0 ||
    wanted.length > maxClientKeyLength ||
    !wanted.isWellFormed()
  ) {
    throw invalid(
      `key of ${info.name} must be a well-formed text of 1 to ${maxClientKeyLength} characters`,
    );
  }
  return wanted;
}

/** Runs one write and turns a broken constraint into INVALID_WRITE naming the write (`where`). */
export async function asInvalidWrite<T>(where: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isConstraintError(error)) throw invalid(`${where}: ${error.message}`, error);
    throw error;
  }
}
