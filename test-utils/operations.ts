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
