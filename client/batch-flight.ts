import type { SyncBatchAnswer, Transport } from "./create-transport.ts";
import type { Batch } from "./next-batch.ts";

/** A posted batch: its answer under way, and whether the server signalled its commit. */
export interface Flight {
  readonly batch: Batch;
  /** Settles once, after the transport's retries; awaiting it never counts as unhandled. */
  readonly answer: Promise<SyncBatchAnswer>;
  /**
   * True once the server signalled that the batch committed (the early post rests on it, and on
   * nothing else); false when the answer settled without that signal.
   */
  readonly committed: Promise<boolean>;
  /** Sent again after a failure: an earlier attempt may have reached a server. */
  readonly retried: boolean;
}

/** Options of {@link postBatch}. */
export interface PostOptions {
  readonly transport: Transport;
  readonly clientId: string;
  /** Cancels the request and its backoff waits. */
  readonly signal: AbortSignal;
  /** Told of each attempt sent again. */
  readonly onRetry: () => void;
}

/**
 * Lets the event loop run once. SQLite work is synchronous and blocks it; a request posted just
 * before must first reach its socket, or the server waits for it while the device works.
 */
const requestLeaves = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Posts `batch` as one `syncBatch` request (with the transport's retries) and returns its flight
 * once the request had a turn of the event loop to leave.
 */
export async function postBatch(
  batch: Batch,
  { transport, clientId, signal, onRetry }: PostOptions,
): Promise<Flight> {
  let signalled!: (committed: boolean) => void;
  const committed = new Promise<boolean>((resolve) => {
    signalled = resolve;
  });
  let retried = false;
  const answer = transport.send(clientId, batch, {
    signal,
    onRetry: () => {
      retried = true;
      onRetry();
    },
    onCommitted: () => signalled(true),
  });
  // Also makes a failure handled: the loop awaits the answer later, maybe after it failed.
  answer.then(
    () => signalled(false),
    () => signalled(false),
  );
  await requestLeaves();
  return {
    batch,
    answer,
    committed,
    get retried() {
      return retried;
    },
  };
}
