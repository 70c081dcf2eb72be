import { describeValue, type SyncModel } from "../schema/index.ts";
import type { SyncChangesAnswer } from "./create-transport.ts";
import type { SqlValue } from "./device-database.ts";
import type { ResetReason } from "./generated/graphql.ts";
import type { ChangeShape, StagedChange, StagedPage } from "./staged-page.ts";
import { SyncClientError } from "./sync-client-error.ts";

/** A page checked before anything local changes. */
export interface CheckedPage {
  /** The changes of tables in the device's model, in the page's order, as the device stages them. */
  readonly staged: StagedPage;
  /** How many changes `staged` holds. */
  readonly count: number;
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

/** The shapes of a page's changes, each once, by table and columns. */
class Shapes {
  readonly list: ChangeShape[] = [];
  readonly #byKey = new Map<string, number>();
  /** By table, the shape its last UPSERT took: the next one most often has the same columns. */
  readonly #last = new Map<string, number>();

  /** The index of `table`'s shape with `columns` (null: a DELETE). */
  indexOf(table: string, columns: string[] | null): number {
    if (columns !== null) {
      const last = this.#last.get(table);
      if (last !== undefined && sameColumns(this.list[last]?.[1], columns)) return last;
    }
    // A NUL never occurs in a table or column name SQLite would take, so the key is unambiguous.
    const key = columns === null ? table : `${table}\0${columns.join("\0")}\0`;
    let index = this.#byKey.get(key);
    if (index === undefined) {
      index = this.list.length;
      this.list.push([table, columns]);
      this.#byKey.set(key, index);
    }
    if (columns !== null) this.#last.set(table, index);
    return index;
  }
}

function sameColumns(known: readonly string[] | null | undefined, columns: readonly string[]) {
  if (!known || known.length !== columns.length) return false;
  for (let i = 0; i < columns.length; i++) if (known[i] !== columns[i]) return false;
  return true;
}

/** Where a change is, for a message: its place in the page, its table and key. */
const where = (index: number, table: unknown, key: unknown): string =>
  `change ${index + 1} (${shown(table)} ${shown(key)})`;

/** An UPSERT's data, checked: an object of SQL values (null, a text, a finite number). */
function upsertOf(
  shapes: Shapes,
  table: string,
  key: string,
  version: number,
  index: number,
  data: unknown,
): StagedChange {
  if (!isObject(data))
    throw mismatch(
      `${where(index, table, key)}: an UPSERT's data is ${shown(data)}, not an object`,
    );
  const columns = Object.keys(data);
  const change: Array<SqlValue | string | number> = [0, key, version];
  for (const column of columns) {
    const value = data[column];
    const scalar =
      value === null ||
      typeof value === "string" ||
      (typeof value === "number" && Number.isFinite(value));
    if (!scalar) {
      throw mismatch(`${where(index, table, key)}: column ${shown(column)} holds ${shown(value)}`);
    }
    change.push(value);
  }
  change[0] = shapes.indexOf(table, columns);
  return change as unknown as StagedChange;
}

/** One change, checked against the model; undefined for a table the model lacks. */
function checkChange(
  model: SyncModel,
  shapes: Shapes,
  change: unknown,
  index: number,
): StagedChange | undefined {
  if (!isObject(change)) throw mismatch(`change ${index + 1} is ${shown(change)}, not an object`);
  const { table, key, kind, version, data } = change;
  if (typeof table !== "string")
    throw mismatch(`${where(index, table, key)}: its table is not a text`);
  const info = model.byName.get(table);
  if (!info) return undefined;
  const keyOk =
    typeof key === "string" &&
    (info.keyKind === "autonumber"
      ? serverKey.test(key) && Number.isSafeInteger(Number(key))
      : key.length > 0);
  if (!keyOk) {
    throw mismatch(
      `${where(index, table, key)}: the key is not ${info.keyKind === "autonumber" ? "a server key (a positive safe integer)" : "a text"}`,
    );
  }
  if (!Number.isSafeInteger(version) || (version as number) < 0) {
    throw mismatch(
      `${where(index, table, key)}: version ${shown(version)} is not an integer of 0 or more`,
    );
  }
  if (kind === "UPSERT") return upsertOf(shapes, table, key, version as number, index, data);
  if (kind === "DELETE") return [shapes.indexOf(table, null), key, version as number];
  throw mismatch(`${where(index, table, key)}: kind ${shown(kind)} is neither UPSERT nor DELETE`);
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
  const shapes = new Shapes();
  const checked: StagedChange[] = [];
  let unknownTables = 0;
  changes.forEach((change, index) => {
    const one = checkChange(model, shapes, change, index);
    if (one) checked.push(one);
    else unknownTables += 1;
  });
  return {
    staged: { shapes: shapes.list, changes: checked },
    count: checked.length,
    unknownTables,
    cursor,
    hasMore,
    snapshotStart,
    reset: (reset ?? null) as ResetReason | null,
  };
}
