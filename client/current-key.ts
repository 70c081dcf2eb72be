import type { ColumnInfo, TableInfo } from "../schema/index.ts";
import { findKeyRuns } from "../writer/find-key-runs.ts";
import { serverKeyIn } from "../writer/key-runs.ts";
import { invalid, type Value } from "./write-checks.ts";
import type { WriteContext } from "./write-context.ts";

/**
 * The key a row has now, given the key the app holds (checked to be one: a text for a table whose
 * keys the device makes, a non-zero integer for an autonumbered one). A temporary key the app
 * still holds after it was mapped reaches the row under its server key; one given in this
 * transaction (or never) cannot have been mapped, which spares the look-up.
 */
export async function currentKey(
  context: WriteContext,
  info: TableInfo,
  key: unknown,
): Promise<Value> {
  if (info.keyKind === "client") {
    if (typeof key !== "string" || key.length === 0) {
      throw invalid(`key of ${info.name} must be a text`);
    }
    return key;
  }
  if (typeof key !== "number" || !Number.isSafeInteger(key) || key === 0) {
    throw invalid(`key of ${info.name} must be a non-zero integer`);
  }
  if (key > 0 || (await context.tempKeys.newerThanSent(info.name, key))) return key;
  const runs = await findKeyRuns(context.tx, { name: "sync_mapped_run" }, info.name, key, key);
  return serverKeyIn(runs, key) ?? key;
}

/** A foreign key the app still gives as a mapped temporary key becomes the server key. */
export async function currentReference(
  context: WriteContext,
  column: ColumnInfo,
  value: Value,
): Promise<Value> {
  if (typeof value !== "number" || value >= 0 || column.references === undefined) return value;
  const target = context.model.byName.get(column.references);
  return target?.keyKind === "autonumber" ? currentKey(context, target, value) : value;
}
