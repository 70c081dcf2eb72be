import type { ConflictRow, CustomVerdict, TableInfo } from "../schema/index.ts";
import type { ConflictInfo, ConflictResolution, Rejection } from "./operation.ts";
import type { RowState, SqlValue } from "./store/sync-store.ts";

/**
 * Whether `clientId`'s operation based on `baseVersion` meets a conflict on a row now at `state`:
 * another writer (another client, or the server side) wrote one of the versions after the base.
 * A client's own run of writes since its base never conflicts with it (its successive edits of a
 * row, sent in several batches before it heard of the first one's version).
 */
export function isStale(state: RowState, clientId: string, baseVersion: number): boolean {
  if (state.version <= baseVersion) return false;
  return !(state.writer === clientId && state.writerFrom - 1 <= baseVersion);
}

/** What is decided of a stale UPDATE or DELETE. */
export type ConflictDecision =
  | {
      readonly kind: "write";
      /** UPDATE: the columns to write (maybe fewer than sent, or none); DELETE: empty. */
      readonly changes: ReadonlyArray<readonly [string, SqlValue]>;
      /** Builds the answer's conflict once the write is made (the row after it). */
      readonly conflict: (after: Record<string, SqlValue> | null) => ConflictInfo;
    }
  | { readonly kind: "reject"; readonly rejection: Rejection; readonly conflict: ConflictInfo };

/** What a stale operation brings to the decision. */
export interface StaleOperation {
  readonly table: TableInfo;
  readonly clientId: string;
  readonly kind: "UPDATE" | "DELETE";
  /** The row's key as stored. */
  readonly key: SqlValue;
  readonly baseVersion: number;
  /** UPDATE: the device's values before the change (only plain values; null when not sent). */
  readonly base: Readonly<Record<string, unknown>> | null;
  /** UPDATE: the columns the operation writes, temporary keys resolved. */
  readonly changes: ReadonlyArray<readonly [string, SqlValue]>;
  /** The row's sync state and its columns now. */
  readonly state: RowState;
  readonly serverRow: Record<string, SqlValue>;
}

/** Booleans as SQLite stores them, so a device's `true` equals the server's 1. */
const stored = (value: unknown): unknown =>
  typeof value === "boolean" ? Number(value) : typeof value === "bigint" ? Number(value) : value;

/** The operation's columns another writer changed since the base: their server value is not the base's. */
function changedSinceBase(operation: StaleOperation): string[] {
  const { base, changes, serverRow } = operation;
  if (!base) return [];
  return changes
    .map(([column]) => column)
    .filter((column) => Object.hasOwn(base, column) && stored(base[column]) !== serverRow[column]);
}

const conflictOf = (
  operation: StaleOperation,
  columns: readonly string[],
  resolution: ConflictResolution,
  serverRow: Record<string, SqlValue> | null,
): ConflictInfo => ({
  serverVersion: operation.state.version,
  serverRow,
  columns: [...columns],
  resolution,
});

const rejectWith = (
  operation: StaleOperation,
  columns: readonly string[],
  message: string,
  resolution: ConflictResolution = "SERVER_WON",
): ConflictDecision => ({
  kind: "reject",
  rejection: { code: "CONFLICT", message },
  conflict: conflictOf(operation, columns, resolution, operation.serverRow),
});

/** A write of `changes`, resolved as `resolution`, the answer's row being the one after it. */
const writeOf = (
  operation: StaleOperation,
  columns: readonly string[],
  changes: ReadonlyArray<readonly [string, SqlValue]>,
  resolution: ConflictResolution,
): ConflictDecision => ({
  kind: "write",
  changes,
  conflict: (after) => conflictOf(operation, columns, resolution, after),
});

/** Turns a custom policy's `write` values into checked changes (an app's mistake fails the request). */
function customChanges(table: TableInfo, values: ConflictRow): Array<[string, SqlValue]> {
  if (typeof values !== "object" || values === null) {
    throw new TypeError(`the custom conflict policy of ${table.name} returned write: ${values}`);
  }
  return Object.entries(values).map(([column, value]) => {
    const info = table.columnsByName.get(column);
    if (!info || info.isKey) {
      throw new TypeError(
        `the custom conflict policy of ${table.name} wrote ${column}, which is not a column it may write`,
      );
    }
    if (value !== null && typeof value !== "string" && typeof value !== "number") {
      throw new TypeError(
        `the custom conflict policy of ${table.name} wrote ${typeof value} to ${column}`,
      );
    }
    return [column, value];
  });
}

/** The verdict of a custom policy, checked (it is the app's code). */
async function decideCustom(
  operation: StaleOperation,
  columns: string[],
  resolve: (conflict: Parameters<CustomResolverOf>[0]) => CustomVerdict | Promise<CustomVerdict>,
): Promise<ConflictDecision> {
  const { table, kind, changes } = operation;
  const incoming = kind === "UPDATE" ? Object.fromEntries(changes) : null;
  const verdict = await resolve({
    table: table.name,
    key: String(operation.key),
    clientId: operation.clientId,
    kind,
    baseVersion: operation.baseVersion,
    base: (operation.base as ConflictRow | null) ?? null,
    incoming,
    serverRow: operation.serverRow,
    serverVersion: operation.state.version,
    columns,
  });
  if (verdict && "reject" in verdict && typeof verdict.reject === "string") {
    return rejectWith(operation, columns, verdict.reject);
  }
  if (verdict && "accept" in verdict && verdict.accept === true) {
    const won = kind === "DELETE" || columns.length > 0;
    return writeOf(operation, columns, changes, won ? "CLIENT_WON" : "MERGED");
  }
  if (verdict && "write" in verdict && kind === "UPDATE") {
    return writeOf(operation, columns, customChanges(table, verdict.write), "MERGED");
  }
  throw new TypeError(
    `the custom conflict policy of ${table.name} must return { accept: true }, { write } (UPDATE only) or { reject: message }`,
  );
}

type CustomResolverOf = Extract<TableInfo["conflicts"], { kind: "custom" }>["resolve"];

/**
 * Decides a stale UPDATE or DELETE of a row that exists, by its table's policy (SYNC.md,
 * "Conflicts"). `mergeColumns` writes the operation's columns, a column another writer also
 * changed going to the table's winner (all of them to the server: nothing is written, SERVER_WON);
 * a stale DELETE applies. `serverWins` rejects both with CONFLICT and the server's row. `custom`
 * asks the app's function. The policy `none` never gets here.
 */
export async function decideConflict(operation: StaleOperation): Promise<ConflictDecision> {
  const { table, kind, changes } = operation;
  const policy = table.conflicts;
  const columns = kind === "UPDATE" ? changedSinceBase(operation) : [];
  const what = `${kind} of ${table.name} ${String(operation.key)} (based on version ${operation.baseVersion})`;
  const since = `another writer changed it since: it is at version ${operation.state.version}`;
  switch (policy.kind) {
    case "serverWins":
      return rejectWith(operation, columns, `${what}: ${since}, and the server's row wins`);
    case "custom":
      return decideCustom(operation, columns, policy.resolve);
    case "none":
    case "mergeColumns": {
      if (kind === "DELETE") return writeOf(operation, columns, [], "CLIENT_WON");
      if (policy.kind === "none" || policy.winner === "client") {
        return writeOf(operation, columns, changes, columns.length > 0 ? "CLIENT_WON" : "MERGED");
      }
      const kept = changes.filter(([column]) => !columns.includes(column));
      return writeOf(operation, columns, kept, kept.length === 0 ? "SERVER_WON" : "MERGED");
    }
  }
}

/** The answer to a stale UPDATE or DELETE of a row another writer deleted. */
export function deletedRemotely(
  table: TableInfo,
  key: SqlValue,
  baseVersion: number,
  state: RowState,
): { rejection: Rejection; conflict: ConflictInfo } {
  return {
    rejection: {
      code: "CONFLICT",
      message: `${table.name} ${String(key)} was deleted by another writer (version ${state.version}) after version ${baseVersion}, which this change was based on`,
    },
    conflict: {
      serverVersion: state.version,
      serverRow: null,
      columns: [],
      resolution: "DELETED_REMOTELY",
    },
  };
}
