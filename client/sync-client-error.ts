import type { ReceiveReport } from "./receive-report.ts";
import type { SendReport } from "./send-report.ts";

/** What went wrong, for code to branch on. */
export const syncClientErrorCodes = [
  /** An option is missing or invalid; the message names it. */
  "INVALID_OPTION",
  /** The database belongs to another client id than the one given. */
  "CLIENT_ID_MISMATCH",
  /** A write the app asked for cannot be done (unknown table, missing row, bad value). */
  "INVALID_WRITE",
  /** The server could not be reached, or the connection failed, after every retry. */
  "NETWORK",
  /** The server failed (HTTP 5xx or an unexpected GraphQL error) after every retry. */
  "SERVER",
  /** The server refused the request as a whole (a GraphQL error with a code, e.g. BATCH_ID_REUSED). */
  "REQUEST_REFUSED",
  /** The server's answer does not fit the request (missing verdicts, unknown event ids, garbage). */
  "ANSWER_MISMATCH",
  /** An event cannot be retried or removed (unknown, not rejected, or in a batch being sent). */
  "INVALID_EVENT",
  /** `send()` was aborted through its signal, the client was closed, or `onProgress` threw. */
  "ABORTED",
  /** The device database failed (disk full, corrupt file, locked past the busy timeout). */
  "LOCAL_DATABASE",
  /**
   * The server refused the receive cursor as not its own for this client (garbled, forged, made for
   * another client or by another server): `receive({ fromStart: true })` starts over.
   */
  "INVALID_CURSOR",
  /**
   * `receive()` cannot apply its pages while a batch sent earlier has no answer: the server may hold
   * its inserts under keys this device does not know yet. `send()` first (`sync()` does).
   */
  "UNANSWERED_BATCH",
  /**
   * The server refused the request's credentials (HTTP 401) again after `getToken` was asked for a
   * fresh token, or `getToken` threw or gave no usable token. Not retried: nothing was applied.
   */
  "UNAUTHENTICATED",
  /**
   * The server limited this client's requests (HTTP 429): after every retry, or at once when its
   * `Retry-After` asks for a longer wait than `retry.maxRetryAfterMs`. The error's `retryAt` says
   * when the server takes requests again (when it said).
   */
  "RATE_LIMITED",
  /**
   * The server refused a batch whole because its `batchSeq` is at or below the client's pruned
   * mark and it keeps no answer for it: it cannot tell whether the batch was applied, so it
   * applied nothing. Not retried. The batch stays in the outbox, its events pending and unsent
   * (never dropped, never sent under a new number): each `send()` stops at it again, and
   * `receive()` waits for it (UNANSWERED_BATCH). A device that keeps its database never meets it
   * (it replays its open batch before any newer one, and the server keeps each client's newest
   * answers); it means this database is older than what the server saw of its clientId: restored
   * from a backup, or copied to a second device. The app should keep what `events()` lists
   * (the writes of this device the server may lack), close the client, and start over with a new
   * device database (a new clientId, which receives the server's rows), then write again what
   * the server's rows show is missing.
   */
  "BATCH_EXPIRED",
] as const;
export type SyncClientErrorCode = (typeof syncClientErrorCodes)[number];

/** What a {@link SyncClientError} carries besides its code and message. */
export interface SyncClientErrorDetails {
  readonly cause?: unknown;
  readonly serverCode?: string | undefined;
  /** For RATE_LIMITED: the wait the server's `Retry-After` asked for, in milliseconds. */
  readonly retryAfterMs?: number | undefined;
  /** When the wait ends (Unix milliseconds). Default: `retryAfterMs` from now. */
  readonly retryAt?: number | undefined;
}

/** The client's one error type: a code, a message that says what and where, and the cause. */
export class SyncClientError extends Error {
  override readonly name: string = "SyncClientError";
  readonly code: SyncClientErrorCode;
  /** For REQUEST_REFUSED: the server's `extensions.code`. */
  readonly serverCode: string | undefined;
  /**
   * For RATE_LIMITED: the wait the server's `Retry-After` asked for, in milliseconds (a date
   * counted from when the answer came; at most a day); undefined when it gave none that reads.
   */
  readonly retryAfterMs: number | undefined;
  /**
   * For RATE_LIMITED with `retryAfterMs`: when that wait ends, in Unix milliseconds (the answer's
   * arrival plus the wait). A request before then is refused again; auto-sync waits for it.
   */
  readonly retryAt: number | undefined;

  constructor(code: SyncClientErrorCode, message: string, details: SyncClientErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.serverCode = details.serverCode;
    this.retryAfterMs = details.retryAfterMs;
    this.retryAt =
      details.retryAt ??
      (details.retryAfterMs === undefined ? undefined : Date.now() + details.retryAfterMs);
  }
}

/** The details of `failure`, for an error that stands for it. */
const detailsOf = (failure: SyncClientError): SyncClientErrorDetails => ({
  cause: failure.cause,
  serverCode: failure.serverCode,
  retryAfterMs: failure.retryAfterMs,
  retryAt: failure.retryAt,
});

/**
 * What `send()` throws when it stops: the {@link SyncClientError} that stopped it (its code,
 * message, server code, cause and rate-limit wait), and `report`, what the send did before it stopped (batches
 * answered and applied, retries, bytes). Every error a started send throws is a `SendError`; the
 * report is a frozen copy, taken when the send had settled its requests.
 */
export class SendError extends SyncClientError {
  override readonly name: string = "SendError";
  readonly report: Readonly<SendReport>;

  constructor(failure: SyncClientError, report: SendReport) {
    super(failure.code, failure.message, detailsOf(failure));
    this.report = Object.freeze({ ...report });
  }
}

/**
 * What `receive()` throws when it stops: the {@link SyncClientError} that stopped it (all of it, as
 * a `SendError` has), and `report`,
 * what the receive did before (pages staged, retries). The pages staged stay staged: the next
 * `receive()` goes on from the last one.
 */
export class ReceiveError extends SyncClientError {
  override readonly name: string = "ReceiveError";
  readonly report: Readonly<ReceiveReport>;

  constructor(failure: SyncClientError, report: ReceiveReport) {
    super(failure.code, failure.message, detailsOf(failure));
    this.report = Object.freeze({ ...report });
  }
}
