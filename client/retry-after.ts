import type { CombinedError } from "@urql/core";
import { SyncClientError } from "./sync-client-error.ts";

/**
 * How long a `Retry-After` header value asks to wait, in milliseconds: delay-seconds (`120`) or an
 * HTTP date, counted from `now`; undefined for anything else (the usual backoff then applies).
 * A date already past asks for no wait.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Date.parse guesses at almost anything ("Someday 99" is 1999): only the forms of an HTTP date
  // are read. The obsolete asctime form names no zone, and is GMT, not local time.
  let at = Number.NaN;
  if (httpDate.test(text)) at = Date.parse(text);
  else if (asctimeDate.test(text)) at = Date.parse(`${text} GMT`);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) and the obsolete RFC 850 form. */
const httpDate = /^[a-z]{3,9}, \d{2}[ -][a-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/i;
/** The obsolete asctime form: `Sun Nov  6 08:49:37 1994`. */
const asctimeDate = /^[a-z]{3} [a-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/i;

/**
 * The wait a RATE_LIMITED failure asks for, from the `Retry-After` header of the answer that
 * `classify` kept as its cause; undefined when it has none that parses.
 */
export function retryAfterOf(error: unknown): number | undefined {
  if (!(error instanceof SyncClientError) || error.code !== "RATE_LIMITED") return undefined;
  const response = (error.cause as CombinedError | undefined)?.response as Response | undefined;
  return parseRetryAfter(response?.headers?.get("retry-after"));
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
