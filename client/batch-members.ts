/**
 * SQL that is true when the outbox row `event` (an alias of `sync_outbox`) is one of the events of
 * a batch whose seq range is `first`–`last` and whose mark is `mark` (SQL expressions): a pending
 * event, not a checkpoint, inside the range, carrying the mark (the batch id of a batch formed by
 * an earlier version, which marks its events; NULL otherwise). The one definition of membership.
 */
export function isEventOf(event: string, first: string, last: string, mark: string): string {
  return `(${event}.seq BETWEEN ${first} AND ${last}
    AND ${event}.status = 'pending' AND ${event}.kind != 'checkpoint' AND ${event}.batch_id IS ${mark})`;
}

/** {@link isEventOf} for the batch `batch` (an alias of `sync_batch`). */
export function isBatchMember(event: string, batch: string): string {
  return isEventOf(
    event,
    `${batch}.first_seq`,
    `${batch}.last_seq`,
    `(CASE WHEN ${batch}.members_marked THEN ${batch}.batch_id END)`,
  );
}

/**
 * The events of one known batch, for a WHERE clause on `sync_outbox` with three parameters: the
 * first and last seq of its range, and its mark (its batch id when it marks its events, else NULL).
 */
export const batchEvents = isEventOf("sync_outbox", "?", "?", "?");
