import type { DeviceTransaction } from "./device-database.ts";

/** How much one batch may hold. */
export interface BatchLimits {
  /** At most this many operations. */
  readonly maxOperations: number;
  /**
   * When the server's body limit is known: `maxBytes`, and the bytes of a request besides its
   * operations' JSON (`Transport.envelopeBytes`). A batch's request must fit.
   */
  readonly body?: { readonly maxBytes: number; readonly envelopeBytes: number } | undefined;
  /** Told of each event rejected on the device because its request alone would be too large. */
  readonly onTooLarge?: ((seq: number) => void) | undefined;
}

/**
 * Where a batch of the events matching `where` (in seq order, at most `maxOperations`) must end
 * for its request body to fit the server's limit: `last`, the seq of its last event; or
 * `tooLarge`, the size of the request of the first event alone, which does not fit. The operations'
 * JSON is `[` + the events' wire JSON joined by `,` + `]`, all UTF-8 as SQLite stores it, so the
 * size is exact. Reads only the events' sizes, never their text.
 */
export async function fitBody(
  tx: DeviceTransaction,
  where: string,
  args: number[],
  maxOperations: number,
  body: NonNullable<BatchLimits["body"]>,
): Promise<{ last: number } | { tooLarge: number }> {
  const budget = body.maxBytes - body.envelopeBytes - 1;
  // Usually the whole batch fits: one sum says so, cheaper than the running sum below.
  const { rows: sums } = await tx.execute({
    sql: `SELECT sum(octet_length(operation) + 1) AS total, max(seq) AS last FROM (
            SELECT seq, operation FROM sync_outbox WHERE ${where} ORDER BY seq LIMIT ?)`,
    args: [...args, maxOperations],
  });
  const [total, lastOfAll] = sums[0] ?? [];
  if (Number(total) <= budget) return { last: Number(lastOfAll) };
  const { rows } = await tx.execute({
    sql: `SELECT max(CASE WHEN total <= ? THEN seq END) AS last, min(total) AS first FROM (
            SELECT seq, sum(size) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) AS total FROM (
              SELECT seq, octet_length(operation) + 1 AS size FROM sync_outbox
              WHERE ${where} ORDER BY seq LIMIT ?))`,
    // Each event adds its JSON and a comma (or the closing bracket); the opening bracket is one more.
    args: [budget, ...args, maxOperations],
  });
  const [last, first] = rows[0] ?? [];
  if (last !== null && last !== undefined) return { last: Number(last) };
  return { tooLarge: body.envelopeBytes + 1 + Number(first ?? 0) };
}

/**
 * Marks a pending event rejected on the device with `BODY_TOO_LARGE`: the request of the event
 * alone would be larger than the server reads, so it is not sent. It no longer blocks the outbox,
 * and the app can fix or remove it (a retry is checked again before anything is sent).
 */
export async function rejectTooLarge(
  tx: DeviceTransaction,
  seq: number,
  bytes: number,
  maxBytes: number,
): Promise<void> {
  await tx.execute({
    sql: `UPDATE sync_outbox SET status = 'rejected', error_code = 'BODY_TOO_LARGE', error_message = ?
          WHERE seq = ?`,
    args: [
      `the request of this event alone would be ${bytes} bytes, larger than the server's limit of ${maxBytes} bytes (maxBodyBytes); it was not sent`,
      seq,
    ],
  });
}

/**
 * The body limits of a batch numbered `batchSeq`: the envelope (`Transport.envelopeBytes`) counts
 * one digit of batchSeq, the batch's own number may have more.
 */
export function withSeqDigits(
  body: NonNullable<BatchLimits["body"]>,
  batchSeq: number,
): NonNullable<BatchLimits["body"]> {
  return { ...body, envelopeBytes: body.envelopeBytes + String(batchSeq).length - 1 };
}
