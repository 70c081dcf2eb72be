/** The limits the server enforces on a request. */
export interface SyncLimits {
  /** At most this many operations per `syncBatch` (more: `BATCH_TOO_LARGE`). */
  readonly maxOperationsPerRequest: number;
  /** At most this many bytes of request body (more: HTTP 413). */
  readonly maxBodyBytes: number;
}

/** 10,000 operations, and room for them with text columns of about 1.5 KB each. */
export const defaultLimits: SyncLimits = {
  maxOperationsPerRequest: 10_000,
  maxBodyBytes: 16 * 1024 * 1024,
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
