// Auto-sync: rounds of sync() (send, then receive), one at a time, on these triggers:
//
//   local write ──(debounceMs, each write pushes it back)──┐
//   timer ──────(intervalMs after the last round)──────────┼──► ROUND ──► ok: the timer at intervalMs
//   platform online again ──(at once)──────────────────────┘         └─► failed: the timer backs off
//                                                                        (intervalMs, ×2 each time,
//                                                                        up to maxBackoffMs); writes
//                                                                        wait for it, online does not
//
// The next round is due at the earlier of the timer and the write deadline, and never before the
// `retryAt` of a round that failed RATE_LIMITED (the server's Retry-After): no trigger, online
// included, starts one sooner. A trigger during a round counts once the round ends. stop() clears
// the timer and waits for a round under way.

import { callOptions, checkFunction, invalidOption, shownValue } from "./call-options.ts";
import { SyncClientError } from "./sync-client-error.ts";

/** Options of `startAutoSync()`. */
export interface AutoSyncOptions<R> {
  /** A round this long after the last one ended (if nothing triggered one sooner). */
  readonly intervalMs: number;
  /** A round this long after the last local write (each write pushes it back, up to the timer). */
  readonly debounceMs: number;
  /**
   * The longest wait after failed rounds (the wait doubles from `intervalMs`). Default: 10 ×
   * `intervalMs`, at least 5 minutes. A round that failed `RATE_LIMITED` with a `retryAt` is
   * followed by none before that time, however long.
   */
  readonly maxBackoffMs?: number;
  /** Told of each round that succeeded; a throw is ignored. */
  readonly onSync?: (report: R) => void;
  /** Told of each round that failed (the error `sync()` threw); a throw is ignored. */
  readonly onError?: (error: unknown) => void;
}

/** A running auto-sync. */
export interface AutoSync {
  /** Stops the triggers and waits for a round under way to end. */
  stop(): Promise<void>;
}

/** What auto-sync drives: one round, and the news of local writes. */
export interface AutoSyncTarget<R> {
  sync(): Promise<R>;
  /** Calls `listener` after each committed local write; returns the unsubscribe. */
  onLocalWrite(listener: () => void): () => void;
}

/** The longest delay Node's timers keep. */
const maxTimerMs = 2_147_483_647;

const where = { call: "startAutoSync()" };
const autoSyncOptionNames = [
  "intervalMs",
  "debounceMs",
  "maxBackoffMs",
  "onSync",
  "onError",
] as const;

function delayOption(name: string, value: unknown, min: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > maxTimerMs) {
    throw invalidOption(
      where,
      name,
      `must be an integer from ${min} to ${maxTimerMs} (milliseconds), got ${shownValue(value)}`,
    );
  }
  return value as number;
}

/** The platform's "online" event (a browser's `window`), when there is one. */
function onOnline(listener: () => void): () => void {
  const target = globalThis as {
    addEventListener?: (type: string, listener: () => void) => void;
    removeEventListener?: (type: string, listener: () => void) => void;
  };
  if (typeof target.addEventListener !== "function") return () => undefined;
  target.addEventListener("online", listener);
  return () => target.removeEventListener?.("online", listener);
}

/** When the server takes requests again after a rate-limited round, else 0 (no wait). */
const retryAtOf = (error: unknown): number =>
  (error instanceof SyncClientError && error.code === "RATE_LIMITED" && error.retryAt) || 0;

const quietly = (call: () => void): void => {
  try {
    call();
  } catch {
    // The app's callback failed: the rounds go on.
  }
};

/** Starts auto-sync on `target`: a first round at once, then on the triggers above. */
export function startAutoSync<R>(target: AutoSyncTarget<R>, options: AutoSyncOptions<R>): AutoSync {
  if (typeof options !== "object" || options === null) {
    throw new SyncClientError(
      "INVALID_OPTION",
      "startAutoSync(): options must be an object with intervalMs and debounceMs",
    );
  }
  callOptions<AutoSyncOptions<R>>(where, options, autoSyncOptionNames);
  checkFunction(where, "onSync", options.onSync);
  checkFunction(where, "onError", options.onError);
  const intervalMs = delayOption("intervalMs", options.intervalMs, 1);
  const debounceMs = delayOption("debounceMs", options.debounceMs, 0);
  const maxBackoffMs =
    options.maxBackoffMs === undefined
      ? Math.min(maxTimerMs, Math.max(10 * intervalMs, 300_000))
      : delayOption("maxBackoffMs", options.maxBackoffMs, intervalMs);

  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let timerAt = 0;
  let writeAt: number | undefined;
  /** No round before this (Unix ms): the `retryAt` of the last round, if it was rate-limited. */
  let notBefore = 0;
  /** The platform came online during the round under way: the next round at once when it ends. */
  let onlineDuringRound = false;

  const arm = (): void => {
    if (stopped || running) return;
    if (timer !== undefined) clearTimeout(timer);
    const at = Math.max(notBefore, Math.min(timerAt, writeAt ?? Number.POSITIVE_INFINITY));
    timer = setTimeout(due, Math.min(maxTimerMs, Math.max(0, at - Date.now())));
    (timer as { unref?: () => void }).unref?.();
  };

  /** The timer fired: a round, unless it fired early for `notBefore` (a timer may, by a ms). */
  const due = (): void => {
    if (Date.now() < notBefore) arm();
    else round();
  };

  const round = (): void => {
    timer = undefined;
    writeAt = undefined;
    running = target.sync().then(
      (report) => {
        failures = 0;
        notBefore = 0;
        if (options.onSync) quietly(() => options.onSync?.(report));
      },
      (error: unknown) => {
        failures += 1;
        notBefore = retryAtOf(error);
        if (options.onError) quietly(() => options.onError?.(error));
      },
    );
    void running.then(() => {
      running = undefined;
      if (onlineDuringRound) {
        // The round may have failed for being offline when it began: the news outranks its backoff.
        onlineDuringRound = false;
        failures = 0;
        timerAt = Date.now();
      } else {
        const wait = failures === 0 ? intervalMs : intervalMs * 2 ** Math.min(failures - 1, 30);
        timerAt = Date.now() + Math.min(wait, failures === 0 ? intervalMs : maxBackoffMs);
      }
      arm();
    });
  };

  const stopWrites = target.onLocalWrite(() => {
    if (stopped || failures > 0) return;
    writeAt = Date.now() + debounceMs;
    arm();
  });
  const stopOnline = onOnline(() => {
    if (stopped) return;
    if (running) {
      onlineDuringRound = true;
      return;
    }
    failures = 0;
    timerAt = Date.now();
    arm();
  });

  // The first round at once.
  arm();
  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      stopWrites();
      stopOnline();
      await running;
    },
  };
}
