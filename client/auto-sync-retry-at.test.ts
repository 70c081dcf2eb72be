import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type AutoSyncTarget, startAutoSync } from "./auto-sync.ts";
import { emptyReport } from "./send-report.ts";
import { SendError, SyncClientError } from "./sync-client-error.ts";

// Auto-sync after a round the server rate-limited: no round before the error's `retryAt`, whatever
// triggers one (timer, writes, the platform coming online). On fake timers: the clock is the test's.

beforeEach(() => {
  vi.useFakeTimers({ now: 1_800_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** A SendError as `sync()` throws it when the server asks to wait `ms`. */
const rateLimited = (ms: number) =>
  new SendError(
    new SyncClientError("RATE_LIMITED", "the server limited the request rate", {
      serverCode: "RATE_LIMITED",
      retryAfterMs: ms,
    }),
    emptyReport(),
  );

/** A target whose rounds fail with the errors of `failures`, in turn, then succeed. */
function target(failures: unknown[]) {
  const listeners = new Set<() => void>();
  const rounds: number[] = [];
  const sync: AutoSyncTarget<number> = {
    async sync() {
      rounds.push(Date.now());
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      return rounds.length;
    },
    onLocalWrite(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const write = () => {
    for (const listener of listeners) listener();
  };
  return { sync, rounds, write };
}

/** Stubs the platform's "online" event; returns a way to fire it. */
function stubOnline(): () => void {
  const online = new Set<() => void>();
  vi.stubGlobal("addEventListener", (type: string, listener: () => void) => {
    if (type === "online") online.add(listener);
  });
  vi.stubGlobal("removeEventListener", (type: string, listener: () => void) => {
    if (type === "online") online.delete(listener);
  });
  return () => {
    for (const listener of online) listener();
  };
}

describe("startAutoSync() after a rate-limited round", () => {
  it("starts no round before retryAt, though backoff, writes and online say sooner", async () => {
    const goOnline = stubOnline();
    const { sync, rounds, write } = target([rateLimited(600_000)]);
    const errors: unknown[] = [];
    const start = Date.now();
    const autoSync = startAutoSync(sync, {
      intervalMs: 1000,
      debounceMs: 0,
      maxBackoffMs: 1000,
      onError: (error) => errors.push(error),
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(rounds).toEqual([start]);
    expect(errors[0]).toMatchObject({ code: "RATE_LIMITED", retryAt: start + 600_000 });
    write();
    goOnline();
    await vi.advanceTimersByTimeAsync(599_999);
    expect(rounds).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(rounds).toEqual([start, start + 600_000]);
    // It succeeded: the usual interval again.
    await vi.advanceTimersByTimeAsync(1000);
    expect(rounds).toHaveLength(3);
    await autoSync.stop();
  });

  it("backs off as usual when the wait is shorter, and for a rate limit without a wait", async () => {
    const noWait = new SyncClientError("RATE_LIMITED", "limited", { serverCode: "RATE_LIMITED" });
    const { sync, rounds } = target([rateLimited(10), noWait]);
    const start = Date.now();
    const autoSync = startAutoSync(sync, { intervalMs: 1000, debounceMs: 0 });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(2000);
    expect(rounds).toEqual([start, start + 1000, start + 3000]);
    await autoSync.stop();
  });

  it("keeps to retryAt when the timer fires a little early", async () => {
    const { sync, rounds } = target([rateLimited(5000)]);
    const real = globalThis.setTimeout;
    // A longer timer fires 1 ms before it is due, as a platform's timer may.
    vi.spyOn(globalThis, "setTimeout").mockImplementation(((callback: () => void, ms = 0) =>
      real(callback, ms > 1 ? ms - 1 : ms)) as typeof setTimeout);
    const start = Date.now();
    const autoSync = startAutoSync(sync, { intervalMs: 1000, debounceMs: 0 });
    await vi.advanceTimersByTimeAsync(4999);
    expect(rounds).toEqual([start]);
    await vi.advanceTimersByTimeAsync(1);
    expect(rounds).toEqual([start, start + 5000]);
    vi.mocked(globalThis.setTimeout).mockRestore();
    await autoSync.stop();
  });
});
