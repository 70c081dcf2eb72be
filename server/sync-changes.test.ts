import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { insert, remove, update } from "../test-utils/operations.ts";
import {
  brief,
  fetchPage,
  keysOf,
  receiveRun,
  requestPage,
  sendBatch,
  type WireChange,
  type WirePage,
} from "../test-utils/receive.ts";
import { tempDir } from "../test-utils/temp-dir.ts";
import {
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from "../test-utils/test-server.ts";

const servers: TestServer[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function start(options: TestServerOptions = {}): Promise<TestServer> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

/** Inserts customers named `names` in one batch; answers their server keys. */
async function customers(server: TestServer, batchId: string, names: string[]): Promise<number[]> {
  const answer = await sendBatch(
    server,
    "writer",
    batchId,
    names.map((name, i) => insert("customer", -(i + 1), { name })),
  );
  expect(answer.results.map((r) => r.status)).toEqual(names.map(() => "APPLIED"));
  return answer.keyMappings.map((m) => Number(m.serverKey));
}

/** Changes sorted by table and key (the changes of one batch share a commit). */
const byKey = (changes: readonly WireChange[]) =>
  changes.toSorted((a, b) => `${a.table}:${a.key}`.localeCompare(`${b.table}:${b.key}`));

const customer = (key: number, version: number, name: string, email: string | null = null) => ({
  table: "customer",
  key: String(key),
  kind: "UPSERT",
  version,
  data: { name, email },
});
const deleted = (table: string, key: number | string, version: number) => ({
  table,
  key: String(key),
  kind: "DELETE",
  version,
  data: null,
});

describe("versions", () => {
  it("numbers a row 1 on insert and one more per applied update or delete, in syncBatch and syncChanges", async () => {
    const server = await start();
    const first = await sendBatch(server, "dev", "b1", [
      insert("customer", -1, { name: "Ada" }),
      insert("customer", -2, { name: "Bob" }),
      insert("invoice", -1, { customer_id: -1, issued_at: "2026-11-26", total: 5 }),
    ]);
    expect(first.results.map((r) => [r.status, r.version])).toEqual([
      ["APPLIED", 1],
      ["APPLIED", 1],
      ["APPLIED", 1],
    ]);
    const second = await sendBatch(server, "dev", "b2", [
      update("customer", 1, { name: "Ada L." }),
      update("customer", 1, { email: "ada@example.com" }),
      remove("customer", 2),
      update("invoice", 1, { total: 6 }),
    ]);
    expect(second.results.map((r) => [r.status, r.version])).toEqual([
      ["APPLIED", 2],
      ["APPLIED", 3],
      ["APPLIED", 2],
      ["APPLIED", 2],
    ]);
    const rejected = await sendBatch(server, "dev", "b3", [
      update("customer", 2, { name: "gone" }),
      update("customer", 999, { name: "never" }),
      insert("invoice", -2, { customer_id: 999, issued_at: "2026-11-26", total: 1 }),
      remove("customer", 1),
      update("customer", 1, { name: "after delete" }),
    ]);
    expect(rejected.results.map((r) => [r.error?.code ?? r.status, r.version])).toEqual([
      ["NOT_FOUND", null],
      ["NOT_FOUND", null],
      ["CONSTRAINT_VIOLATION", null],
      ["CONSTRAINT_VIOLATION", null],
      ["APPLIED", 4],
    ]);

    const run = await receiveRun(server, "reader", null);
    expect(run.pages.map((p) => [p.hasMore, p.reset])).toEqual([[false, null]]);
    // Change-sequence order: customer 1's last change (b3) comes after invoice 1's (b2).
    expect(run.changes).toEqual([
      {
        table: "invoice",
        key: "1",
        kind: "UPSERT",
        version: 2,
        data: { customer_id: 1, issued_at: "2026-11-26", total: 6 },
      },
      customer(1, 4, "after delete", "ada@example.com"),
    ]);
  });

  it("goes on counting for a device-keyed row deleted and inserted again", async () => {
    const server = await start();
    const id = "6f1c9d1e-0000-4000-8000-000000000001";
    const { cursor } = await receiveRun(server, "reader", null);
    const answer = await sendBatch(server, "dev", "b1", [
      insert("note", id, { body: "one" }),
      remove("note", id),
      insert("note", id, { body: "two" }),
      update("note", id, { body: "three" }),
    ]);
    expect(answer.results.map((r) => r.version)).toEqual([1, 2, 3, 4]);
    const run = await receiveRun(server, "reader", cursor);
    expect(run.changes).toEqual([
      {
        table: "note",
        key: id,
        kind: "UPSERT",
        version: 4,
        data: { customer_id: null, body: "three" },
      },
    ]);
    await sendBatch(server, "dev", "b2", [remove("note", id)]);
    const after = await receiveRun(server, "reader", run.cursor);
    expect(after.changes).toEqual([deleted("note", id, 5)]);
  });

  it("answers a replay with the same versions and writes no change", async () => {
    const server = await start();
    const ops = [
      insert("customer", -1, { name: "Ada" }),
      update("customer", -1, { name: "Ada L." }),
      update("customer", 42, { name: "missing" }),
    ];
    const first = await sendBatch(server, "dev", "b1", ops);
    expect(first.results.map((r) => r.version)).toEqual([1, 2, null]);
    const { cursor, changes } = await receiveRun(server, "reader", null);
    expect(changes).toEqual([customer(1, 2, "Ada L.")]);

    const replay = await sendBatch(server, "dev", "b1", ops);
    expect(replay).toEqual({ ...first, replayed: true });
    const after = await fetchPage(server, "reader", cursor);
    expect(after).toMatchObject({ changes: [], hasMore: false, reset: null });
    expect((await receiveRun(server, "other", null)).changes).toEqual([customer(1, 2, "Ada L.")]);
  });
});

describe("paging", () => {
  it("pages N rows in change-sequence order for every limit from 1 to N + 1", async () => {
    const server = await start();
    const keys = await customers(server, "b1", ["a", "b", "c", "d", "e"]);
    expect(keys).toEqual([1, 2, 3, 4, 5]);
    for (let limit = 1; limit <= 6; limit++) {
      const run = await receiveRun(server, `reader-${limit}`, null, limit);
      const sizes = run.pages.map((page) => page.changes.length);
      const expected = Array.from({ length: Math.ceil(5 / limit) }, (_, i) =>
        Math.min(limit, 5 - i * limit),
      );
      expect(sizes, `limit ${limit}`).toEqual(expected);
      expect(run.pages.map((page) => page.hasMore)).toEqual(
        expected.map((_, i) => i < expected.length - 1),
      );
      expect(run.pages.every((page) => page.reset === null)).toBe(true);
      expect(run.changes).toEqual(
        ["a", "b", "c", "d", "e"].map((name, i) => customer(i + 1, 1, name)),
      );
      // The run's last cursor is at the newest change: nothing more.
      expect(await fetchPage(server, `reader-${limit}`, run.cursor, limit)).toMatchObject({
        changes: [],
        hasMore: false,
        reset: null,
      });
    }
  });

  it("sends a row once, at its latest change; one changed after its page comes again later", async () => {
    const server = await start();
    await customers(server, "b1", ["a", "b", "c", "d"]);
    const first = await fetchPage(server, "reader", null, 2);
    expect(first.changes).toEqual([customer(1, 1, "a"), customer(2, 1, "b")]);
    expect(first.hasMore).toBe(true);
    // Row 1 changes after the device read it; rows 3 changes twice before the device reads it.
    await sendBatch(server, "writer", "b2", [update("customer", 1, { name: "a2" })]);
    await sendBatch(server, "writer", "b3", [update("customer", 3, { name: "c2" })]);
    await sendBatch(server, "writer", "b4", [update("customer", 3, { name: "c3" })]);
    const second = await fetchPage(server, "reader", first.cursor, 2);
    expect(second.changes).toEqual([customer(4, 1, "d"), customer(1, 2, "a2")]);
    expect(second.hasMore).toBe(true);
    const third = await fetchPage(server, "reader", second.cursor, 2);
    expect(third.changes).toEqual([customer(3, 3, "c3")]);
    expect(third.hasMore).toBe(false);

    // From the start, every row once, ordered by its latest change.
    const fresh = await receiveRun(server, "fresh", null, 1);
    expect(keysOf(fresh.changes)).toEqual(["customer:2", "customer:4", "customer:1", "customer:3"]);
    expect(fresh.changes.map((c) => c.version)).toEqual([1, 1, 2, 3]);
  });

  it("clamps a limit above maxChangesPerPage and shows the limits in syncLimits", async () => {
    const server = await start({ limits: { maxChangesPerPage: 3 } });
    const limits = await server.gql<{ syncLimits: Record<string, number> }>(
      "{ syncLimits { maxChangesPerPage tombstoneRetentionSeconds } }",
    );
    expect(limits.data?.syncLimits).toEqual({
      maxChangesPerPage: 3,
      tombstoneRetentionSeconds: 30 * 24 * 60 * 60,
    });
    await customers(server, "b1", ["a", "b", "c", "d", "e", "f", "g"]);
    for (const limit of [undefined, 3, 4, 100, 2_147_483_647]) {
      const run = await receiveRun(server, `reader-${limit}`, null, limit);
      expect(
        run.pages.map((page) => page.changes.length),
        `limit ${limit}`,
      ).toEqual([3, 3, 1]);
      expect(run.pages.map((page) => page.hasMore)).toEqual([true, true, false]);
    }
    const nullLimit = await requestPage(server, "reader", null, null);
    expect(nullLimit.data?.syncChanges.changes).toHaveLength(3);
  });

  it("refuses a limit below 1 with BAD_USER_INPUT, and one above Int with a variable error", async () => {
    const server = await start();
    await customers(server, "b1", ["a"]);
    for (const limit of [0, -1, -2_147_483_648]) {
      const response = await requestPage(server, "reader", null, limit);
      expect(response.data, `limit ${limit}`).toBeNull();
      expect(response.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    }
    const tooBig = await requestPage(server, "reader", null, 2 ** 31);
    expect(tooBig.data ?? null).toBeNull();
    expect(tooBig.errors).toHaveLength(1);
  });

  it("answers an empty store with an empty page and a cursor that goes on", async () => {
    const server = await start();
    const empty = await fetchPage(server, "reader", null);
    expect(empty).toMatchObject({ changes: [], hasMore: false, reset: null });
    await customers(server, "b1", ["a"]);
    expect((await fetchPage(server, "reader", empty.cursor)).changes).toEqual([
      customer(1, 1, "a"),
    ]);
  });
});

describe("snapshots and tombstones", () => {
  it("gives a null cursor the live rows only, and a later cursor the DELETE tombstones", async () => {
    const server = await start();
    await customers(server, "b1", ["a", "b", "c"]);
    await sendBatch(server, "writer", "b2", [remove("customer", 2)]);
    const snapshot = await receiveRun(server, "reader", null);
    expect(snapshot.pages.map((p) => [p.reset, p.snapshotStart])).toEqual([[null, true]]);
    expect(snapshot.changes).toEqual([customer(1, 1, "a"), customer(3, 1, "c")]);

    await sendBatch(server, "writer", "b3", [
      remove("customer", 1),
      update("customer", 3, { name: "c2" }),
    ]);
    const later = await receiveRun(server, "reader", snapshot.cursor);
    expect(byKey(later.changes)).toEqual([deleted("customer", 1, 2), customer(3, 2, "c2")]);
    expect(later.pages.map((p) => [p.reset, p.snapshotStart])).toEqual([[null, false]]);
    // A device starting now gets neither tombstone.
    expect((await receiveRun(server, "late", null)).changes).toEqual([customer(3, 2, "c2")]);
  });

  it("sends the deletes made while a snapshot runs", async () => {
    const server = await start();
    await customers(server, "b1", ["a", "b", "c"]);
    const first = await fetchPage(server, "reader", null, 1);
    expect(first.changes).toEqual([customer(1, 1, "a")]);
    await sendBatch(server, "writer", "b2", [remove("customer", 1), remove("customer", 3)]);
    const rest = await receiveRun(server, "reader", first.cursor, 1);
    expect(rest.changes[0]).toEqual(customer(2, 1, "b"));
    expect(byKey(rest.changes.slice(1))).toEqual([
      deleted("customer", 1, 2),
      deleted("customer", 3, 2),
    ]);
    expect(rest.pages.map((page) => page.changes.length)).toEqual([1, 1, 1]);
    expect(rest.pages.every((page) => page.reset === null)).toBe(true);
  });
});

describe("INVALID_CURSOR", () => {
  const expectInvalid = async (server: TestServer, clientId: string, cursor: string) => {
    const response = await requestPage(server, clientId, cursor);
    expect(response.status).toBe(200);
    expect(response.data).toBeNull();
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(["INVALID_CURSOR"]);
  };

  it("refuses garbled, foreign, altered, long and other stores' cursors whole", async () => {
    const server = await start();
    await customers(server, "b1", ["a", "b"]);
    const { cursor } = await fetchPage(server, "dev", null, 1);
    expect((await fetchPage(server, "dev", cursor)).changes).toEqual([customer(2, 1, "b")]);

    const [payload = "", signature = ""] = cursor.split(".");
    const flip = (text: string, at: number) =>
      `${text.slice(0, at)}${text[at] === "A" ? "B" : "A"}${text.slice(at + 1)}`;
    const invalid = [
      "garbled",
      "",
      ".",
      "a.b",
      `${cursor}.`,
      `${payload}.`,
      `.${signature}`,
      `${flip(payload, 0)}.${signature}`,
      `${flip(payload, Math.floor(payload.length / 2))}.${signature}`,
      `${payload}.${flip(signature, 3)}`,
      `${payload}x.${signature}`,
      "x".repeat(10_000),
      `${payload}.${signature}${"A".repeat(10_000)}`,
      Buffer.from(JSON.stringify(["dev", 1, "e", "all", null, null])).toString("base64url"),
    ];
    for (const text of invalid) await expectInvalid(server, "dev", text);
    // A cursor of another device.
    await expectInvalid(server, "other-device", cursor);
    // A cursor signed by another server's store (its own secret).
    const other = await start();
    await customers(other, "b1", ["a", "b"]);
    const foreign = await fetchPage(other, "dev", null, 1);
    await expectInvalid(server, "dev", foreign.cursor);
    await expectInvalid(other, "dev", cursor);
    // The genuine cursor still works.
    expect((await fetchPage(server, "dev", cursor)).changes).toEqual([customer(2, 1, "b")]);
  });
});

describe("resets", () => {
  it("STORE_CHANGED: a store restored from an older copy snapshots a newer cursor", async () => {
    const server = await start();
    const backups = tempDir();
    cleanups.push(backups.remove);
    await customers(server, "b1", ["a", "b"]);
    const old = await receiveRun(server, "dev", null);
    const copy = join(backups.path, "restored.db");
    await server.rows("VACUUM INTO ?", [copy]);
    const b2 = await sendBatch(server, "writer", "b2", [
      insert("customer", -3, { name: "c" }),
      remove("customer", 1),
    ]);
    expect(b2.results.map((r) => r.version)).toEqual([1, 2]);
    const newer = await receiveRun(server, "dev", old.cursor);
    // One batch's changes commit together: their order among themselves is the server's.
    expect(byKey(newer.changes)).toEqual([deleted("customer", 1, 2), customer(3, 1, "c")]);

    const restored = await start({ reuseDatabase: `file:${copy}` });
    // The older cursor is as far as the copy: nothing new, no reset.
    expect(await fetchPage(restored, "dev", old.cursor)).toMatchObject({
      changes: [],
      hasMore: false,
      reset: null,
    });
    // The newer cursor passed changes the copy never had: a snapshot of the copy's rows.
    const reset = await receiveRun(restored, "dev", newer.cursor, 1);
    expect(reset.pages.map((p) => [p.reset, p.hasMore])).toEqual([
      ["STORE_CHANGED", true],
      ["STORE_CHANGED", false],
    ]);
    expect(reset.changes).toEqual([customer(1, 1, "a"), customer(2, 1, "b")]);
    // The snapshot's final cursor goes on normally.
    await sendBatch(restored, "writer", "b3", [update("customer", 2, { name: "b2" })]);
    const next = await receiveRun(restored, "dev", reset.cursor);
    expect(next.changes).toEqual([customer(2, 2, "b2")]);
    expect(next.pages.map((p) => p.reset)).toEqual([null]);
  });

  // The cursor's commit mark tells a restored store that wrote past it from the one it was made on.
  it("STORE_CHANGED: also once the restored store has written past the cursor", async () => {
    const server = await start();
    const backups = tempDir();
    cleanups.push(backups.remove);
    await customers(server, "b1", ["a", "b"]);
    const old = await receiveRun(server, "dev", null);
    const copy = join(backups.path, "restored.db");
    await server.rows("VACUUM INTO ?", [copy]);
    await sendBatch(server, "writer", "b2", [
      insert("customer", -3, { name: "c" }),
      remove("customer", 1),
    ]);
    const newer = await receiveRun(server, "dev", old.cursor);
    const restored = await start({ reuseDatabase: `file:${copy}` });
    await sendBatch(restored, "other", "b1", [
      insert("customer", -1, { name: "x" }),
      insert("customer", -2, { name: "y" }),
      insert("customer", -3, { name: "z" }),
    ]);
    const run = await receiveRun(restored, "dev", newer.cursor);
    expect(run.pages.map((p) => p.reset)).toEqual(["STORE_CHANGED"]);
  });

  it("CURSOR_EXPIRED: a cursor older than the pruned tombstones gets a snapshot", async () => {
    const server = await start({ limits: { tombstoneRetentionSeconds: 1 } });
    const limits = await server.gql<{ syncLimits: Record<string, number> }>(
      "{ syncLimits { tombstoneRetentionSeconds } }",
    );
    expect(limits.data?.syncLimits).toEqual({ tombstoneRetentionSeconds: 1 });
    await customers(server, "b1", ["a", "b", "c"]);
    const old = await receiveRun(server, "dev", null);
    await sendBatch(server, "writer", "b2", [remove("customer", 2)]);
    const recent = await receiveRun(server, "dev", old.cursor);
    expect(recent.changes).toEqual([deleted("customer", 2, 2)]);

    // The tombstone of customer 2, and the commit mark of b1 (b2's, the newest, stays).
    expect(await server.sync.store.pruneTombstones(Date.now() + 10_000, 1_000)).toBe(2);
    // A cursor that passed the pruned tombstone needs nothing more.
    expect(await fetchPage(server, "dev", recent.cursor)).toMatchObject({
      changes: [],
      hasMore: false,
      reset: null,
    });
    // The older one missed it: every page of its run is a snapshot of the live rows.
    const reset = await receiveRun(server, "dev", old.cursor, 1);
    expect(reset.pages.map((p) => [p.reset, p.hasMore, p.snapshotStart])).toEqual([
      ["CURSOR_EXPIRED", true, true],
      ["CURSOR_EXPIRED", false, false],
    ]);
    expect(reset.changes).toEqual([customer(1, 1, "a"), customer(3, 1, "c")]);
    await sendBatch(server, "writer", "b3", [remove("customer", 3)]);
    const next = await receiveRun(server, "dev", reset.cursor);
    expect(next.changes).toEqual([deleted("customer", 3, 2)]);
    expect(next.pages.map((p) => p.reset)).toEqual([null]);
  });
});

describe("input", () => {
  it("refuses an empty clientId with BAD_USER_INPUT", async () => {
    const server = await start();
    const response = await requestPage(server, "", null);
    expect(response.data).toBeNull();
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("adoption", () => {
  it("delivers rows written to the database before the server started, at version 1", async () => {
    const server = await start({
      tables: [
        "INSERT INTO customer (id, name, email) VALUES (7, 'Pre', 'pre@example.com'), (3, 'Early', NULL)",
        "INSERT INTO invoice (id, customer_id, issued_at, total) VALUES (1, 7, '2026-01-01', 9.5)",
        "INSERT INTO note (id, customer_id, body) VALUES ('n-1', 3, 'hello')",
      ],
    });
    const run = await receiveRun(server, "dev", null, 2);
    expect(run.changes).toEqual([
      customer(3, 1, "Early"),
      customer(7, 1, "Pre", "pre@example.com"),
      {
        table: "invoice",
        key: "1",
        kind: "UPSERT",
        version: 1,
        data: { customer_id: 7, issued_at: "2026-01-01", total: 9.5 },
      },
      {
        table: "note",
        key: "n-1",
        kind: "UPSERT",
        version: 1,
        data: { customer_id: 3, body: "hello" },
      },
    ]);
    const answer = await sendBatch(server, "writer", "b1", [
      update("customer", 7, { name: "Pre2" }),
      remove("note", "n-1"),
    ]);
    expect(answer.results.map((r) => r.version)).toEqual([2, 2]);
    expect(byKey((await receiveRun(server, "dev", run.cursor)).changes)).toEqual([
      customer(7, 2, "Pre2", "pre@example.com"),
      deleted("note", "n-1", 2),
    ]);
  });
});

describe("commit order", () => {
  it("concurrent batches: a reader polling meanwhile and a run from null get every row exactly once", async () => {
    const server = await start();
    const start0 = await receiveRun(server, "poller", null);
    const writers = 8;
    const perBatch = 5;
    let done = false;
    const polled: WirePage[] = [];
    const poll = async () => {
      let cursor = start0.cursor;
      for (;;) {
        const finished = done;
        const page = await fetchPage(server, "poller", cursor, 3);
        polled.push(page);
        cursor = page.cursor;
        if (finished && !page.hasMore) return;
      }
    };
    const polling = poll();
    const answers = await Promise.all(
      Array.from({ length: writers }, (_, w) =>
        sendBatch(
          server,
          `writer-${w}`,
          "b1",
          Array.from({ length: perBatch }, (_, i) =>
            insert("customer", -(i + 1), { name: `w${w}-${i}` }),
          ),
        ),
      ),
    );
    done = true;
    await polling;
    const written = answers.flatMap((a) => a.keyMappings.map((m) => `customer:${m.serverKey}`));
    expect(new Set(written).size).toBe(writers * perBatch);

    const polledKeys = keysOf(polled.flatMap((page) => page.changes));
    expect(polledKeys.toSorted()).toEqual(written.toSorted());
    for (const page of polled) expect(page.reset).toBeNull();

    const run = await receiveRun(server, "fresh", null, 7);
    expect(keysOf(run.changes).toSorted()).toEqual(written.toSorted());
    expect(new Set(run.changes.map(brief).map((b) => b[3]))).toEqual(new Set([1]));
    // Rows of one batch are contiguous in the change sequence.
    const byBatch = run.changes.map((c) => String(c.data?.name).split("-")[0]);
    const runs = byBatch.filter((name, i) => name !== byBatch[i - 1]);
    expect(runs).toHaveLength(writers);
  });
});
