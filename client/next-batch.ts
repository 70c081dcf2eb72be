import { randomUUID } from "node:crypto";
import type { Client } from "@libsql/client";
import type { SyncModel } from "../schema/index.ts";
import type { WriteTransaction } from "../writer/index.ts";
import { batchEvents, isBatchMember } from "./batch-members.ts";
import { type BatchLimits, fitBody, rejectTooLarge } from "./fit-body.ts";

/** A batch of a segment: the operations of one request, and its batch id, fixed before its first attempt. */
export interface Batch {
  readonly batchId: string;
  /**
   * The events as the wire carries them (`[SyncOperationInput!]!`), in outbox order, as one JSON
   * text in UTF-8 built by SQLite: it goes into the request body as is, never parsed or built
   * again in JS, and as bytes it stays out of the JS heap (whose peak would grow with it).
   */
  readonly operationsJson: Uint8Array;
  /** The seq of each event, in order: the `eventId`s of the operations. */
  readonly seqs: readonly number[];
  /**
   * For each event in order: `table\u0000key` if it inserts into an autonumbered table (an
   * applied one needs a key mapping in the answer), else null.
   */
  readonly tempKeys: ReadonlyArray<string | null>;
  /** The checkpoint that closes the segment, consumed with the answer. */
  readonly checkpointSeq: number | null;
  /** Formed by this call: no attempt of it was sent before (an open batch may have reached a server). */
  readonly fresh: boolean;
  /**
   * The batch id its events carry if an earlier version formed it (`sync_batch.members_marked`),
   * else null: its events are the pending ones of its seq range.
   */
  readonly mark: string | null;
}

/** Pending events that no batch formed by an earlier version marks (checkpoints are pending too). */
const unmarked = "status = 'pending' AND batch_id IS NULL";

/**
 * The events matching `where`, as JSON built by SQLite (no row objects in JS): the operations as
 * the wire carries them, the seqs, and the inserted temporary keys the answer's mappings are
 * checked against. The first parameter is the JSON array of the autonumbered tables' names.
 * `ordered` sorts each aggregate's input by seq; without it the three aggregates take the rows as
 * the inner query yields them (in seq order in practice, but SQLite does not promise it), which
 * spares three sorts of a whole batch: see {@link readBatch}.
 */
const batchQuery = (where: string, ordered: boolean) => {
  const order = ordered ? " ORDER BY seq" : "";
  return `
  SELECT CAST('[' || coalesce(group_concat(operation, ','${order}), '') || ']' AS BLOB) AS operations,
         json_group_array(seq${order}) AS seqs,
         json_group_array(CASE WHEN kind = 'insert' AND table_name IN (SELECT value FROM json_each(?))
                          THEN table_name || char(0) || row_key END${order}) AS temp_keys,
         count(*) AS n, max(seq) AS last
  FROM (SELECT * FROM sync_outbox WHERE ${where} ORDER BY seq LIMIT ?)`;
};

/** The parts of a batch read from one row of {@link batchQuery}. */
const batchRows = (row: Record<string, unknown> | undefined) => ({
  parts: {
    operationsJson: new Uint8Array(row?.operations as ArrayBuffer),
    seqs: JSON.parse(String(row?.seqs)) as number[],
    tempKeys: JSON.parse(String(row?.temp_keys)) as Array<string | null>,
  },
  count: Number(row?.n ?? 0),
  last: Number(row?.last),
});

const ascending = (seqs: readonly number[]): boolean => {
  for (let i = 1; i < seqs.length; i++) if ((seqs[i] ?? 0) <= (seqs[i - 1] ?? 0)) return false;
  return true;
};

/**
 * Runs {@link batchQuery} unordered, and again ordered should the seqs come out of order. The
 * three aggregates are fed the same rows in the same steps, so seqs in order mean the operations
 * and temporary keys are in order too.
 */
async function readBatch(tx: WriteTransaction, where: string, args: Array<number | string | null>) {
  const { rows } = await tx.execute({ sql: batchQuery(where, false), args });
  const read = batchRows(rows[0]);
  if (ascending(read.parts.seqs)) return read;
  const { rows: sorted } = await tx.execute({ sql: batchQuery(where, true), args });
  return batchRows(sorted[0]);
}

async function openBatch(
  tx: WriteTransaction,
  autonumbered: string,
  skip: string | undefined,
): Promise<Batch | undefined> {
  for (;;) {
    const { rows } = await tx.execute({
      // In the order they were formed, which is the order they were posted in: a batch is posted
      // only once the one before it committed, so the later of two open batches was never applied
      // if the earlier one was not (send() may dissolve it then). By seq they can come the other
      // way round: a batch formed from retried events lies below the batch in flight.
      sql: `SELECT batch_id, first_seq, last_seq, checkpoint_seq, members_marked FROM sync_batch
            WHERE batch_id != ? ORDER BY formed LIMIT 1`,
      args: [skip ?? ""],
    });
    const [batch] = rows;
    if (!batch) return undefined;
    const batchId = String(batch.batch_id);
    const mark = Number(batch.members_marked) ? batchId : null;
    const { count, parts } = await readBatch(tx, batchEvents, [
      autonumbered,
      Number(batch.first_seq),
      Number(batch.last_seq),
      mark,
      -1,
    ]);
    if (count > 0) {
      return {
        batchId,
        ...parts,
        checkpointSeq: batch.checkpoint_seq === null ? null : Number(batch.checkpoint_seq),
        fresh: false,
        mark,
      };
    }
    await tx.execute({ sql: "DELETE FROM sync_batch WHERE batch_id = ?", args: [batchId] });
  }
}

const one = async (
  tx: WriteTransaction,
  sql: string,
  args: Array<number | string>,
): Promise<number | null> => {
  const { rows } = await tx.execute({ sql, args });
  const value = rows[0]?.value;
  return value === null || value === undefined ? null : Number(value);
};

/**
 * The first pending unmarked event outside the ranges `open` (those of open batches that do not
 * mark their events), up to `limitSeq`; null when there is none.
 */
async function firstFree(
  tx: WriteTransaction,
  open: ReadonlyArray<readonly [number, number]>,
  limitSeq: number,
): Promise<number | null> {
  let after = 0;
  for (;;) {
    const seq = await one(
      tx,
      `SELECT min(seq) AS value FROM sync_outbox WHERE ${unmarked} AND kind != 'checkpoint' AND seq > ? AND seq <= ?`,
      [after, limitSeq],
    );
    const inside = seq === null ? undefined : open.find(([lo, hi]) => seq >= lo && seq <= hi);
    if (!inside) return seq;
    after = inside[1];
  }
}

/**
 * How far a new batch starting at `first` may reach: up to the next checkpoint (returned too) or
 * `limitSeq`, and before the next rejected event (which the app could put back to pending), the
 * next open batch (`open`: their seq ranges) and, when `marking`, the next marked event.
 */
async function rangeOf(
  tx: WriteTransaction,
  first: number,
  limitSeq: number,
  open: ReadonlyArray<readonly [number, number]>,
  marking: boolean,
): Promise<{ checkpoint: number | null; end: number }> {
  const checkpoint = await one(
    tx,
    `SELECT min(seq) AS value FROM sync_outbox WHERE ${unmarked} AND kind = 'checkpoint' AND seq > ? AND seq <= ?`,
    [first, limitSeq],
  );
  const rejected = await one(
    tx,
    "SELECT min(seq) AS value FROM sync_outbox WHERE status = 'rejected' AND seq > ?",
    [first],
  );
  const nextOpen = open.find(([lo]) => lo > first)?.[0];
  let end = checkpoint ?? limitSeq;
  if (rejected !== null) end = Math.min(end, rejected - 1);
  if (nextOpen !== undefined) end = Math.min(end, nextOpen - 1);
  if (marking) {
    // Nor may the range hold a marked event: rejected by its answer, then retried, it would turn
    // into a pending unmarked event inside this batch's range.
    const marked = await one(
      tx,
      "SELECT min(seq) AS value FROM sync_outbox WHERE batch_id IS NOT NULL AND seq > ? AND seq <= ?",
      [first, end],
    );
    if (marked !== null) end = marked - 1;
  }
  return { checkpoint, end };
}

/**
 * The next batch to send: the batch already formed and not yet answered (so a resend is a replay),
 * else a new one, formed and stored in one local transaction: the pending events from the first
 * one up to the next checkpoint, at most `limits.maxOperations` and, when the server's body limit
 * is known, as many as fit its request body (an event whose request alone is too large is marked
 * rejected, `BODY_TOO_LARGE`, never sent); none after `limitSeq`. Reads one batch, never the whole
 * outbox. Checkpoints with nothing before them are dropped. `skip` names a batch in flight, to
 * form the one after it. Runs inside the caller's write transaction.
 *
 * A new batch is one `sync_batch` row: its events are the pending unmarked ones of its seq range.
 * So that this holds until its answer, the range stops before the next rejected event (which the
 * app could put back to pending), before the next open batch and before any marked event; events
 * are recorded only after the last seq, and nothing else makes an event pending.
 */
export async function nextBatch(
  tx: WriteTransaction,
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
  const { rows: openRows } = await tx.execute(
    "SELECT first_seq, last_seq, members_marked FROM sync_batch ORDER BY first_seq",
  );
  const open = openRows.map((row) => [Number(row.first_seq), Number(row.last_seq)] as const);
  // An earlier version's batch is its marked events: the unmarked ones in its range are free.
  const marking = openRows.some((row) => Number(row.members_marked) === 1);
  const free = open.filter((_, i) => Number(openRows[i]?.members_marked) !== 1);
  for (;;) {
    const first = await firstFree(tx, free, limitSeq);
    // Checkpoints with nothing left to send before them go, except one closing a batch still in
    // flight: until its answer arrives the outbox stays as it was.
    await tx.execute({
      sql: `DELETE FROM sync_outbox WHERE ${unmarked} AND kind = 'checkpoint' AND seq < ?
            AND seq NOT IN (SELECT checkpoint_seq FROM sync_batch WHERE checkpoint_seq IS NOT NULL)`,
      args: [first ?? limitSeq + 1],
    });
    if (first === null) return undefined;
    const { checkpoint, end } = await rangeOf(tx, first, limitSeq, open, marking);
    let upTo = end;
    const where = `${unmarked} AND kind != 'checkpoint' AND seq BETWEEN ? AND ?`;
    if (limits.body) {
      const fit = await fitBody(tx, where, [first, upTo], limits.maxOperations, limits.body);
      if ("tooLarge" in fit) {
        await rejectTooLarge(tx, first, fit.tooLarge, limits.body.maxBytes);
        limits.onTooLarge?.(first);
        continue;
      }
      upTo = fit.last;
    }
    const { last, parts } = await readBatch(tx, where, [
      autonumbered,
      first,
      upTo,
      limits.maxOperations,
    ]);
    // The batch closes its segment only if no pending event of any kind lies between it and the
    // checkpoint (an open batch's or a cut-off one's would).
    const rest =
      checkpoint === null
        ? null
        : await one(
            tx,
            "SELECT min(seq) AS value FROM sync_outbox WHERE status = 'pending' AND kind != 'checkpoint' AND seq > ? AND seq < ?",
            [last, checkpoint],
          );
    const checkpointSeq = rest === null ? checkpoint : null;
    const batchId = randomUUID();
    await tx.execute({
      sql: `INSERT INTO sync_batch (batch_id, first_seq, last_seq, checkpoint_seq, operations, members_marked, formed)
            VALUES (?, ?, ?, ?, ?, 0, (SELECT coalesce(max(formed), 0) + 1 FROM sync_batch))`,
      args: [batchId, first, last, checkpointSeq, parts.seqs.length],
    });
    return { batchId, ...parts, checkpointSeq, fresh: true, mark: null };
  }
}

/** What is left to send up to `limitSeq`: operations, and batches at `maxOperations` each. */
export async function outboxTotals(
  client: Client,
  limitSeq: number,
  maxOperations: number,
): Promise<{ operations: number; batches: number }> {
  const { rows } = await client.execute({
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
  return { operations: Number(rows[0]?.operations ?? 0), batches: Number(rows[0]?.batches ?? 0) };
}
