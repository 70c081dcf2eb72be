import { afterEach, describe, expect, it, vi } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { sendFixtures } from "../test-utils/send-fixtures.ts";
import { type AutoSync, type AutoSyncTarget, startAutoSync } from "./auto-sync.ts";

const fixtures = sendFixtures();
const running: AutoSync[] = [];
afterEach(async () => {
  for (const autoSync of running.splice(0)) await autoSync.stop();
  vi.unstubAllGlobals();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` holds, up to a generous bound. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("the condition did not hold in time");
    await sleep(5);
  }
}

/** A target whose rounds the test controls: each round takes `roundMs` and fails while `failing`. */
function fakeTarget(roundMs = 0) {
  const listeners = new Set<() => void>();
  const state = { rounds: 0, inRound: 0, maxInRound: 0, failing: false };
  const target: AutoSyncTarget<number> = {
    async sync() {
      state.rounds += 1;
      state.inRound += 1;
      state.maxInRound = Math.max(state.maxInRound, state.inRound);
      await sleep(roundMs);
      state.inRound -= 1;
      if (state.failing) throw new Error("offline");
      return state.rounds;
    },
    onLocalWrite(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const write = () => {
    for (const listener of listeners) listener();
  };
  return { target, state, write, listeners };
}

/** Stands in for a browser's window events; returns the "online" listeners registered. */
function stubOnlineEvents(): Set<() => void> {
  const online = new Set<() => void>();
  vi.stubGlobal("addEventListener", (type: string, listener: () => void) => {
    if (type === "online") online.add(listener);
  });
  vi.stubGlobal("removeEventListener", (type: string, listener: () => void) => {
    if (type === "online") online.delete(listener);
  });
  return online;
}

const start = <R>(target: AutoSyncTarget<R>, options: Parameters<typeof startAutoSync<R>>[1]) => {
  const autoSync = startAutoSync(target, options);
  running.push(autoSync);
  return autoSync;
};

describe("startAutoSync()", () => {
  it("runs a round at once, then one every intervalMs, never two at a time", async () => {
    const { target, state } = fakeTarget(5);
    const reports: number[] = [];
    start(target, { intervalMs: 20, debounceMs: 0, onSync: (r) => reports.push(r) });
    await until(() => reports.length >= 4);
    expect(reports.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(state.maxInRound).toBe(1);
  });

  it("runs a round debounceMs after local writes, not before the writes stop", async () => {
    const { target, state, write } = fakeTarget();
    start(target, { intervalMs: 600_000, debounceMs: 300 });
    await until(() => state.rounds === 1);
    let lastWrite = 0;
    for (let i = 0; i < 5; i++) {
      write();
      lastWrite = Date.now();
      await sleep(10);
    }
    expect(state.rounds).toBe(1);
    await until(() => state.rounds === 2);
    expect(Date.now() - lastWrite).toBeGreaterThanOrEqual(290);
    await sleep(100);
    expect(state.rounds).toBe(2);
  });

  it("a write during a round brings one more round after it", async () => {
    const { target, state, write } = fakeTarget(50);
    start(target, { intervalMs: 600_000, debounceMs: 0 });
    await until(() => state.inRound === 1);
    write();
    write();
    await until(() => state.rounds === 2);
    await sleep(100);
    expect(state.rounds).toBe(2);
  });

  it("retries a failed round on the timer, backing off, and writes wait for it", async () => {
    const { target, state, write } = fakeTarget();
    state.failing = true;
    const errors: unknown[] = [];
    let synced = 0;
    start(target, {
      intervalMs: 10,
      debounceMs: 0,
      maxBackoffMs: 80,
      onError: (error) => errors.push(error),
      onSync: () => {
        synced += 1;
      },
    });
    await until(() => errors.length >= 4);
    // Backing off: waits of 10, 20, 40, 80, 80, … ms, far fewer rounds than one per 10 ms.
    const at = state.rounds;
    const began = Date.now();
    for (let i = 0; i < 20; i++) {
      write();
      await sleep(5);
    }
    expect(state.rounds - at).toBeLessThanOrEqual(Math.ceil((Date.now() - began) / 80) + 1);
    expect(errors[0]).toMatchObject({ message: "offline" });
    state.failing = false;
    await until(() => synced > 0);
  });

  it("runs a round when the platform says it is online again, whatever the backoff", async () => {
    const online = stubOnlineEvents();
    const { target, state } = fakeTarget();
    state.failing = true;
    const errors: unknown[] = [];
    const autoSync = start(target, {
      intervalMs: 600_000,
      debounceMs: 600_000,
      onError: (error) => errors.push(error),
    });
    await until(() => errors.length === 1);
    expect(online.size).toBe(1);
    state.failing = false;
    for (const listener of online) listener();
    await until(() => state.rounds === 2);
    await autoSync.stop();
    expect(online.size).toBe(0);
  });

  it("runs a round at once after a failed one when the platform came online during it", async () => {
    const online = stubOnlineEvents();
    const { target, state } = fakeTarget(50);
    state.failing = true;
    const errors: unknown[] = [];
    start(target, {
      intervalMs: 600_000,
      debounceMs: 600_000,
      onError: (error) => errors.push(error),
    });
    await until(() => state.inRound === 1);
    for (const listener of online) listener();
    // The first round fails after the news; without it the next would wait intervalMs (10 min).
    await until(() => state.rounds === 2);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(state.maxInRound).toBe(1);
  });

  it("stop() waits for the round under way; then nothing runs", async () => {
    const { target, state, write, listeners } = fakeTarget(100);
    let synced = 0;
    const autoSync = start(target, {
      intervalMs: 5,
      debounceMs: 0,
      onSync: () => {
        synced += 1;
      },
    });
    await until(() => state.inRound === 1);
    await autoSync.stop();
    expect(state.inRound).toBe(0);
    expect(synced).toBe(1);
    expect(listeners.size).toBe(0);
    write();
    await sleep(50);
    expect(state.rounds).toBe(1);
  });

  it("goes on when onSync or onError throws, and refuses invalid options", async () => {
    const { target, state } = fakeTarget();
    start(target, {
      intervalMs: 5,
      debounceMs: 0,
      onSync: () => {
        throw new Error("app bug");
      },
    });
    await until(() => state.rounds >= 3);
    for (const options of [
      { intervalMs: 0, debounceMs: 0 },
      { intervalMs: 10, debounceMs: -1 },
      { intervalMs: 10.5, debounceMs: 0 },
      { intervalMs: 100, debounceMs: 0, maxBackoffMs: 50 },
    ]) {
      expect(() => startAutoSync(target, options)).toThrow(
        expect.objectContaining({ code: "INVALID_OPTION" }),
      );
    }
  });
});

describe("the client's auto-sync", () => {
  it("sends a write shortly after it is made and brings another device's rows on the timer", async () => {
    const { server, device: a } = await fixtures.setup();
    const b = await fixtures.device(server.endpoint);
    const reports: unknown[] = [];
    a.client.startAutoSync({ intervalMs: 600_000, debounceMs: 20, onSync: (r) => reports.push(r) });
    b.client.startAutoSync({ intervalMs: 30, debounceMs: 0 });
    await until(() => reports.length === 1);
    await a.client.insert(t.customer, { name: "Ada" });
    await until(() => reports.length === 2);
    await until(async () => (await b.rows("SELECT name FROM customer")).length === 1);
    expect(await b.rows("SELECT id, name FROM customer")).toEqual([{ id: 1, name: "Ada" }]);
    expect(reports[1]).toMatchObject({ send: { applied: 1 }, receive: { skipped: 1 } });
    // close() stops it.
    await a.client.close();
    await b.client.close();
  });
});
