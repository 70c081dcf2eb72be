/**
 * The response header by which the server says that a `syncBatch` request committed: its value
 * is the batch id (the server's `useCommitSignal`).
 */
export const commitHeader = "x-sync-committed";

/**
 * Whether `response` says that the batch `batchId` committed: a 200 answer whose commit header is
 * exactly that batch id. A batch id is a random UUID that only the request carried, so a garbled
 * header, one repeated from another answer, or two headers (joined with a comma) say nothing.
 * Only the early post of the next batch rests on this; what the device applies comes from the
 * answer, and an answer that never arrives leaves the batch open, to be replayed.
 */
export function signalsCommit(response: Response, batchId: string): boolean {
  return response.status === 200 && response.headers.get(commitHeader) === batchId;
}
