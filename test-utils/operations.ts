import type { SyncOperation } from "../server/index.ts";

let nextEventId = 1;

/** An INSERT operation with a fresh event id. */
export const insert = (
  table: string,
  key: number | string,
  data: Record<string, unknown>,
): SyncOperation => ({
  eventId: String(nextEventId++),
  table,
  kind: "INSERT",
  key: String(key),
  data,
});

/** An UPDATE operation with a fresh event id. */
export const update = (
  table: string,
  key: number | string,
  data: Record<string, unknown>,
): SyncOperation => ({
  eventId: String(nextEventId++),
  table,
  kind: "UPDATE",
  key: String(key),
  data,
});

/** A DELETE operation with a fresh event id. */
export const remove = (table: string, key: number | string): SyncOperation => ({
  eventId: String(nextEventId++),
  table,
  kind: "DELETE",
  key: String(key),
  data: null,
});
