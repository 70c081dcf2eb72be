import { afterEach, describe, expect, it } from "vitest";
import { insert } from "../test-utils/operations.ts";
import { startTestServer, syncBatchDocument, type TestServer } from "../test-utils/test-server.ts";
import { createSyncServer } from "./server.ts";

// Stored answers do not grow forever (SYNC.md): each client's newest answers by batchSeq are kept,
// and every one younger than the retention; a batch at or below the pruned mark with no stored
// answer is refused whole with BATCH_EXPIRED.

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const start = async (options: Parameters<typeof startTestServer>[0] = {}) => {
  server = await startTestServer(options);
  return server;
};

/** One customer per batch, its name telling client and batchSeq apart; the same when sent again. */
const batchOf = (clientId: string, seq: number) => [
  { ...insert("customer", -1, { name: `${clientId} ${seq}` }), eventId: "1" },
];

/** Sends batches `from`..`to` of `clientId`, batch id `<clientId>-<seq>`; answers them by seq. */
async function sendBatches(s: TestServer, clientId: string, from: number, to: number) {
  const answers = new Map<number, unknown>();
  for (let seq = from; seq <= to; seq++) {
    const sent = await s.syncBatch(clientId, `${clientId}-${seq}`, batchOf(clientId, seq), seq);
    expect(sent.errors, `${clientId} ${seq}`).toBeUndefined();
    answers.set(seq, sent.answer);
  }
  return answers;
}

/** Stores every answer of `clientId` (or all) as written an hour ago. */
const age = (s: TestServer, clientId?: string) =>
  s.rows(
    `UPDATE sync_batch SET created_at = ? ${clientId === undefined ? "" : "WHERE client_id = ?"}`,
    [new Date(Date.now() - 3_600_000).toISOString(), ...(clientId === undefined ? [] : [clientId])],
  );

/** The batchSeqs of the answers kept for `clientId`, ascending. */
const kept = async (s: TestServer, clientId: string) =>
  (
    await s.rows("SELECT batch_seq FROM sync_batch WHERE client_id = ? ORDER BY batch_seq", [
      clientId,
    ])
  ).map((row) => Number(row.batch_seq));

const mark = async (s: TestServer, clientId: string) =>
  Number(
    (await s.rows("SELECT pruned_seq FROM sync_batch_mark WHERE client_id = ?", [clientId]))[0]
      ?.pruned_seq ?? 0,
  );

/** What a batch could write: the app's rows and the server's bookkeeping of them. */
const tables = async (s: TestServer) => ({
  customers: await s.rows("SELECT * FROM customer ORDER BY id"),
  answers: await s.rows("SELECT client_id, batch_id, batch_seq FROM sync_batch ORDER BY 1, 2"),
  keys: await s.rows("SELECT * FROM sync_key_run ORDER BY 1, 2, 3"),
  rows: await s.rows("SELECT table_name, row_key, version FROM sync_row ORDER BY seq"),
  marks: await s.rows("SELECT * FROM sync_batch_mark ORDER BY client_id"),
});

/** Prunes what an hour-old cut-off allows, `keep` per client. */
const prune = (s: TestServer, max = 1_000, keep = 16) =>
  s.sync.store.pruneBatches({ before: Date.now() - 60_000, keep, max });

describe("pruning stored answers", () => {
  it("keeps each client's 16 newest and every answer younger than the retention, and raises each client's mark", async () => {
    const s = await start();
    await sendBatches(s, "a", 1, 20);
    await sendBatches(s, "b", 1, 18);
    await sendBatches(s, "c", 1, 30);
    await age(s);
    // a's batch 2 was stored a moment ago: kept whatever its rank; c's answers are all young.
    await s.rows("UPDATE sync_batch SET created_at = ? WHERE client_id = 'a' AND batch_seq = 2", [
      new Date().toISOString(),
    ]);
    await s.rows("UPDATE sync_batch SET created_at = ? WHERE client_id = 'c'", [
      new Date().toISOString(),
    ]);
    expect(await prune(s)).toBe(3 + 2);
    expect(await kept(s, "a")).toEqual([2, ...range(5, 20)]);
    expect(await kept(s, "b")).toEqual(range(3, 18));
    expect(await kept(s, "c")).toEqual(range(1, 30));
    expect([await mark(s, "a"), await mark(s, "b"), await mark(s, "c")]).toEqual([4, 2, 0]);
    expect(await prune(s)).toBe(0);
  });

  it("never lowers a mark: pruning a lower batchSeq later keeps the higher mark", async () => {
    const s = await start();
    await sendBatches(s, "a", 1, 20);
    await age(s);
    await s.rows("UPDATE sync_batch SET created_at = ? WHERE batch_seq = 2", [
      new Date().toISOString(),
    ]);
    await prune(s);
    expect(await mark(s, "a")).toBe(4);
    await age(s);
    expect(await prune(s)).toBe(1);
    expect(await kept(s, "a")).toEqual(range(5, 20));
    expect(await mark(s, "a")).toBe(4);
  });

  it("is bounded by max per step, oldest batchSeq first over every client", async () => {
    const s = await start();
    await sendBatches(s, "a", 1, 21);
    await sendBatches(s, "b", 3, 20);
    await age(s);
    // a: 1..5 may go; b: 3, 4 may go. In batchSeq order: a1 a2, then a3 b3, a4 b4, a5.
    expect(await prune(s, 3)).toBe(3);
    expect((await kept(s, "a"))[0]).toBe(4);
    expect((await kept(s, "b"))[0]).toBe(3);
    expect(await prune(s, 3)).toBe(3);
    expect(await prune(s, 3)).toBe(1);
    expect(await prune(s, 3)).toBe(0);
    expect(await kept(s, "a")).toEqual(range(6, 21));
    expect(await kept(s, "b")).toEqual(range(5, 20));
    expect([await mark(s, "a"), await mark(s, "b")]).toEqual([5, 4]);
  });

  it("keeps more per client when told, and a tie of old answers (batchSeq 0) by storing time", async () => {
    const s = await start();
    await sendBatches(s, "a", 1, 20);
    await age(s);
    expect(await prune(s, 1_000, 18)).toBe(2);
    expect(await kept(s, "a")).toEqual(range(3, 20));
    // Answers stored before batchSeq existed all have 0: the newest of them are kept.
    await s.rows("UPDATE sync_batch SET batch_seq = 0, created_at = ? WHERE client_id = 'a'", [
      "2020-01-01T00:00:00.000Z",
    ]);
    await s.rows(
      "UPDATE sync_batch SET created_at = '2020-01-02T00:00:00.000Z' WHERE batch_id IN ('a-19', 'a-20')",
    );
    expect(await prune(s, 1_000, 17)).toBe(1);
    const ids = await s.rows("SELECT batch_id FROM sync_batch WHERE client_id = 'a'");
    expect(ids.map((row) => row.batch_id)).toContain("a-19");
    expect(ids.map((row) => row.batch_id)).toContain("a-20");
    expect(await mark(s, "a")).toBe(2);
  });
});

describe("BATCH_EXPIRED", () => {
  /** Client a with batches 1..20 sent and 1..4 pruned (mark 4). */
  async function pruned() {
    const s = await start();
    const answers = await sendBatches(s, "a", 1, 20);
    await age(s, "a");
    expect(await prune(s)).toBe(4);
    return { s, answers };
  }

  it("refuses a pruned batch sent again, whole, with nothing applied", async () => {
    const { s } = await pruned();
    const before = await tables(s);
    const again = await s.syncBatch("a", "a-3", batchOf("a", 3), 3);
    expect(again.data ?? null).toBeNull();
    expect(again.errors).toHaveLength(1);
    expect(again.errors?.[0]?.extensions).toMatchObject({
      code: "BATCH_EXPIRED",
      prunedBatchSeq: 4,
    });
    expect(again.errors?.[0]?.message).toMatch(/batchSeq 3, at or below 4/);
    expect(again.errors?.[0]?.message).toMatch(/nothing of it was applied/);
    expect(await tables(s)).toEqual(before);
  });

  it("refuses a new batch id at or below the mark; a batch above it applies", async () => {
    const { s } = await pruned();
    const before = await tables(s);
    for (const seq of [1, 4]) {
      const refused = await s.syncBatch("a", `new-${seq}`, batchOf("a", 100 + seq), seq);
      expect(refused.errors?.[0]?.extensions?.code, `batchSeq ${seq}`).toBe("BATCH_EXPIRED");
    }
    expect(await tables(s)).toEqual(before);
    const above = await s.syncBatch("a", "new-5", batchOf("a", 105), 5);
    expect(above.errors).toBeUndefined();
    expect(above.answer.results[0]?.status).toBe("APPLIED");
    const next = await s.syncBatch("a", "a-21", batchOf("a", 21), 21);
    expect(next.answer.replayed).toBe(false);
  });

  it("still replays every kept answer identically, whatever batchSeq it comes with", async () => {
    const { s, answers } = await pruned();
    const before = await tables(s);
    for (let seq = 5; seq <= 20; seq++) {
      const replay = await s.syncBatch("a", `a-${seq}`, batchOf("a", seq), seq);
      expect(replay.answer).toEqual({ ...(answers.get(seq) as object), replayed: true });
    }
    // A kept answer is found by its batch id first: a number at or below the mark replays too.
    const low = await s.syncBatch("a", "a-5", batchOf("a", 5), 1);
    expect(low.answer).toEqual({ ...(answers.get(5) as object), replayed: true });
    expect(await tables(s)).toEqual(before);
  });

  it("keeps marks per client: another client's low batchSeq applies", async () => {
    const { s } = await pruned();
    const other = await s.syncBatch("b", "b-1", batchOf("b", 1), 1);
    expect(other.answer.results[0]?.status).toBe("APPLIED");
    expect([await mark(s, "a"), await mark(s, "b")]).toEqual([4, 0]);
  });
});

describe("batchSeq at the boundary", () => {
  const send = (s: TestServer, batchSeq: unknown) =>
    s.gql(syncBatchDocument, {
      input: {
        clientId: "h",
        batchId: `h-${String(batchSeq)}`,
        ...(batchSeq === undefined ? {} : { batchSeq }),
        operations: batchOf("h", 1),
      },
    });

  it("refuses 0 and negatives with BAD_USER_INPUT naming input.batchSeq, nothing applied", async () => {
    const s = await start();
    const before = await tables(s);
    for (const batchSeq of [0, -1, -2_147_483_648]) {
      const refused = await send(s, batchSeq);
      expect(refused.data ?? null, `batchSeq ${batchSeq}`).toBeNull();
      expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
      expect(refused.errors?.[0]?.message).toBe(
        `input.batchSeq must be a positive integer (1 or more), got number ${batchSeq}`,
      );
    }
    expect(await tables(s)).toEqual(before);
  });

  it("refuses 2^31, a float, a text and a missing batchSeq before any resolver runs, naming the field", async () => {
    const s = await start();
    const before = await tables(s);
    for (const batchSeq of [2 ** 31, 1.5, "7", undefined]) {
      const refused = await send(s, batchSeq);
      expect(refused.status, `batchSeq ${batchSeq}`).toBe(400);
      expect(refused.data ?? null).toBeNull();
      expect(refused.errors).toHaveLength(1);
      expect(refused.errors?.[0]?.message).toMatch(/batchSeq/);
    }
    expect(await tables(s)).toEqual(before);
  });
});

describe("retention options", () => {
  it("tells its figures in syncLimits: 7 days and 16 by default, or the options'", async () => {
    const query = "{ syncLimits { batchRetentionSeconds storedBatchesPerClient } }";
    const s = await start();
    expect((await s.gql(query)).data).toEqual({
      syncLimits: { batchRetentionSeconds: 604_800, storedBatchesPerClient: 16 },
    });
    await s.close();
    const custom = await start({ batchRetention: { seconds: 3_600, keepPerClient: 40 } });
    expect((await custom.gql(query)).data).toEqual({
      syncLimits: { batchRetentionSeconds: 3_600, storedBatchesPerClient: 40 },
    });
    expect(custom.sync.batchRetention).toEqual({ seconds: 3_600, keepPerClient: 40 });
  });

  it("refuses keepPerClient below 16 and a retention that is not a positive integer", async () => {
    for (const [batchRetention, message] of [
      [{ keepPerClient: 15 }, /batchRetention.keepPerClient" must be an integer of at least 16/],
      [{ keepPerClient: 16.5 }, /batchRetention.keepPerClient/],
      [{ seconds: 0 }, /batchRetention.seconds" must be a positive integer/],
      [{ seconds: Number.NaN }, /batchRetention.seconds/],
    ] as const) {
      await expect(
        createSyncServer({ database: "file::memory:", batchRetention }),
        JSON.stringify(batchRetention),
      ).rejects.toThrow(message);
    }
  });

  it("prunes in the background: answers older than the retention go, 16 per client stay", async () => {
    const s = await start({ batchRetention: { seconds: 1 } });
    await sendBatches(s, "a", 1, 20);
    await age(s);
    // The step runs every tenth of the retention, at least every second.
    const deadline = Date.now() + 10_000;
    while ((await kept(s, "a")).length > 16 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await kept(s, "a")).toEqual(range(5, 20));
    expect(await mark(s, "a")).toBe(4);
    const expired = await s.syncBatch("a", "a-4", batchOf("a", 4), 4);
    expect(expired.errors?.[0]?.extensions?.code).toBe("BATCH_EXPIRED");
  });
});

/** The integers from `from` to `to`. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
