import type { ConflictResolution } from "./answer-conflict.ts";
import { callOptions, checkFunction, checkSignal, type OptionsAt } from "./call-options.ts";
import type { CheckedAnswer } from "./check-answer.ts";
import { SendError, SyncClientError } from "./sync-client-error.ts";

/** Progress after each batch: batches and operations done, and the totals when the send began. */
export interface SendProgress {
  readonly batchesDone: number;
  /** Never below `batchesDone`; grows when a batch the server found too large is cut smaller. */
  readonly batchesTotal: number;
  readonly operationsDone: number;
  /** Never below `operationsDone`. */
  readonly operationsTotal: number;
}

/** Options of `send()`. */
export interface SendOptions {
  /** Called after each batch's answer is applied; a throw stops the send as `ABORTED`. */
  readonly onProgress?: (progress: SendProgress) => void;
  /** Stops the loop between batches and cancels backoff waits; what is unsent stays pending. */
  readonly signal?: AbortSignal;
}

/** What a `send()` did. */
export interface SendReport {
  /** Batches answered (and their answers applied). */
  batches: number;
  applied: number;
  rejected: number;
  mappingsApplied: number;
  /** Requests sent again after a network or server failure. */
  retries: number;
  /** Answers the server replayed (the batch had been applied before its answer was lost). */
  replayed: number;
  /** Bytes of request bodies, retries included. */
  bytesSent: number;
  /**
   * The conflicts the server reported (another writer changed a row since the event's base), by
   * how it decided them; SERVER_WON and DELETED_REMOTELY events are among the rejected ones.
   */
  conflicts: Record<ConflictResolution, number>;
}

/** A report of a send that did nothing yet. */
export const emptyReport = (): SendReport => ({
  batches: 0,
  applied: 0,
  rejected: 0,
  mappingsApplied: 0,
  retries: 0,
  replayed: 0,
  bytesSent: 0,
  conflicts: { CLIENT_WON: 0, MERGED: 0, SERVER_WON: 0, DELETED_REMOTELY: 0 },
});

/** Counts a batch whose answer was applied. */
export function countAnswer(report: SendReport, checked: CheckedAnswer, replayed: boolean): void {
  report.batches += 1;
  report.applied += checked.applied.length;
  report.rejected += checked.rejected.length;
  report.mappingsApplied += checked.mappingCount;
  for (const [, conflict] of checked.conflicts) report.conflicts[conflict.resolution] += 1;
  if (replayed) report.replayed += 1;
}

/** What is left to send: operations, and batches at the current cut. */
export interface OutboxTotals {
  readonly operations: number;
  readonly batches: number;
}

/**
 * Tells the app its progress. Totals are counted only for an app that listens (a scan of the
 * outbox), and counted again after a cut, so that done never runs past total.
 */
export class ProgressTeller {
  readonly #onProgress: SendOptions["onProgress"];
  #totals: OutboxTotals = { operations: 0, batches: 0 };
  #operationsDone = 0;

  constructor(onProgress: SendOptions["onProgress"]) {
    this.#onProgress = onProgress;
  }

  /** Whether the app listens: only then are totals worth a scan of the outbox. */
  get listening(): boolean {
    return this.#onProgress !== undefined;
  }

  /** Operations settled so far: answered, or rejected on the device before being sent. */
  get operationsDone(): number {
    return this.#operationsDone;
  }

  /** Sets the totals from what is left to send, after `batchesDone` batches. */
  recount(left: OutboxTotals, batchesDone: number): void {
    this.#totals = {
      operations: this.#operationsDone + left.operations,
      batches: batchesDone + left.batches,
    };
  }

  /** Counts operations settled without a batch (rejected on the device). */
  settled(operations: number): void {
    this.#operationsDone += operations;
  }

  /**
   * Counts a batch's operations and tells the app. A callback that throws stops the send:
   * throws `ABORTED` with the callback's error as the cause.
   */
  batchDone(operations: number, batchesDone: number): void {
    this.#operationsDone += operations;
    try {
      this.#onProgress?.({
        batchesDone,
        batchesTotal: Math.max(this.#totals.batches, batchesDone),
        operationsDone: this.#operationsDone,
        operationsTotal: Math.max(this.#totals.operations, this.#operationsDone),
      });
    } catch (error) {
      throw new SyncClientError(
        "ABORTED",
        `send() stopped: the onProgress callback threw: ${(error as Error)?.message ?? String(error)}`,
        { cause: error },
      );
    }
  }
}

const sendOptionNames = ["onProgress", "signal"] as const;

/**
 * The options of a `send()` (or of a `sync()`'s send, `at` "send."), checked before it does
 * anything: INVALID_OPTION, as a {@link SendError} with an empty report.
 */
export function sendOptionsOf(
  options: unknown,
  where: OptionsAt,
  names: readonly (keyof SendOptions)[] = sendOptionNames,
): SendOptions {
  try {
    const checked = callOptions<SendOptions>(where, options, names);
    checkFunction(where, "onProgress", checked.onProgress);
    checkSignal(where, checked.signal);
    return checked;
  } catch (error) {
    throw new SendError(error as SyncClientError, emptyReport());
  }
}
