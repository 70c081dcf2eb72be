import { SyncClientError } from "./sync-client-error.ts";

/**
 * The longest wait a `Retry-After` is read as: one day. A longer one (a misconfigured server or
 * proxy, "99999999999") would stop a device syncing for weeks, which costs more than one request
 * a day that is refused again, with a fresh `Retry-After`.
 */
export const longestRetryAfterMs = 86_400_000;

/**
 * How long a `Retry-After` header value asks to wait, in milliseconds (RFC 9110, 10.2.3):
 * delay-seconds (`120`) or an HTTP date, counted from `now`, at most {@link longestRetryAfterMs};
 * undefined for anything else (a negative or fractional number, garbage: the usual backoff then
 * applies). A date already past asks for no wait.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  // Digits beyond a day's seconds are not multiplied out: a long run of them is still a number.
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, longestRetryAfterMs);
  // Date.parse guesses at almost anything ("Someday 99" is 1999): only the forms of an HTTP date
  // are read. The obsolete asctime form names no zone, and is GMT, not local time.
  let at = Number.NaN;
  if (httpDate.test(text)) at = Date.parse(text);
  else if (asctimeDate.test(text)) at = Date.parse(`${text} GMT`);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - now), longestRetryAfterMs);
}

/** IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) and the obsolete RFC 850 form. */
const httpDate = /^[a-z]{3,9}, \d{2}[ -][a-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/i;
/** The obsolete asctime form: `Sun Nov  6 08:49:37 1994`. */
const asctimeDate = /^[a-z]{3} [a-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/i;

/**
 * The wait a RATE_LIMITED failure asks for (read by `classify` from the answer's `Retry-After`);
 * undefined for any other failure, or when the answer gave none that parses.
 */
export function retryAfterOf(error: unknown): number | undefined {
  if (!(error instanceof SyncClientError) || error.code !== "RATE_LIMITED") return undefined;
  return error.retryAfterMs;
}

/**
 * The failure to stop with at once, rather than retry: a rate limit whose `Retry-After` asks for
 * a longer wait than the caller allows (`maxRetryAfterMs`), with that wait in it, so the app or
 * auto-sync knows when to try again; undefined for any other failure.
 */
export function tooLongToWait(
  error: unknown,
  maxRetryAfterMs: number,
): SyncClientError | undefined {
  const asked = retryAfterOf(error);
  if (asked === undefined || asked <= maxRetryAfterMs) return undefined;
  const { message, cause, serverCode, retryAt } = error as SyncClientError;
  return new SyncClientError(
    "RATE_LIMITED",
    `${message}; it asks to wait ${Math.ceil(asked / 1000)} s, longer than retry.maxRetryAfterMs (${maxRetryAfterMs} ms): not retried`,
    { cause, serverCode, retryAfterMs: asked, retryAt },
  );
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
