import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { insert, update } from "../test-utils/operations.ts";
import {
  type PageRun,
  receiveRun,
  requestPage,
  sendBatch,
  type WireChange,
  type WirePage,
} from "../test-utils/receive.ts";
import { customers, start } from "../test-utils/receive-fixtures.ts";
import {
  closeScopedServer,
  setGrants,
  startScopedServer,
} from "../test-utils/scoped-team-server.ts";
import { startServerProcess } from "../test-utils/server-process.ts";
import { seedTeams } from "../test-utils/team-seed.ts";
import { tempDir } from "../test-utils/temp-dir.ts";
import type { TestServer } from "../test-utils/test-server.ts";
import type { SyncStore } from "./store/sync-store.ts";

// The page after one that says hasMore is read ahead of its request (PageReadAhead): what a
// device gets must be what it would get without it, whatever happens between the two requests.

afterEach(closeScopedServer);

/** Lets the server's read ahead start and finish (it starts in a later turn of the event loop). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A wrapStore that notes each page read, by the change it starts after, in `log`. */
const noting =
  (log: string[]) =>
  (store: SyncStore): SyncStore => ({
    ...store,
    readChanges(query) {
      log.push(`read after ${query.after}`);
      return store.readChanges(query);
    },
  });

/** One page, the events of the server before it settled noted in `log`; throws on an error. */
async function page(
  server: TestServer,
  log: string[],
  clientId: string,
  cursor: string | null,
  limit: number,
): Promise<WirePage> {
  log.push("ask");
  const response = await requestPage(server, clientId, cursor, limit);
  await settle();
  if (!response.data) throw new Error(response.text);
  return response.data.syncChanges;
}

/** Each row's latest change (by table and key) over runs in order. */
function latest(...runs: PageRun[]): Map<string, WireChange> {
  const rows = new Map<string, WireChange>();
  for (const change of runs.flatMap((run) => run.changes)) {
    rows.set(`${change.table}:${change.key}`, change);
  }
  return rows;
}

describe("pages read ahead", () => {
  it("reads each page of a run once, the next one before it is asked for, and none after the last", async () => {
    const log: string[] = [];
    const server = await start({ wrapStore: noting(log) });
    await customers(server, "seed", ["a", "b", "c", "d", "e", "f", "g"]);
    log.length = 0;
    let cursor: string | null = null;
    for (let more = true; more; ) {
      const next: WirePage = await page(server, log, "dev", cursor, 2);
      cursor = next.cursor;
      more = next.hasMore;
    }
    expect(log).toEqual([
      "ask",
      "read after 0",
      "read after 2",
      "ask",
      "read after 4",
      "ask",
      "read after 6",
      "ask",
    ]);
  });

  it("reads every page when asked with readAheadPages: 0", async () => {
    const log: string[] = [];
    const server = await start({ wrapStore: noting(log), readAheadPages: 0 });
    await customers(server, "seed", ["a", "b", "c"]);
    log.length = 0;
    const first = await page(server, log, "dev", null, 2);
    await page(server, log, "dev", first.cursor, 2);
    expect(log).toEqual(["ask", "read after 0", "ask", "read after 2"]);
  });

  it("refuses option readAheadPages that is not an integer from 0 to 10,000", async () => {
    for (const value of [
      -1,
      1.5,
      Number.NaN,
      "8",
      10_001,
      1e9,
      2 ** 32,
      Number.POSITIVE_INFINITY,
    ]) {
      await expect(start({ readAheadPages: value as number })).rejects.toThrow(
        /option "readAheadPages" must be an integer from 0 to 10000/,
      );
    }
  });

  it("refuses SYNC_READ_AHEAD_PAGES that is not an integer from 0 to 10,000, naming it", async () => {
    const dir = tempDir("read-ahead-env-");
    try {
      for (const value of ["-1", "1.5", "8 pages", "1e3", "10001", "1000000000"]) {
        await expect(
          startServerProcess(`file:${join(dir.path, "server.db")}`, {
            SYNC_READ_AHEAD_PAGES: value,
          }),
        ).rejects.toThrow(`SYNC_READ_AHEAD_PAGES must be an integer from 0 to 10000, got ${value}`);
      }
    } finally {
      dir.remove();
    }
  });

  it("reads a page again when a change was committed after it was read ahead, and delivers every change", async () => {
    const log: string[] = [];
    const server = await start({ wrapStore: noting(log) });
    const keys = await customers(server, "seed", ["a", "b", "c", "d", "e"]);
    const first = await page(server, log, "dev", null, 2);
    expect(log.at(-1)).toBe("read after 2");
    // The page read ahead holds customers 3 and 4 at version 1; 3 changes, and one is added.
    const late = await sendBatch(server, "writer", "late", [
      update("customer", keys[2] as number, { name: "c2" }),
      update("customer", keys[0] as number, { name: "a2" }),
      insert("customer", -10, { name: "f" }),
    ]);
    expect(late.results.map((r) => r.status)).toEqual(["APPLIED", "APPLIED", "APPLIED"]);
    const rest = await receiveRun(server, "dev", first.cursor, 2);
    // Read again for its request: the store changed since it was read ahead.
    expect(log.filter((line) => line === "read after 2")).toHaveLength(2);
    expect(rest.pages[0]?.changes.map((c) => [c.key, c.version])).toEqual([
      [String(keys[3]), 1],
      [String(keys[4]), 1],
    ]);
    const after = await receiveRun(server, "dev", rest.cursor, 2);
    const rows = latest({ pages: [first], changes: first.changes, cursor: "" }, rest, after);
    expect([...rows.values()].map((c) => [c.key, c.version, c.data?.name])).toEqual(
      expect.arrayContaining([
        [String(keys[0]), 2, "a2"],
        [String(keys[1]), 1, "b"],
        [String(keys[2]), 2, "c2"],
        [String(keys[3]), 1, "d"],
        [String(keys[4]), 1, "e"],
        [String(late.keyMappings[0]?.serverKey), 1, "f"],
      ]),
    );
    expect(rows.size).toBe(6);
    // The cursor never passes a change it did not deliver: nothing more after that.
    expect((await receiveRun(server, "dev", after.cursor, 2)).changes).toEqual([]);
  });

  // Regression guards: these refusals come before a page read ahead is looked up.
  it("answers another clientId presenting the cursor with INVALID_CURSOR, never the page read ahead", async () => {
    const log: string[] = [];
    const server = await start({ wrapStore: noting(log) });
    await customers(server, "seed", ["a", "b", "c"]);
    const first = await page(server, log, "dev", null, 2);
    const stolen = await requestPage(server, "thief", first.cursor, 2);
    expect(stolen.data).toBeNull();
    expect(stolen.errors?.map((e) => e.extensions?.code)).toEqual(["INVALID_CURSOR"]);
    expect(stolen.text).not.toContain('"c"');
  });

  it("gives a device whose read scopes changed between two pages a reset, not the page read ahead", async () => {
    const server = await startScopedServer();
    setGrants({ dev: ["t1"] });
    await seedTeams(server);
    const first = await requestPage(server, "dev", null, 1);
    await settle();
    const cursor = first.data?.syncChanges.cursor ?? null;
    setGrants({ dev: ["t2"] });
    const next = await requestPage(server, "dev", cursor, 1);
    expect(next.data?.syncChanges).toMatchObject({ reset: "SCOPE_CHANGED", snapshotStart: true });
    const run = await receiveRun(server, "dev", next.data?.syncChanges.cursor ?? null, 1);
    const teams = [next.data?.syncChanges, ...run.pages].flatMap((p) => p?.changes ?? []);
    expect(teams.some((c) => c.table === "project" && c.data?.team_id === "t1")).toBe(false);
  });
});
