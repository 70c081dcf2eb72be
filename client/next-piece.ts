import { randomUUID } from "node:crypto";
import type { Client, Transaction } from "@libsql/client";
import type { Mutex } from "async-mutex";
import { runWrite } from "./run-write.ts";

/** An event of the outbox as it is sent. */
export interface OutboxEvent {
  readonly seq: number;
  readonly kind: "insert" | "update" | "delete";
  readonly table: string;
  readonly key: string;
  /** JSON text of the data, or null for a DELETE. */
  readonly data: string | null;
}

/** A piece of a segment: the events of one request, and its batch id, fixed before its first attempt. */
export interface Piece {
  readonly batchId: string;
  readonly events: readonly OutboxEvent[];
  /** The checkpoint that closes the segment, consumed with the answer. */
  readonly checkpointSeq: number | null;
}

const eventColumns = "seq, kind, table_name, row_key, data";

function toEvent(row: Record<string, unknown>): OutboxEvent {
  return {
    seq: Number(row.seq),
    kind: row.kind as OutboxEvent["kind"],
    table: String(row.table_name),
    key: String(row.row_key),
    data: row.data === null ? null : String(row.data),
  };
}

async function openPiece(tx: Transaction): Promise<Piece | undefined> {
  for (;;) {
    const { rows } = await tx.execute(
      "SELECT batch_id, checkpoint_seq FROM sync_piece ORDER BY first_seq LIMIT 1",
    );
    const [piece] = rows;
    if (!piece) return undefined;
    const batchId = String(piece.batch_id);
    const events = await tx.execute({
      sql: `SELECT ${eventColumns} FROM sync_outbox WHERE batch_id = ? ORDER BY seq`,
      args: [batchId],
    });
    if (events.rows.length > 0) {
      return {
        batchId,
        events: events.rows.map(toEvent),
        checkpointSeq: piece.checkpoint_seq === null ? null : Number(piece.checkpoint_seq),
      };
    }
    await tx.execute({ sql: "DELETE FROM sync_piece WHERE batch_id = ?", args: [batchId] });
  }
}

/**
 * The next piece to send: the piece already formed and not yet answered (so a resend is a replay),
 * else a new one, formed and stored in one local transaction: the pending events up to the next
 * checkpoint, at most `maxOperations` of them, none after `limitSeq`. Reads one piece, never the
 * whole outbox. Checkpoints with nothing before them are dropped.
 */
export function nextPiece(
  client: Client,
  writes: Mutex,
  limitSeq: number,
  maxOperations: number,
): Promise<Piece | undefined> {
  return runWrite(client, writes, async (tx) => {
    const open = await openPiece(tx);
    if (open) return open;
    for (;;) {
      const { rows } = await tx.execute({
        sql: `SELECT ${eventColumns} FROM sync_outbox
              WHERE status = 'pending' AND batch_id IS NULL AND seq <= ? ORDER BY seq LIMIT ?`,
        args: [limitSeq, maxOperations + 1],
      });
      const events: OutboxEvent[] = [];
      const emptyCheckpoints: number[] = [];
      let checkpointSeq: number | null = null;
      for (const row of rows) {
        if (row.kind === "checkpoint") {
          if (events.length === 0) emptyCheckpoints.push(Number(row.seq));
          else {
            checkpointSeq = Number(row.seq);
            break;
          }
        } else if (events.length < maxOperations) {
          events.push(toEvent(row));
        } else break;
      }
      if (emptyCheckpoints.length > 0) {
        await tx.execute({
          sql: "DELETE FROM sync_outbox WHERE seq IN (SELECT value FROM json_each(?))",
          args: [JSON.stringify(emptyCheckpoints)],
        });
      }
      if (events.length === 0) {
        if (rows.length > 0) continue;
        return undefined;
      }
      const batchId = randomUUID();
      const seqs = JSON.stringify(events.map((event) => event.seq));
      await tx.execute({
        sql: "INSERT INTO sync_piece (batch_id, first_seq, last_seq, checkpoint_seq, operations) VALUES (?, ?, ?, ?, ?)",
        args: [batchId, events[0]?.seq ?? 0, events.at(-1)?.seq ?? 0, checkpointSeq, events.length],
      });
      await tx.execute({
        sql: "UPDATE sync_outbox SET batch_id = ? WHERE seq IN (SELECT value FROM json_each(?))",
        args: [batchId, seqs],
      });
      return { batchId, events, checkpointSeq };
    }
  });
}

/** Drops an unanswered piece the server refused whole, so its events can be cut again. */
export function dissolvePiece(client: Client, writes: Mutex, batchId: string): Promise<void> {
  return runWrite(client, writes, async (tx) => {
    await tx.execute({
      sql: "UPDATE sync_outbox SET batch_id = NULL WHERE batch_id = ?",
      args: [batchId],
    });
    await tx.execute({ sql: "DELETE FROM sync_piece WHERE batch_id = ?", args: [batchId] });
  });
}

/** What is left to send up to `limitSeq`: operations, and pieces at `maxOperations` each. */
export async function outboxTotals(
  client: Client,
  limitSeq: number,
  maxOperations: number,
): Promise<{ operations: number; pieces: number }> {
  const { rows } = await client.execute({
    sql: `WITH segment AS (
            SELECT kind, batch_id, sum(kind = 'checkpoint') OVER (ORDER BY seq) AS segment
            FROM sync_outbox WHERE status = 'pending' AND seq <= ?
          ), sizes AS (
            SELECT count(*) AS n FROM segment WHERE kind != 'checkpoint' GROUP BY segment, batch_id IS NOT NULL
          )
          SELECT coalesce(sum(n), 0) AS operations, coalesce(sum((n + CAST(? AS INTEGER) - 1) / CAST(? AS INTEGER)), 0) AS pieces FROM sizes`,
    args: [limitSeq, maxOperations, maxOperations],
  });
  return { operations: Number(rows[0]?.operations ?? 0), pieces: Number(rows[0]?.pieces ?? 0) };
}
