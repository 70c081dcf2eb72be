/**
 * SQL that is true when the outbox row `event` (an alias of `sync_outbox`) is one of the events of
 * the piece `piece` (an alias of `sync_piece`): a pending event, not a checkpoint, inside the
 * piece's seq range, carrying the piece's batch id if the piece marks its events (one formed by an
 * earlier version) and none otherwise.
 */
export function isPieceMember(event: string, piece: string): string {
  return `(${event}.seq BETWEEN ${piece}.first_seq AND ${piece}.last_seq
    AND ${event}.status = 'pending' AND ${event}.kind != 'checkpoint'
    AND ${event}.batch_id IS (CASE WHEN ${piece}.members_marked THEN ${piece}.batch_id END))`;
}

/**
 * The events of one known piece, for a WHERE clause with three parameters: the first and last seq
 * of its range, and its mark (its batch id when it marks its events, else NULL).
 */
export const pieceEvents =
  "seq BETWEEN ? AND ? AND status = 'pending' AND kind != 'checkpoint' AND batch_id IS ?";
