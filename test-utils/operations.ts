import type { OperationKind, SyncOperation } from "../server/index.ts";

let nextEventId = 1;

const operation =
  (kind: OperationKind) =>
  (
    table: string,
    key: number | string,
    data: Record<string, unknown> | null = null,
  ): SyncOperation => ({
    eventId: String(nextEventId++),
    table,
    kind,
    key: String(key),
    data,
  });

/** An INSERT operation with a fresh event id. */
export const insert = operation("INSERT");

/** An UPDATE operation with a fresh event id. */
export const update = operation("UPDATE");

/** A DELETE operation with a fresh event id. */
export const remove = (table: string, key: number | string): SyncOperation =>
  operation("DELETE")(table, key);

/**
 * The same operations with the keys of each operation and of its data in another order: the same
 * request as far as the server's identity of a request goes.
 */
export const withKeysReordered = (operations: readonly SyncOperation[]): SyncOperation[] =>
  operations.map(({ data, key, kind, table, eventId }) => ({
    data:
      data && typeof data === "object" ? Object.fromEntries(Object.entries(data).reverse()) : data,
    key,
    kind,
    table,
    eventId,
  }));
