import type { ColumnInfo, TableInfo } from "./define-sync-model.ts";

/** The longest key a device may give a row of a table whose keys it makes. */
export const maxClientKeyLength = 200;

/** A value as an error message shows it: texts quoted (long ones cut), other kinds named. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") {
    return value.length > 40
      ? `${JSON.stringify(value.slice(0, 40))}… (${value.length} characters)`
      : JSON.stringify(value);
  }
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

/** Why a value does not fit its column. */
export interface ColumnProblem {
  readonly code: "CONSTRAINT_VIOLATION" | "INVALID_VALUE";
  readonly message: string;
}

/**
 * Checks one SQL value against its column's type and NOT NULL, as the server applies them; the
 * device checks its writes the same way, so that no event it records can be refused for its type.
 * `undefined` when it fits (the common case allocates nothing).
 */
export function checkColumnValue(
  table: TableInfo,
  column: ColumnInfo,
  value: unknown,
): ColumnProblem | undefined {
  if (value === null) {
    return column.notNull
      ? { code: "CONSTRAINT_VIOLATION", message: `${table.name}.${column.name} must not be null` }
      : undefined;
  }
  if (typeof value === "string" && !value.isWellFormed()) {
    return {
      code: "INVALID_VALUE",
      message: `${table.name}.${column.name} must be well-formed Unicode text: it holds a lone surrogate, which SQLite would store as U+FFFD`,
    };
  }
  const fits =
    column.type === "text"
      ? typeof value === "string"
      : column.type === "integer"
        ? Number.isSafeInteger(value)
        : typeof value === "number" && Number.isFinite(value);
  if (fits) return undefined;
  const expected =
    column.type === "real" ? "a number" : `${column.type === "text" ? "a text" : "an integer"}`;
  return {
    code: "INVALID_VALUE",
    message: `${table.name}.${column.name} must be ${expected}, got ${describeValue(value)}`,
  };
}
