import { createHash } from "node:crypto";
import { stringify } from "safe-stable-stringify";
import type { SyncOperation } from "./operation.ts";

/**
 * The identity of a request's operations: SHA-256 of their canonical JSON (keys sorted, a missing
 * `data` the same as null), so two requests compare as JSON values whatever their key order.
 */
export function hashOperations(operations: readonly SyncOperation[]): string {
  const canonical = stringify(
    operations.map(({ eventId, table, kind, key, data }) => ({
      eventId,
      table,
      kind,
      key,
      data: data ?? null,
    })),
  );
  return createHash("sha256")
    .update(canonical ?? "")
    .digest("base64url");
}
