import {
  callOptions,
  checkBoolean,
  checkFunction,
  checkSignal,
  invalidOption,
  type OptionsAt,
  shownValue,
} from "./call-options.ts";
import type { ResetReason } from "./generated/graphql.ts";
import { ReceiveError, SyncClientError } from "./sync-client-error.ts";

/**
 * Why a run rebuilt the device's copy from a full snapshot: the server's reason, or `FROM_START`
 * when the app asked for it (`receive({ fromStart: true })`).
 */
export type ReceiveReset = ResetReason | "FROM_START";

/** Progress after each page staged. */
export interface ReceiveProgress {
  /** Pages staged by this receive. */
  readonly pages: number;
  /** Changes in those pages. */
  readonly changes: number;
  /** False once the last page of the run is staged: the apply comes next. */
  readonly hasMore: boolean;
  /** Set while the run is a snapshot the server forced (or the app asked for). */
  readonly reset: ReceiveReset | null;
}

/** Options of `receive()`. */
export interface ReceiveOptions {
  /** Called after each page is staged; a throw stops the receive as `ABORTED` (the pages stay staged). */
  readonly onProgress?: (progress: ReceiveProgress) => void;
  /** Stops the receive between pages and cancels backoff waits; what was staged stays staged. */
  readonly signal?: AbortSignal;
  /** At most this many changes per page (the server clamps it to its `maxChangesPerPage`). */
  readonly limit?: number;
  /**
   * Drops the cursor and whatever is staged and receives a full snapshot, applied as a reset (rows
   * the snapshot lacks go, but for those with pending events). A receive does this by itself, once,
   * when the server refuses the device's cursor (`INVALID_CURSOR`).
   */
  readonly fromStart?: boolean;
}

/** What a `receive()` did. */
export interface ReceiveReport {
  /** Pages received and staged. */
  pages: number;
  /** Changes in those pages. */
  changes: number;
  /**
   * Changes that changed the device's tables: rows written, rows deleted (held ones from an
   * earlier apply included).
   */
  applied: number;
  /**
   * Changes that changed nothing: the device already had the row at that version or a later one
   * (its own writes coming back), a DELETE of a row it does not hold, a table the device's model
   * lacks.
   */
  skipped: number;
  /**
   * Changes kept for the next apply because making them now would break a reference: a row whose
   * parent the device lacks, or a deleted row that rows with pending events still refer to.
   */
  held: number;
  /** Rows a reset removed: the snapshot lacked them and they had no pending events. */
  removed: number;
  /** Requests sent again after a network or server failure. */
  retries: number;
  /** Set when the run applied was a snapshot that rebuilt the device's copy. */
  reset: ReceiveReset | null;
}

/** A report of a receive that did nothing yet. */
export const emptyReceiveReport = (): ReceiveReport => ({
  pages: 0,
  changes: 0,
  applied: 0,
  skipped: 0,
  held: 0,
  removed: 0,
  retries: 0,
  reset: null,
});

/** Tells the app of a staged page; a callback that throws stops the receive as `ABORTED`. */
export function tellProgress(
  onProgress: ReceiveOptions["onProgress"],
  progress: ReceiveProgress,
): void {
  try {
    onProgress?.(progress);
  } catch (error) {
    throw new SyncClientError(
      "ABORTED",
      `receive() stopped: the onProgress callback threw: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  }
}

const receiveOptionNames = ["onProgress", "signal", "limit", "fromStart"] as const;

/**
 * The options of a `receive()` (or of a `sync()`'s receive, `at` "receive."), checked before it
 * does anything: INVALID_OPTION, as a {@link ReceiveError} with an empty report.
 */
export function receiveOptionsOf(
  options: unknown,
  where: OptionsAt,
  names: readonly (keyof ReceiveOptions)[] = receiveOptionNames,
): ReceiveOptions {
  try {
    const checked = callOptions<ReceiveOptions>(where, options, names);
    checkFunction(where, "onProgress", checked.onProgress);
    checkSignal(where, checked.signal);
    checkBoolean(where, "fromStart", checked.fromStart);
    const { limit } = checked;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
      throw invalidOption(where, "limit", `must be a positive integer, got ${shownValue(limit)}`);
    }
    return checked;
  } catch (error) {
    throw new ReceiveError(error as SyncClientError, emptyReceiveReport());
  }
}
