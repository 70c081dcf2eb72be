import { SyncClientError } from "./sync-client-error.ts";

/**
 * The {@link SyncClientError} that tells why a send (or a receive: `call`) stopped, from what was
 * thrown. A call aborted through `signal` while a request was under way sees a cancelled request: the abort is what
 * happened, so it is `ABORTED` (with the reason a `close()` gives, if it gave one), unless the
 * failure already was. A failure that is not a SyncClientError came from the device database.
 */
export function failureOf(
  error: unknown,
  signal: AbortSignal | undefined,
  call = "send()",
): SyncClientError {
  const aborted = signal?.aborted === true;
  if (error instanceof SyncClientError && (error.code === "ABORTED" || !aborted)) return error;
  if (aborted) {
    const reason: unknown = signal?.reason;
    return reason instanceof SyncClientError && reason.code === "ABORTED"
      ? new SyncClientError("ABORTED", reason.message, { cause: error })
      : new SyncClientError("ABORTED", `${call} was aborted`, { cause: reason ?? error });
  }
  return new SyncClientError("LOCAL_DATABASE", `${call} stopped: ${(error as Error).message}`, {
    cause: error,
  });
}
