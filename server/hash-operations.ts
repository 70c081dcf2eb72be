import { createHash } from "node:crypto";
import type { SyncOperation } from "./operation.ts";

/** A copy of a JSON value whose objects have their keys in sorted order, so JSON.stringify is canonical. */
function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(sortedCopy);
  const object = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(object).sort()) {
    if (object[key] !== undefined) copy[key] = sortedCopy(object[key]);
  }
  return copy;
}

/**
 * The identity of a request's operations: SHA-256 of their canonical JSON (keys sorted, a missing
 * `data` the same as null), so two requests compare as JSON values whatever their key order.
 * V8 serialises objects in insertion order, so objects built with sorted keys give the canonical
 * text in one native JSON.stringify pass.
 */
export function hashOperations(operations: readonly SyncOperation[]): string {
  const canonical = new Array<unknown>(operations.length);
  for (let i = 0; i < operations.length; i++) {
    const { eventId, table, kind, key, data } = operations[i] as SyncOperation;
    canonical[i] = { data: sortedCopy(data ?? null), eventId, key, kind, table };
  }
  return createHash("sha256").update(JSON.stringify(canonical)).digest("base64url");
}
