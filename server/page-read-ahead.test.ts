import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { exampleModel } from "../schema/index.ts";
import { createPageReadAhead } from "./page-read-ahead.ts";
import type { ChangePage, ChangeQuery, StoreFacts, SyncStore } from "./store/sync-store.ts";

/** The store's facts as every read of {@link pageStore} finds them. */
const facts: StoreFacts = {
  epoch: "e1",
  cursorSecret: "s",
  lastSeq: 70,
  prunedSeq: 20,
  newestMark: "m1",
};

/** A store whose pages say which read made them; `fail` decides, per read, to reject or throw. */
function pageStore(fail: (read: number) => "reject" | "throw" | null = () => null) {
  const reads: ChangeQuery[] = [];
  const store = {
    readChanges(query: ChangeQuery): Promise<ChangePage> {
      reads.push(query);
      const failure = fail(reads.length);
      if (failure === "throw") throw new Error(`read ${reads.length} threw`);
      if (failure === "reject") return Promise.reject(new Error(`read ${reads.length} failed`));
      const n = reads.length;
      const changes = [{ table: "customer", key: String(n), seq: n, version: 1, data: null }];
      return Promise.resolve({ changes, hasMore: true, facts });
    },
  } as unknown as SyncStore;
  return { store, reads };
}

const query: ChangeQuery = {
  model: exampleModel,
  after: 1000,
  floor: 5000,
  scopes: new Set(["t1", "t2"]),
  clientId: "dev",
  limit: 1000,
};

/** The number of the read that made a page. */
const readOf = (page: ChangePage) => page.changes[0]?.seq;
/** Lets the read ahead start (it waits for a later turn of the event loop). */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("createPageReadAhead", () => {
  it("answers the query read ahead with that read, once", async () => {
    const { store, reads } = pageStore();
    const ahead = createPageReadAhead();
    ahead.readAhead(store, query);
    expect(reads).toHaveLength(0);
    await turn();
    expect(reads).toHaveLength(1);
    expect(
      readOf(await ahead.read(store, { ...query, scopes: new Set(["t2", "t1"]) }, facts)),
    ).toBe(1);
    expect(readOf(await ahead.read(store, query, facts))).toBe(2);
  });

  it("never answers a query that differs in any field with it", async () => {
    const others: ChangeQuery[] = [
      { ...query, clientId: "dev2" },
      { ...query, after: 999 },
      { ...query, floor: 0 },
      { ...query, limit: 999 },
      { ...query, scopes: new Set(["t1"]) },
      { ...query, scopes: new Set(["t1", "t2", "t3"]) },
      { ...query, scopes: undefined },
      // A clientId that would join with the next field into the same text, were they joined.
      { ...query, clientId: 'dev",1000' },
    ];
    for (const other of others) {
      const { store, reads } = pageStore();
      const ahead = createPageReadAhead();
      ahead.readAhead(store, query);
      await turn();
      expect(readOf(await ahead.read(store, other, facts))).toBe(2);
      expect(reads[1]).toBe(other);
    }
  });

  it("reads again when the store changed since the page was read ahead: a change, a pruning, another store, a restored one", async () => {
    for (const now of [
      { ...facts, lastSeq: 71 },
      { ...facts, prunedSeq: 21 },
      { ...facts, epoch: "e2" },
      // Restored in place from a backup (same epoch) and written up to the same sequence again.
      { ...facts, newestMark: "m2" },
    ]) {
      const { store, reads } = pageStore();
      const ahead = createPageReadAhead();
      ahead.readAhead(store, query);
      await turn();
      expect(readOf(await ahead.read(store, query, now))).toBe(2);
      expect(reads).toHaveLength(2);
    }
  });

  it("reads a query asked for before its read ahead started, and then never starts that one", async () => {
    const { store, reads } = pageStore();
    const ahead = createPageReadAhead();
    ahead.readAhead(store, query);
    expect(readOf(await ahead.read(store, query, facts))).toBe(1);
    await turn();
    expect(reads).toHaveLength(1);
  });

  it("reads again for the request when the read ahead failed, rejected or thrown", async () => {
    for (const failure of ["reject", "throw"] as const) {
      const { store, reads } = pageStore((read) => (read === 1 ? failure : null));
      const ahead = createPageReadAhead();
      ahead.readAhead(store, query);
      await turn();
      expect(readOf(await ahead.read(store, query, facts))).toBe(2);
      expect(reads).toHaveLength(2);
    }
  });

  it("keeps at most maxPages pages, the most recent", async () => {
    const { store, reads } = pageStore();
    const ahead = createPageReadAhead({ maxPages: 2 });
    for (const clientId of ["a", "b", "c"]) ahead.readAhead(store, { ...query, clientId });
    await turn();
    // The first was dropped before its read started: it never started.
    expect(reads.map((read) => read.clientId)).toEqual(["b", "c"]);
    expect(readOf(await ahead.read(store, { ...query, clientId: "a" }, facts))).toBe(3);
    expect(readOf(await ahead.read(store, { ...query, clientId: "c" }, facts))).toBe(2);
  });

  it("drops a page not asked for within maxAgeMs", async () => {
    const { store } = pageStore();
    const ahead = createPageReadAhead({ maxAgeMs: 20 });
    ahead.readAhead(store, query);
    await turn();
    await sleep(60);
    expect(readOf(await ahead.read(store, query, facts))).toBe(2);
  });

  it("reads at most maxReads pages ahead at once; the request of another reads its own", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { store, reads } = pageStore();
    const slow = {
      readChanges: async (q: ChangeQuery) => {
        const page = await store.readChanges(q);
        await held;
        return page;
      },
    } as unknown as SyncStore;
    const ahead = createPageReadAhead({ maxReads: 2 });
    for (const clientId of ["a", "b", "c"]) ahead.readAhead(slow, { ...query, clientId });
    await turn();
    expect(reads.map((read) => read.clientId)).toEqual(["a", "b"]);
    release();
    expect(readOf(await ahead.read(slow, { ...query, clientId: "c" }, facts))).toBe(3);
    expect(readOf(await ahead.read(slow, { ...query, clientId: "a" }, facts))).toBe(1);
    // The reads ended: another may start.
    ahead.readAhead(store, { ...query, clientId: "d" });
    await turn();
    expect(reads.at(-1)?.clientId).toBe("d");
  });

  it("drops every page and reads none ahead once closed", async () => {
    const { store, reads } = pageStore();
    const ahead = createPageReadAhead();
    ahead.readAhead(store, query);
    ahead.readAhead(store, { ...query, clientId: "b" });
    await turn();
    expect(reads).toHaveLength(2);
    ahead.close();
    ahead.readAhead(store, { ...query, clientId: "c" });
    await turn();
    expect(reads).toHaveLength(2);
    expect(readOf(await ahead.read(store, query, facts))).toBe(3);
  });
});
