import type { SyncModel } from "../schema/index.ts";
import { batchEvents, isBatchMember } from "./batch-members.ts";
import { nextBatchSeq } from "./batch-seq.ts";
import type { DeviceDatabase, DeviceTransaction } from "./device-database.ts";
import { type BatchLimits, fitBody, rejectTooLarge, withSeqDigits } from "./fit-body.ts";
import { type BatchParts, readBatch } from "./read-batch.ts";

/** A batch of a segment: the operations of one request, and its batch id, fixed before its first attempt. */
export interface Batch extends BatchParts {
  readonly batchId: string;
  /** The batch's number among this device's batches (`batchSeq`), fixed with its batch id. */
  readonly batchSeq: number;
  /**
   * The events as the wire carries them (`[SyncOperationInput!]!`), in outbox order, as one JSON
   * text in UTF-8 built by SQLite: it goes into the request body as is, never parsed or built
   * again in JS, and as bytes it stays out of the JS heap (whose peak would grow with it).
   */
  readonly operationsJson: Uint8Array;
  /** The seq of each event, in order: the `eventId`s of the operations. */
  readonly seqs: readonly number[];
  /**
   * For each event in order: its row identity (`rowIdentity(table, key)`) if it inserts into an
   * autonumbered table (an applied one needs a key mapping in the answer), else null.
   */
  readonly tempKeys: ReadonlyArray<string | null>;
  /** The checkpoint that closes the segment, consumed with the answer. */
  readonly checkpointSeq: number | null;
  /** Formed by this call: no attempt of it was sent before (an open batch may have reached a server). */
  readonly fresh: boolean;
}

/** The one value of the first row a statement returns, as a number; null when there is none. */
async function one(tx: DeviceTransaction, sql: string, args: number[]): Promise<number | null> {
  const { rows } = await tx.execute({ sql, args });
  const value = rows[0]?.[0];
  return value === null || value === undefined ? null : Number(value);
}

/**
 * The first open batch (other than `skip`) that still has events, in the order batches were
 * formed; open batches left without events (all removed or rejected meanwhile) are dropped.
 */
async function openBatch(
  tx: DeviceTransaction,
  autonumbered: string,
  skip: string | undefined,
): Promise<Batch | undefined> {
  for (;;) {
    const { rows } = await tx.execute({
      // In the order they were formed, which is the order they were posted in: a batch is posted
      // only once the one before it committed, so the later of two open batches was never applied
      // if the earlier one was not (send() may dissolve it then). By seq they can come the other
      // way round: a batch formed from retried events lies below the batch in flight.
      sql: `SELECT batch_id, first_seq, last_seq, checkpoint_seq, batch_seq FROM sync_batch
            WHERE batch_id != ? ORDER BY formed LIMIT 1`,
      args: [skip ?? ""],
    });
    const [row] = rows;
    if (!row) return undefined;
    const [batchId, firstSeq, lastSeq, checkpointSeq, batchSeq] = row;
    const range = [Number(firstSeq), Number(lastSeq)];
    const { count, parts } = await readBatch(tx, autonumbered, batchEvents, range, -1);
    if (count > 0) {
      const checkpoint = checkpointSeq === null ? null : Number(checkpointSeq);
      const open = { batchId: String(batchId), batchSeq: Number(batchSeq) };
      return { ...open, ...parts, checkpointSeq: checkpoint, fresh: false };
    }
    await tx.execute({ sql: "DELETE FROM sync_batch WHERE batch_id = ?", args: [String(batchId)] });
  }
}

/** The seq ranges of the open batches, in seq order. */
type Ranges = ReadonlyArray<readonly [number, number]>;

/** The first pending event outside the ranges `open`, up to `limitSeq`; null when there is none. */
async function firstFree(tx: DeviceTransaction, open: Ranges, limitSeq: number) {
  let after = 0;
  for (;;) {
    const seq = await one(
      tx,
      "SELECT min(seq) FROM sync_outbox WHERE status = 'pending' AND kind != 'checkpoint' AND seq > ? AND seq <= ?",
      [after, limitSeq],
    );
    const inside = seq === null ? undefined : open.find(([lo, hi]) => seq >= lo && seq <= hi);
    if (!inside) return seq;
    after = inside[1];
  }
}

/**
 * How far a new batch starting at `first` may reach: up to the next checkpoint (returned too) or
 * `limitSeq`, and before the next rejected event (which the app could put back to pending) and
 * the next open batch (`open`: their seq ranges).
 */
async function rangeOf(tx: DeviceTransaction, first: number, limitSeq: number, open: Ranges) {
  const checkpoint = await one(
    tx,
    "SELECT min(seq) FROM sync_outbox WHERE kind = 'checkpoint' AND status = 'pending' AND seq > ? AND seq <= ?",
    [first, limitSeq],
  );
  const rejected = await one(
    tx,
    "SELECT min(seq) FROM sync_outbox WHERE status = 'rejected' AND seq > ?",
    [first],
  );
  const nextOpen = open.find(([lo]) => lo > first)?.[0];
  let end = checkpoint ?? limitSeq;
  if (rejected !== null) end = Math.min(end, rejected - 1);
  if (nextOpen !== undefined) end = Math.min(end, nextOpen - 1);
  return { checkpoint, end };
}

/**
 * Forms a new batch of the events from `first` to `end` (at most `limits.maxOperations`, and as
 * many as fit the server's body limit when it is known) and stores it as one `sync_batch` row.
 * Undefined when the first event alone is too large: it is marked rejected (`BODY_TOO_LARGE`).
 */
async function formBatch(
  tx: DeviceTransaction,
  autonumbered: string,
  [first, end]: readonly [number, number],
  checkpoint: number | null,
  limits: BatchLimits,
): Promise<Batch | undefined> {
  let upTo = end;
  const where = "status = 'pending' AND kind != 'checkpoint' AND seq BETWEEN ? AND ?";
  // Taken first: its digits are part of the request body that must fit.
  const batchSeq = await nextBatchSeq(tx);
  if (limits.body) {
    const body = withSeqDigits(limits.body, batchSeq);
    const fit = await fitBody(tx, where, [first, upTo], limits.maxOperations, body);
    if ("tooLarge" in fit) {
      await rejectTooLarge(tx, first, fit.tooLarge, limits.body.maxBytes);
      limits.onTooLarge?.(first);
      return undefined;
    }
    upTo = fit.last;
  }
  const { last, parts } = await readBatch(
    tx,
    autonumbered,
    where,
    [first, upTo],
    limits.maxOperations,
  );
  // The batch closes its segment only if no pending event of any kind lies between it and the
  // checkpoint (an open batch's or a cut-off one's would).
  const rest =
    checkpoint === null
      ? null
      : await one(
          tx,
          "SELECT min(seq) FROM sync_outbox WHERE status = 'pending' AND kind != 'checkpoint' AND seq > ? AND seq < ?",
          [last, checkpoint],
        );
  const checkpointSeq = rest === null ? checkpoint : null;
  const batchId = crypto.randomUUID();
  await tx.execute({
    sql: `INSERT INTO sync_batch (batch_id, first_seq, last_seq, checkpoint_seq, formed, batch_seq)
          VALUES (?, ?, ?, ?, (SELECT coalesce(max(formed), 0) + 1 FROM sync_batch), ?)`,
    args: [batchId, first, last, checkpointSeq, batchSeq],
  });
  return { batchId, batchSeq, ...parts, checkpointSeq, fresh: true };
}

/**
 * The next batch to send: the batch already formed and not yet answered (so a resend is a replay),
 * else a new one, formed and stored in the caller's write transaction: the pending events from the
 * first one up to the next checkpoint, at most `limits.maxOperations` and, when the server's body
 * limit is known, as many as fit its request body (an event whose request alone is too large is
 * marked rejected, `BODY_TOO_LARGE`, never sent); none after `limitSeq`. Reads one batch, never
 * the whole outbox. Checkpoints with nothing before them are dropped. `skip` names a batch in
 * flight, to form the one after it.
 *
 * A new batch is one `sync_batch` row: its events are the pending ones of its seq range. So that
 * this holds until its answer, the range stops before the next rejected event (which the app could
 * put back to pending) and before the next open batch; events are recorded only after the last
 * seq, and nothing else makes an event pending.
 */
export async function nextBatch(
  tx: DeviceTransaction,
  model: SyncModel,
  limitSeq: number,
  limits: BatchLimits,
  skip?: string,
): Promise<Batch | undefined> {
  const autonumbered = JSON.stringify(
    model.ordered.filter((table) => table.keyKind === "autonumber").map((table) => table.name),
  );
  const unanswered = await openBatch(tx, autonumbered, skip);
  if (unanswered) return unanswered;
  const { rows } = await tx.execute(
    "SELECT first_seq, last_seq FROM sync_batch ORDER BY first_seq",
  );
  const open = rows.map((row) => [Number(row[0]), Number(row[1])] as const);
  for (;;) {
    const first = await firstFree(tx, open, limitSeq);
    // Checkpoints with nothing left to send before them go, except one closing a batch still in
    // flight: until its answer arrives the outbox stays as it was.
    await tx.execute({
      sql: `DELETE FROM sync_outbox WHERE kind = 'checkpoint' AND status = 'pending' AND seq < ?
            AND seq NOT IN (SELECT checkpoint_seq FROM sync_batch WHERE checkpoint_seq IS NOT NULL)`,
      args: [first ?? limitSeq + 1],
    });
    if (first === null) return undefined;
    const { checkpoint, end } = await rangeOf(tx, first, limitSeq, open);
    const batch = await formBatch(tx, autonumbered, [first, end], checkpoint, limits);
    if (batch) return batch;
  }
}

/** The seq of the newest event (0 for an empty outbox): a send goes no further. */
export async function lastEventSeq(database: DeviceDatabase): Promise<number> {
  const { rows } = await database.read("SELECT coalesce(max(seq), 0) FROM sync_outbox");
  return Number(rows[0]?.[0] ?? 0);
}

/** What is left to send up to `limitSeq`: operations, and batches at `maxOperations` each. */
export async function outboxTotals(
  database: DeviceDatabase,
  limitSeq: number,
  maxOperations: number,
): Promise<{ operations: number; batches: number }> {
  const { rows } = await database.read({
    sql: `WITH segment AS (
            SELECT o.kind, p.batch_id AS batch, sum(o.kind = 'checkpoint') OVER (ORDER BY o.seq) AS segment
            FROM sync_outbox o LEFT JOIN sync_batch p ON ${isBatchMember("o", "p")}
            WHERE o.status = 'pending' AND o.seq <= ?
          ), sizes AS (
            SELECT count(*) AS n FROM segment WHERE kind != 'checkpoint' GROUP BY segment, batch
          )
          SELECT coalesce(sum(n), 0) AS operations,
                 coalesce(sum((n + CAST(? AS INTEGER) - 1) / CAST(? AS INTEGER)), 0) AS batches FROM sizes`,
    args: [limitSeq, maxOperations, maxOperations],
  });
  return { operations: Number(rows[0]?.[0] ?? 0), batches: Number(rows[0]?.[1] ?? 0) };
}
