import { describe, expect, it } from "vitest";
import { insert, remove, update } from "../test-utils/operations.ts";
import { fetchPage, keysOf, receiveRun, requestPage, sendBatch } from "../test-utils/receive.ts";
import { byKey, customer, customers, deleted, start } from "../test-utils/receive-fixtures.ts";

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
