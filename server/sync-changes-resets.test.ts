import { describe, expect, it } from "vitest";
import { insert, remove, update } from "../test-utils/operations.ts";
import { fetchPage, receiveRun, requestPage, sendBatch } from "../test-utils/receive.ts";
import {
  byKey,
  cleanups,
  customer,
  customers,
  deleted,
  start,
} from "../test-utils/receive-fixtures.ts";
import type { TestServer } from "../test-utils/test-server.ts";

/**
 * `text` (base64url whose length leaves padding bits in its last character) with the lowest of
 * those bits flipped: other text, the same bytes once decoded.
 */
function lowBitFlipped(text: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const last = alphabet.indexOf(text.at(-1) ?? "");
  return `${text.slice(0, -1)}${alphabet[last ^ 1]}`;
}

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
      // The same signature bytes written otherwise: base64url decoding would take each of them.
      `${payload}.${lowBitFlipped(signature)}`,
      `${payload}.${signature}=`,
      `${payload}.${Buffer.from(signature, "base64url").toString("base64")}`,
    ];
    expect(Buffer.from(lowBitFlipped(signature), "base64url")).toEqual(
      Buffer.from(signature, "base64url"),
    );
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
  it("STORE_CHANGED: a replaced store signs with the same cursorSecret, so its devices get a reset", async () => {
    const cursorSecret = "a cursor secret of at least thirty-two characters";
    const before = await start({ cursorSecret });
    await customers(before, "b1", ["a"]);
    const old = await receiveRun(before, "dev", null);
    const replaced = await start({ cursorSecret });
    await customers(replaced, "b1", ["x", "y"]);
    const run = await receiveRun(replaced, "dev", old.cursor);
    expect(run.pages.map((p) => [p.reset, p.snapshotStart])).toEqual([["STORE_CHANGED", true]]);
    expect(run.changes).toEqual([customer(1, 1, "x"), customer(2, 1, "y")]);
    await expect(start({ cursorSecret: "short" })).rejects.toThrow(
      'option "cursorSecret" must be a text of at least 32 characters',
    );
  });

  it("STORE_CHANGED: a store restored from an older copy snapshots a newer cursor", async () => {
    const server = await start();
    await customers(server, "b1", ["a", "b"]);
    const old = await receiveRun(server, "dev", null);
    const copy = await server.copyDatabase();
    cleanups.push(copy.remove);
    const b2 = await sendBatch(server, "writer", "b2", [
      insert("customer", -3, { name: "c" }),
      remove("customer", 1),
    ]);
    expect(b2.results.map((r) => r.version)).toEqual([1, 2]);
    const newer = await receiveRun(server, "dev", old.cursor);
    // One batch's changes commit together: their order among themselves is the server's.
    expect(byKey(newer.changes)).toEqual([deleted("customer", 1, 2), customer(3, 1, "c")]);

    const restored = await start({ reuseDatabase: copy.url });
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
    await customers(server, "b1", ["a", "b"]);
    const old = await receiveRun(server, "dev", null);
    const copy = await server.copyDatabase();
    cleanups.push(copy.remove);
    await sendBatch(server, "writer", "b2", [
      insert("customer", -3, { name: "c" }),
      remove("customer", 1),
    ]);
    const newer = await receiveRun(server, "dev", old.cursor);
    const restored = await start({ reuseDatabase: copy.url });
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
