import { createNodeFetch } from "../client/index.ts";
import type { WireOperation } from "./conflict-reference.ts";
import { isSyncBatchRequest } from "./is-sync-batch-request.ts";
import type { SyncBatchAnswer } from "./test-server.ts";

/** One syncBatch exchange as the device's fetch saw it. */
export interface TappedBatch {
  readonly clientId: string;
  readonly batchId: string;
  readonly operations: readonly WireOperation[];
  /** The server's answer (null: it sent none, e.g. an error). */
  readonly answer: SyncBatchAnswer | null;
  /** Whether the answer was dropped on the way back to the device. */
  readonly dropped: boolean;
}

/** A device's fetch that shows every syncBatch it sends, and drops answers on demand. */
export interface BatchTapFetch {
  readonly fetch: typeof fetch;
  /** The next `count` syncBatch answers are lost after the server committed them. */
  dropAnswers(count: number): void;
  /** Answers still to drop (disarms them). */
  disarm(): number;
  /** Called with each exchange, in the order the device made them. */
  onBatch: ((batch: TappedBatch) => void) | undefined;
  close(): void;
}

const decoded = (body: RequestInit["body"]): string =>
  typeof body === "string"
    ? body
    : body instanceof Uint8Array
      ? new TextDecoder().decode(body)
      : "";

/**
 * Wraps a fetch of its own: each syncBatch request is read (its client, batch id and operations)
 * and its answer shown to `onBatch` before the device gets it, or instead of the device when the
 * answer is to be dropped (the server applied the batch; the device sees a reset connection).
 */
export function batchTapFetch(): BatchTapFetch {
  const own = createNodeFetch();
  let drop = 0;
  const tap: BatchTapFetch = {
    onBatch: undefined,
    dropAnswers(count) {
      drop = count;
    },
    disarm() {
      const left = drop;
      drop = 0;
      return left;
    },
    close: () => own.close(),
    fetch: async (input, init) => {
      if (!isSyncBatchRequest(init)) return own(input, init);
      const request = JSON.parse(decoded(init?.body)) as {
        variables: { input: { clientId: string; batchId: string; operations: WireOperation[] } };
      };
      const response = await own(input, init);
      const text = await response.text();
      let answer: SyncBatchAnswer | null = null;
      try {
        answer =
          (JSON.parse(text) as { data?: { syncBatch?: SyncBatchAnswer } }).data?.syncBatch ?? null;
      } catch {
        answer = null;
      }
      const dropped = drop > 0;
      if (dropped) drop -= 1;
      const { clientId, batchId, operations } = request.variables.input;
      tap.onBatch?.({ clientId, batchId, operations, answer, dropped });
      if (dropped) throw new TypeError("fetch failed: connection reset (injected)");
      // Only the headers the client reads: the body is text again, so no encoding or length.
      const headers: Record<string, string> = { "content-type": "application/json" };
      const committed = response.headers.get("x-sync-committed");
      if (committed !== null) headers["x-sync-committed"] = committed;
      return new Response(text, { status: response.status, headers });
    },
  };
  return tap;
}
