// The receive loop of the spec ("Receive"), top to bottom:
//
//   wait for a running send; refuse while a sent batch has no answer (UNANSWERED_BATCH)
//   cursor := the staged cursor, else the cursor of the last run applied, else null
//   repeat: read a page after the cursor (retries with backoff; a refused cursor: once from the start)
//           (the next page is read from the answer's next-cursor header before this one is parsed)
//           check it; read the next page (hasMore); stage this one with its cursor, in one
//           local transaction (a reset discards first); tell the progress
//   until a page says hasMore: false
//   in turn with sends: apply the whole staged run in one local transaction
//
// A failure, an abort or onProgress throwing stops it with a ReceiveError: what was staged stays
// staged, and the next receive() goes on from the last page staged.

import type { SyncModel } from "../schema/index.ts";
import { applyStaged, refuseUnansweredBatches } from "./apply-staged.ts";
import { checkPage } from "./check-page.ts";
import type { SyncChangesAnswer, Transport } from "./create-transport.ts";
import type { DeviceDatabase } from "./device-database.ts";
import {
  emptyReceiveReport,
  type ReceiveOptions,
  type ReceiveReport,
  tellProgress,
} from "./receive-report.ts";
import { readReceiveState, stagePage } from "./receive-stage.ts";
import { failureOf } from "./send-failure.ts";
import { ReceiveError, SyncClientError } from "./sync-client-error.ts";

export type {
  ReceiveOptions,
  ReceiveProgress,
  ReceiveReport,
  ReceiveReset,
} from "./receive-report.ts";

/** What the receive loop works with. */
export interface ReceiveContext {
  readonly database: DeviceDatabase;
  readonly model: SyncModel;
  readonly clientId: string;
  readonly transport: Transport;
  /**
   * Runs `work` when no send runs, and keeps sends out until it ends: a send's answer maps keys
   * and records versions, which the apply must see whole (or not at all).
   */
  inTurnWithSends<T>(work: () => Promise<T>, signal: AbortSignal | undefined): Promise<T>;
}

/** A page being read: its answer (never an unhandled rejection), and a way to stop reading it. */
interface PageRead {
  readonly answer: Promise<SyncChangesAnswer>;
  /** Aborts the read if it is still under way (and the read it started early); its answer is then ignored. */
  stop(): void;
  /**
   * Lets this read start reading the page after it as soon as its answer names that page's cursor
   * (the server's next-cursor header), before the answer is parsed: called when the loop takes
   * this read as its next, so reads never run more than two pages ahead of the staging.
   */
  arm(): void;
  /** The read started early, with the cursor it started from, if there is one. */
  early(): { readonly cursor: string; readonly read: PageRead } | undefined;
}

/** What every page read of one receive shares. */
interface ReadSetting {
  readonly transport: Transport;
  readonly clientId: string;
  readonly limit: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onRetry: () => void;
}

/** Starts reading the page after `cursor`, under the receive's signal and one of its own. */
function readAhead(setting: ReadSetting, cursor: string | null): PageRead {
  const { transport, clientId, limit, signal, onRetry } = setting;
  const own = new AbortController();
  const both = signal ? AbortSignal.any([signal, own.signal]) : own.signal;
  let armed = false;
  let named: string | undefined;
  let early: { cursor: string; read: PageRead } | undefined;
  const startEarly = () => {
    if (!armed || named === undefined || early?.cursor === named || own.signal.aborted) return;
    early?.read.stop();
    early = { cursor: named, read: readAhead(setting, named) };
  };
  const onNextCursor = (next: string) => {
    named = next;
    startEarly();
  };
  const answer = transport.changes(
    clientId,
    { cursor, limit },
    { signal: both, onRetry, onNextCursor },
  );
  // A read that is stopped, or that fails after the receive stopped, is never awaited.
  answer.catch(() => undefined);
  return {
    answer,
    stop: () => {
      own.abort();
      early?.read.stop();
    },
    arm: () => {
      armed = true;
      startEarly();
    },
    early: () => early,
  };
}

/**
 * The read of the page after the one `current` read, whose checked cursor is `cursor`: the read
 * `current` started early when it started from that cursor (then armed in turn), else a new one
 * (an early read from another cursor is stopped).
 */
function readAfter(setting: ReadSetting, current: PageRead, cursor: string): PageRead {
  const early = current.early();
  let next: PageRead;
  if (early?.cursor === cursor) next = early.read;
  else {
    early?.read.stop();
    next = readAhead(setting, cursor);
  }
  next.arm();
  return next;
}

const isInvalidCursor = (error: unknown): boolean =>
  error instanceof SyncClientError && error.code === "INVALID_CURSOR";

/**
 * Receives the server's changes since the device's cursor and applies them (see the steps above);
 * returns what it did. Throws a {@link ReceiveError} carrying that report when it stops. Expects
 * options checked (`receiveOptionsOf`).
 */
export async function receive(
  context: ReceiveContext,
  options: ReceiveOptions = {},
): Promise<ReceiveReport> {
  const { database, model, clientId, transport } = context;
  const { signal } = options;
  const report = emptyReceiveReport();
  const onRetry = () => {
    report.retries += 1;
  };
  try {
    const { limit } = options;
    await context.inTurnWithSends(() => refuseUnansweredBatches(database), signal);
    let fromStart = options.fromStart === true;
    const state = await readReceiveState(database);
    let cursor = fromStart ? null : (state.stagedCursor ?? state.cursor);
    let restarted = false;
    const setting: ReadSetting = { transport, clientId, limit, signal, onRetry };
    const read = (from: string | null) => {
      const started = readAhead(setting, from);
      started.arm();
      return started;
    };
    let next = read(cursor);
    try {
      for (;;) {
        if (signal?.aborted) throw new SyncClientError("ABORTED", "receive() was aborted");
        let answer: SyncChangesAnswer;
        try {
          answer = await next.answer;
        } catch (error) {
          // A cursor the server no longer takes (its store was replaced, its secret changed): start
          // over once from a full snapshot, applied as a reset, rather than fail every receive.
          if (cursor === null || restarted || !isInvalidCursor(error)) throw error;
          restarted = true;
          fromStart = true;
          cursor = null;
          next.stop();
          next = read(cursor);
          continue;
        }
        const page = checkPage(model, answer);
        // The next page is read while this one is staged (from the answer's header, already while
        // it was parsed and checked): the server works on it meanwhile.
        if (page.hasMore) next = readAfter(setting, next, page.cursor);
        else next.early()?.read.stop();
        const reset = await database.transaction((tx) => stagePage(tx, model, page, fromStart));
        fromStart = false;
        report.pages += 1;
        report.changes += page.count + page.unknownTables;
        report.skipped += page.unknownTables;
        const { pages, changes } = report;
        tellProgress(options.onProgress, { pages, changes, hasMore: page.hasMore, reset });
        if (!page.hasMore) break;
        cursor = page.cursor;
      }
    } finally {
      next.stop();
    }
    const run = await context.inTurnWithSends(
      () => database.transaction((tx) => applyStaged(tx, model)),
      signal,
    );
    report.applied += run.applied;
    report.skipped += run.skipped;
    report.held += run.held;
    report.removed += run.removed;
    report.reset = run.reset;
    return { ...report };
  } catch (error) {
    throw new ReceiveError(failureOf(error, signal, "receive()"), report);
  }
}
