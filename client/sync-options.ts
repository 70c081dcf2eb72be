import { callOptions, checkSignal } from "./call-options.ts";
import { type ReceiveOptions, receiveOptionsOf } from "./receive-report.ts";
import { emptyReport, type SendOptions, sendOptionsOf } from "./send-report.ts";
import { SendError, type SyncClientError } from "./sync-client-error.ts";

/** Options of `sync()`. */
export interface SyncOptions {
  /** Stops the send or the receive under way (see theirs). */
  readonly signal?: AbortSignal;
  /** The send's options (its `onProgress`). */
  readonly send?: Omit<SendOptions, "signal">;
  /** The receive's options (its `onProgress`, `limit`). */
  readonly receive?: Omit<ReceiveOptions, "signal" | "fromStart">;
}

/** A `sync()`'s options, checked: what its send and its receive get. */
export interface CheckedSyncOptions {
  readonly send: SendOptions;
  readonly receive: ReceiveOptions;
}

/**
 * The options of a `sync()`, checked before it does anything: INVALID_OPTION, as a
 * `SendError` with an empty report (its send is what would have run first). Its `signal` goes to
 * both its send and its receive.
 */
export function syncOptionsOf(options: unknown): CheckedSyncOptions {
  const where = { call: "sync()" };
  let checked: SyncOptions;
  try {
    checked = callOptions<SyncOptions>(where, options, ["signal", "send", "receive"]);
    checkSignal(where, checked.signal);
  } catch (error) {
    throw new SendError(error as SyncClientError, emptyReport());
  }
  const { signal } = checked;
  const send = sendOptionsOf(checked.send, { call: "sync()", at: "send." }, ["onProgress"]);
  const receive = receiveOptionsOf(checked.receive, { call: "sync()", at: "receive." }, [
    "onProgress",
    "limit",
  ]);
  return signal
    ? { send: { ...send, signal }, receive: { ...receive, signal } }
    : { send, receive };
}
