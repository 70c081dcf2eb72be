import { describeValue, type SyncModel } from "../schema/index.ts";
import type { SyncChangesAnswer } from "./create-transport.ts";
import type { ResetReason } from "./generated/graphql.ts";
import { SyncClientError } from "./sync-client-error.ts";

/** A received change, checked, as the stage keeps it. */
export interface StagedChange {
  readonly table: string;
  /** The row's key as text: a server key (decimal) or a device-made key. */
  readonly key: string;
  readonly kind: "upsert" | "delete";
  readonly version: number;
  /** UPSERT: the columns as JSON text (SQL names, the key left out); DELETE: null. */
  readonly data: string | null;
}

/** A page checked before anything local changes. */
export interface CheckedPage {
  /** The changes of tables in the device's model, in the page's order. */
  readonly changes: readonly StagedChange[];
  /** Changes of tables the device's model lacks (a server ahead of it): left out. */
  readonly unknownTables: number;
  readonly cursor: string;
  readonly hasMore: boolean;
  /** The first page of a snapshot: what was staged before is superseded. */
  readonly snapshotStart: boolean;
  readonly reset: ResetReason | null;
}

const mismatch = (message: string): SyncClientError =>
  new SyncClientError("ANSWER_MISMATCH", `the server's page of changes is malformed: ${message}`);

const resetReasons = new Set<unknown>(["CURSOR_EXPIRED", "SCOPE_CHANGED", "STORE_CHANGED"]);
const serverKey = /^[1-9][0-9]{0,15}$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A value as a message shows it: short, whatever the server sent. */
function shown(value: unknown): string {
  if (typeof value !== "string") return value === undefined ? "undefined" : describeValue(value);
  return value.length > 40 ? `${value.slice(0, 40)}… (${value.length} characters)` : value;
}

/** An UPSERT's data: an object of SQL values (null, a text, a finite number), as JSON text. */
function dataOf(where: string, data: unknown): string {
  if (!isObject(data))
    throw mismatch(`${where}: an UPSERT's data is ${shown(data)}, not an object`);
  for (const [column, value] of Object.entries(data)) {
    const scalar =
      value === null ||
      typeof value === "string" ||
      (typeof value === "number" && Number.isFinite(value));
    if (!scalar) throw mismatch(`${where}: column ${shown(column)} holds ${shown(value)}`);
  }
  return JSON.stringify(data);
}

/** One change, checked against the model; undefined for a table the model lacks. */
function checkChange(model: SyncModel, change: unknown, index: number): StagedChange | undefined {
  if (!isObject(change)) throw mismatch(`change ${index + 1} is ${shown(change)}, not an object`);
  const { table, key, kind, version, data } = change;
  const where = `change ${index + 1} (${shown(table)} ${shown(key)})`;
  if (typeof table !== "string") throw mismatch(`${where}: its table is not a text`);
  const info = model.byName.get(table);
  if (!info) return undefined;
  const keyOk =
    typeof key === "string" &&
    (info.keyKind === "autonumber"
      ? serverKey.test(key) && Number.isSafeInteger(Number(key))
      : key.length > 0);
  if (!keyOk) {
    throw mismatch(
      `${where}: the key is not ${info.keyKind === "autonumber" ? "a server key (a positive safe integer)" : "a text"}`,
    );
  }
  if (!Number.isSafeInteger(version) || (version as number) < 0) {
    throw mismatch(`${where}: version ${shown(version)} is not an integer of 0 or more`);
  }
  if (kind === "UPSERT") {
    return { table, key, kind: "upsert", version: version as number, data: dataOf(where, data) };
  }
  if (kind === "DELETE")
    return { table, key, kind: "delete", version: version as number, data: null };
  throw mismatch(`${where}: kind ${shown(kind)} is neither UPSERT nor DELETE`);
}

/**
 * Checks a page of changes before anything local changes, trusting no part of its shape: a
 * cursor, `hasMore`, a known reset reason, and each change a table, a key (a server key for an
 * autonumbered table: never a temporary one), a kind, a version, and for an UPSERT an object of SQL
 * values. Changes of tables the device's model lacks are left out (a server ahead of the device).
 */
export function checkPage(model: SyncModel, page: SyncChangesAnswer): CheckedPage {
  const { changes, cursor, hasMore, snapshotStart, reset } = page as unknown as Record<
    string,
    unknown
  >;
  if (!Array.isArray(changes)) throw mismatch("changes is not a list");
  if (typeof cursor !== "string" || cursor.length === 0) throw mismatch("the cursor is missing");
  if (typeof hasMore !== "boolean") throw mismatch("hasMore is not a boolean");
  if (typeof snapshotStart !== "boolean") throw mismatch("snapshotStart is not a boolean");
  if (reset !== null && reset !== undefined && !resetReasons.has(reset)) {
    throw mismatch(`reset ${shown(reset)} is not a reason this client knows`);
  }
  const checked: StagedChange[] = [];
  let unknownTables = 0;
  changes.forEach((change, index) => {
    const one = checkChange(model, change, index);
    if (one) checked.push(one);
    else unknownTables += 1;
  });
  return {
    changes: checked,
    unknownTables,
    cursor,
    hasMore,
    snapshotStart,
    reset: (reset ?? null) as ResetReason | null,
  };
}
