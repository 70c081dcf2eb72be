/** The limits the server enforces on a request. */
export interface SyncLimits {
  /** At most this many operations per `syncBatch` (more: `BATCH_TOO_LARGE`). */
  readonly maxOperationsPerRequest: number;
  /** At most this many bytes of request body (more: HTTP 413). */
  readonly maxBodyBytes: number;
  /** At most this many changes per `syncChanges` page (a larger `limit` is clamped to it). */
  readonly maxChangesPerPage: number;
  /** Tombstones of deleted rows are kept at least this long, in seconds. */
  readonly tombstoneRetentionSeconds: number;
}

/**
 * 10,000 operations, and room for them with text columns of about 1.5 KB each; pages of 1,000
 * changes; tombstones kept 30 days.
 */
export const defaultLimits: SyncLimits = {
  maxOperationsPerRequest: 10_000,
  maxBodyBytes: 16 * 1024 * 1024,
  maxChangesPerPage: 1_000,
  tombstoneRetentionSeconds: 30 * 24 * 60 * 60,
};

/** Fills in defaults and refuses limits that are not positive integers, naming the one at fault. */
export function resolveLimits(limits: Partial<SyncLimits> = {}): SyncLimits {
  const resolved = { ...defaultLimits, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new TypeError(`limits.${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return resolved;
}
