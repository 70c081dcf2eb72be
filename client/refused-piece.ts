import type { Writer } from "../writer/index.ts";
import type { Piece } from "./next-piece.ts";
import { pieceEvents } from "./piece-members.ts";
import { rewriteWithKnownMappings } from "./rewrite-events.ts";

/** The first and last seq of a piece's events: where to find them by the outbox's key. */
const seqRange = (piece: Piece): [number, number] => [piece.seqs[0] ?? 0, piece.seqs.at(-1) ?? 0];

/**
 * Releases a piece the server refused whole (so nothing of it was applied): its events wait again,
 * to be cut smaller, with the keys mapped while they were in flight written in.
 */
export function dissolvePiece(writes: Writer, piece: Piece): Promise<void> {
  return writes.run(async (tx) => {
    if (piece.mark !== null) {
      await tx.execute({
        sql: "UPDATE sync_outbox SET batch_id = NULL WHERE batch_id = ? AND seq BETWEEN ? AND ?",
        args: [piece.mark, ...seqRange(piece)],
      });
    }
    await tx.execute({ sql: "DELETE FROM sync_piece WHERE batch_id = ?", args: [piece.batchId] });
    await rewriteWithKnownMappings(tx, JSON.stringify(piece.seqs));
  });
}

/**
 * Marks the one event of a piece rejected by the device itself, with the server's whole-request
 * refusal (a single event larger than the server accepts), so it no longer blocks the outbox and
 * the app can fix or remove it.
 */
export function rejectPiece(
  writes: Writer,
  piece: Piece,
  code: string,
  message: string,
): Promise<void> {
  return writes.run(async (tx) => {
    await tx.execute({
      sql: `UPDATE sync_outbox SET status = 'rejected', error_code = ?, error_message = ?, batch_id = NULL
            WHERE ${pieceEvents}`,
      args: [code, message, ...seqRange(piece), piece.mark],
    });
    await tx.execute({ sql: "DELETE FROM sync_piece WHERE batch_id = ?", args: [piece.batchId] });
    await rewriteWithKnownMappings(tx, JSON.stringify(piece.seqs));
  });
}
