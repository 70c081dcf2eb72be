import type { Mutex } from "async-mutex";
import { SyncClientError } from "./sync-client-error.ts";

/**
 * Waits for the mutex, or rejects as ABORTED when `signal` aborts first: a send queued behind
 * another one is cancelled at once, not when its turn comes.
 */
async function untilFree(mutex: Mutex, signal: AbortSignal, call = "send()"): Promise<() => void> {
  const aborted = () =>
    new SyncClientError("ABORTED", `${call} was aborted before its turn`, { cause: signal.reason });
  if (signal.aborted) throw aborted();
  const acquiring = mutex.acquire();
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      acquiring,
      new Promise<never>((_, reject) => {
        onAbort = () => reject(aborted());
        signal.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
  } catch (error) {
    // The turn still comes; it is handed on at once.
    void acquiring.then((release) => release());
    throw error;
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

/** The signal of a call: the app's, and the client's closing. */
export const callSignal = (closing: AbortSignal, signal: AbortSignal | undefined): AbortSignal =>
  signal ? AbortSignal.any([signal, closing]) : closing;

/**
 * Runs `work` holding `mutex` (once the holders before it are done), unless `closing` or `signal`
 * aborts first.
 */
export async function inTurn<T>(
  mutex: Mutex,
  closing: AbortSignal,
  signal: AbortSignal | undefined,
  call: string,
  work: () => Promise<T>,
): Promise<T> {
  const release = await untilFree(mutex, callSignal(closing, signal), call);
  try {
    if (closing.aborted) throw new SyncClientError("ABORTED", "the client is closed");
    return await work();
  } finally {
    release();
  }
}
