import { afterEach, describe, expect, it } from "vitest";
import { exampleModel, type TableInfo } from "../../schema/index.ts";
import { openTestStore, type TestStore } from "../../test-utils/test-store.ts";
import { ConstraintViolation, type SyncStore, type TempKeyEntry } from "./sync-store.ts";

// The store contract: the same tests on the libSQL store (project `libsql`) and on the PostgreSQL
// store (project `postgres`), through the SyncStore interface only.

let testStore: TestStore | undefined;
afterEach(async () => {
  await testStore?.close();
  testStore = undefined;
});

async function opened(): Promise<SyncStore> {
  testStore = await openTestStore();
  return testStore.store;
}

const map = (table: string, clientKey: number, serverKey: number | null): TempKeyEntry => ({
  table,
  clientKey,
  serverKey,
});

const tableOf = (name: string) => exampleModel.byName.get(name) as TableInfo;

/** A note row as `insertRows` takes it: its columns in the table's order. */
const noteRow = (key: string) =>
  tableOf("note").columns.map((column) =>
    column.name === "id" ? key : column.name === "body" ? `body of ${key}` : null,
  );

describe("temporary keys", () => {
  it("finds mapped keys across runs, gaps, tables and clients, and rejected keys until mapped", async () => {
    const s = await opened();
    await s.writeTransaction(async (tx) => {
      // -1..-3 → 10..12 and -4..-5 → 20..21 (two runs), -7 → 30 after a gap, -6 rejected.
      await tx.saveTempKeys("a", [
        ...[-1, -2, -3].map((k) => map("invoice", k, 9 - k)),
        map("invoice", -4, 20),
        map("invoice", -5, 21),
        map("invoice", -6, null),
        map("invoice", -7, 30),
        map("customer", -1, 99),
      ]);
      await tx.saveTempKeys("b", [map("invoice", -1, 500)]);
    });
    const found = await s.writeTransaction((tx) =>
      tx.findTempKeys("a", "invoice", [-8, -7, -6, -5, -4, -3, -2, -1, -100]),
    );
    expect(Object.fromEntries(found)).toEqual({
      "-1": 10,
      "-2": 11,
      "-3": 12,
      "-4": 20,
      "-5": 21,
      "-6": null,
      "-7": 30,
    });
    // A range of keys that starts inside a run found by its start above the range.
    const inside = await s.writeTransaction((tx) => tx.findTempKeys("a", "invoice", [-3, -2]));
    expect(Object.fromEntries(inside)).toEqual({ "-2": 11, "-3": 12 });
    const other = await s.writeTransaction((tx) => tx.findTempKeys("b", "invoice", [-1, -2]));
    expect(Object.fromEntries(other)).toEqual({ "-1": 500 });
    // The rejected key applied later: mapped, no longer rejected.
    await s.writeTransaction((tx) => tx.saveTempKeys("a", [map("invoice", -6, 40)]));
    const retried = await s.writeTransaction((tx) => tx.findTempKeys("a", "invoice", [-6]));
    expect(Object.fromEntries(retried)).toEqual({ "-6": 40 });
  });
});

describe("rows a client failed to insert", () => {
  it("are remembered per client until the row is inserted after all", async () => {
    const s = await opened();
    const a = { table: "note", key: "n1" };
    const b = { table: "note", key: "n2" };
    await s.writeTransaction((tx) => tx.saveRejectedRows("dev", [a, b], []));
    const found = await s.writeTransaction((tx) => tx.findRejectedRows("dev", [a, b]));
    expect(found.size).toBe(2);
    expect((await s.writeTransaction((tx) => tx.findRejectedRows("other", [a, b]))).size).toBe(0);
    await s.writeTransaction((tx) => tx.saveRejectedRows("dev", [], [a]));
    expect((await s.writeTransaction((tx) => tx.findRejectedRows("dev", [a, b]))).size).toBe(1);
  });
});

describe("stored answers", () => {
  it("finds a saved answer by clientId and batchId, and prunes old ones beyond the newest kept", async () => {
    const s = await opened();
    await s.writeTransaction(async (tx) => {
      for (let seq = 1; seq <= 5; seq++) {
        await tx.saveBatch("dev", `b${seq}`, {
          requestHash: `h${seq}`,
          answer: `a${seq}`,
          batchSeq: seq,
        });
      }
      await tx.saveBatch("other", "b1", { requestHash: "x", answer: "y", batchSeq: 1 });
    });
    expect(await s.writeTransaction((tx) => tx.findBatch("dev", "b3"))).toEqual({
      requestHash: "h3",
      answer: "a3",
      batchSeq: 3,
    });
    expect(await s.writeTransaction((tx) => tx.findBatch("dev", "nope"))).toBeUndefined();
    // Everything is older than "before": each client keeps its 2 newest; at most 2 go per step.
    const retention = { before: Date.now() + 60_000, keep: 2, max: 2 };
    expect(await s.pruneBatches(retention)).toBe(2);
    expect(await s.pruneBatches(retention)).toBe(1);
    expect(await s.pruneBatches(retention)).toBe(0);
    const left = await s.writeTransaction(async (tx) =>
      Promise.all(["b1", "b2", "b3", "b4", "b5"].map((id) => tx.findBatch("dev", id))),
    );
    expect(left.map((batch) => batch?.batchSeq ?? null)).toEqual([null, null, null, 4, 5]);
    expect(await s.writeTransaction((tx) => tx.prunedBatchSeq("dev"))).toBe(3);
    expect(await s.writeTransaction((tx) => tx.prunedBatchSeq("other"))).toBe(0);
  });
});

describe("numbers handed out", () => {
  it("gives two stores over one database server keys above every key ever committed, and increasing change sequences", async () => {
    await opened();
    const first = testStore?.store as SyncStore;
    const second = (await testStore?.another()) as SyncStore;
    const customer = tableOf("customer");
    const row = (key: number) =>
      customer.columns.map((column) =>
        column.name === "id" ? key : column.name === "name" ? `c${key}` : null,
      );
    // One after the other: the libSQL store is one process's (a writer locks its file).
    const keys: number[] = [];
    for (const store of [first, second, first, second]) {
      await store.writeTransaction(async (tx) => {
        const start = await tx.reserveKeys(customer, 3);
        const block = [start, start + 1, start + 2];
        await tx.insertRows([{ table: customer, rows: block.map(row) }]);
        keys.push(...block);
      });
    }
    expect(new Set(keys).size).toBe(12);
    expect(keys).toEqual([...keys].sort((x, y) => x - y));
    // The newest row deleted: its key is still never handed out again.
    const last = keys.at(-1) ?? 0;
    await first.writeTransaction((tx) => tx.deleteRow(customer, last));
    expect(await second.writeTransaction((tx) => tx.reserveKeys(customer, 1))).toBeGreaterThan(
      last,
    );
    const seqs: number[] = [];
    for (const store of [first, second, first, second]) {
      seqs.push(await store.writeTransaction((tx) => tx.reserveSeqs(3)));
    }
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(4);
    expect((await first.facts()).lastSeq).toBeGreaterThanOrEqual((seqs.at(-1) ?? 0) + 2);
  });

  it("names the newest commit mark among its facts, a new one after each write that hands out numbers", async () => {
    const store = await opened();
    const marks: string[] = [];
    for (let i = 0; i < 3; i++) {
      await store.writeTransaction((tx) => tx.reserveSeqs(2));
      const facts = await store.facts();
      expect(facts.newestMark).toBe(await store.commitMark(facts.lastSeq));
      expect(facts.newestMark).not.toBe("");
      marks.push(facts.newestMark);
    }
    expect(new Set(marks).size).toBe(3);
  });
});

describe("a broken constraint", () => {
  it("is a ConstraintViolation that wrote nothing and leaves the transaction usable", async () => {
    const s = await opened();
    const note = tableOf("note");
    await s.writeTransaction(async (tx) => {
      await tx.insertRows([{ table: note, rows: [noteRow("n1")] }]);
      await expect(
        tx.insertRows([{ table: note, rows: [noteRow("n2"), noteRow("n1")] }]),
      ).rejects.toThrow(ConstraintViolation);
      await tx.insertRows([{ table: note, rows: [noteRow("n3")] }]);
    });
    const keys = await s.writeTransaction(async (tx) =>
      Promise.all(
        ["n1", "n2", "n3"].map(async (key) => (await tx.readRow(note, key)) !== undefined),
      ),
    );
    expect(keys).toEqual([true, false, true]);
  });
});

describe("clientIds and rates", () => {
  it("binds a clientId to its first subject, within the subject's quota, and refuses it once revoked", async () => {
    const s = await opened();
    const bind = (clientId: string, subject: string) =>
      s.writeTransaction((tx) => tx.bindClient(clientId, subject, 2));
    expect(await bind("c1", "ada")).toBe("bound");
    expect(await bind("c1", "ada")).toBe("bound");
    expect(await bind("c1", "bob")).toBe("taken");
    expect(await bind("c2", "ada")).toBe("bound");
    expect(await bind("c3", "ada")).toBe("over-quota");
    expect(await bind("c3", "bob")).toBe("bound");
    expect(await s.writeTransaction((tx) => tx.revokeClient("c1"))).toBe(true);
    expect(await s.writeTransaction((tx) => tx.revokeClient("never"))).toBe(false);
    expect(await bind("c1", "ada")).toBe("revoked");
  });

  it("reads a clientId's binding, as another store over the database sees it, without binding it", async () => {
    await opened();
    const first = testStore?.store as SyncStore;
    const second = (await testStore?.another()) as SyncStore;
    expect(await second.findClientBinding("c1", "ada")).toBeUndefined();
    // The read bound nothing: ada may still hold one clientId, and c1 is free for bob.
    expect(await first.writeTransaction((tx) => tx.bindClient("c2", "ada", 1))).toBe("bound");
    expect(await second.findClientBinding("c1", "bob")).toBeUndefined();
    expect(await first.writeTransaction((tx) => tx.bindClient("c1", "bob", 1))).toBe("bound");
    expect(await second.findClientBinding("c1", "bob")).toBe("bound");
    expect(await second.findClientBinding("c1", "ada")).toBe("taken");
    await first.writeTransaction((tx) => tx.revokeClient("c1"));
    // As bindClient decides: revoked to its own subject, still taken to any other.
    expect(await second.findClientBinding("c1", "bob")).toBe("revoked");
    expect(await second.findClientBinding("c1", "ada")).toBe("taken");
    expect(await first.writeTransaction((tx) => tx.bindClient("c1", "bob", 1))).toBe("revoked");
  });

  it("takes tokens from a bucket shared by two stores and tells how long to wait", async () => {
    await opened();
    const first = testStore?.store as SyncStore;
    const second = (await testStore?.another()) as SyncStore;
    const limit = { requests: 3, perSeconds: 60 };
    const now = 1_700_000_000_000;
    const waits: number[] = [];
    for (const store of [first, second, first, second]) {
      waits.push(await store.writeTransaction((tx) => tx.takeRateToken("client:dev", limit, now)));
    }
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    expect(waits[3]).toBeGreaterThanOrEqual(1);
    expect(waits[3]).toBeLessThanOrEqual(20);
    // One token comes back every 20 s.
    expect(
      await second.writeTransaction((tx) => tx.takeRateToken("client:dev", limit, now + 20_000)),
    ).toBe(0);
    expect(await first.writeTransaction((tx) => tx.takeRateToken("client:other", limit, now))).toBe(
      0,
    );
  });
});
