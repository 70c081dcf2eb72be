import {
  type ColumnInfo,
  describeValue,
  maxClientKeyLength,
  type SyncModel,
  type TableInfo,
} from "../schema/index.ts";
import type { Rejection, TempKeyRef } from "./operation.ts";
import type { SqlValue } from "./store/sync-store.ts";

const integerKey = /^-?[1-9][0-9]*$/;

/**
 * An operation's key as stored: a device-made key (well-formed text, at most
 * `maxClientKeyLength`), or for an autonumbered table a non-zero safe integer (negative: a
 * temporary key). Else the rejection that says what is wrong with it.
 */
export function parseKey(table: TableInfo, key: string): number | string | Rejection {
  if (table.keyKind === "client") {
    if (key.length === 0 || key.length > maxClientKeyLength || !key.isWellFormed()) {
      return {
        code: "INVALID_VALUE",
        message: `key of ${table.name} must be a non-empty, well-formed text of at most ${maxClientKeyLength} characters`,
      };
    }
    return key;
  }
  const number = Number(key);
  if (!integerKey.test(key) || !Number.isSafeInteger(number)) {
    return {
      code: "INVALID_VALUE",
      message: `key ${describeValue(key)} of ${table.name} must be a non-zero integer (negative for a temporary key)`,
    };
  }
  return number;
}

/** A temporary-key reference when `value` in `column` is a temporary key of an autonumbered table. */
export function refOf(
  model: SyncModel,
  column: ColumnInfo,
  value: SqlValue,
): TempKeyRef | undefined {
  if (column.references === undefined || typeof value !== "number" || value >= 0) return undefined;
  const target = model.byName.get(column.references);
  if (target?.keyKind !== "autonumber") return undefined;
  return { table: target.name, tempKey: value, column: column.name };
}
