/**
 * SQL that is true when the outbox row `event` (an alias of `sync_outbox`) is one of the events of
 * a batch whose seq range is `first`–`last` (SQL expressions): a pending event, not a checkpoint,
 * inside the range. The one definition of membership: a batch is one `sync_batch` row, and its
 * range stays free of any event that could turn pending while it is open (see `nextBatch`).
 */
export function isEventOf(event: string, first: string, last: string): string {
  return `(${event}.seq BETWEEN ${first} AND ${last}
    AND ${event}.status = 'pending' AND ${event}.kind != 'checkpoint')`;
}

/** {@link isEventOf} for the batch `batch` (an alias of `sync_batch`). */
export function isBatchMember(event: string, batch: string): string {
  return isEventOf(event, `${batch}.first_seq`, `${batch}.last_seq`);
}

/**
 * The events of one known batch, for a WHERE clause on `sync_outbox` with two parameters: the
 * first and last seq of its range.
 */
export const batchEvents = isEventOf("sync_outbox", "?", "?");
