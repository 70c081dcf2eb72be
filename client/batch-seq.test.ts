import { describe, expect, it } from "vitest";
import { faultyFetch } from "../test-utils/faulty-fetch.ts";
import { migratingDevice } from "../test-utils/migrating-device.ts";
import { count, locations, sendFixtures } from "../test-utils/send-fixtures.ts";
import { nextBatchSeq } from "./batch-seq.ts";
import { outboxMigrations } from "./generated/outbox-migrations.ts";
import { type SendError, SyncClientError } from "./index.ts";

// The device numbers its batches (batchSeq) durably: a resend carries the number it was formed
// with, a new batch one above every earlier one, also after a restart; and a batch the server
// refuses as expired stays in the outbox, surfaced as BATCH_EXPIRED.

const { setup } = sendFixtures();

/** The server's stored answers: batch id and batchSeq, in the order they were stored. */
const serverBatches = async (rows: (sql: string) => Promise<Array<Record<string, unknown>>>) =>
  (await rows("SELECT batch_id, batch_seq FROM sync_batch ORDER BY rowid")).map((row) => ({
    batchId: String(row.batch_id),
    batchSeq: Number(row.batch_seq),
  }));

describe("batchSeq on the device", () => {
  it("numbers batches from 1 and goes on above them after the device restarts", async () => {
    const { server, device } = await setup();
    await locations(device, 30, 10);
    await device.client.send();
    const first = await serverBatches(server.rows);
    expect(first.map((b) => b.batchSeq)).toEqual([1, 2, 3]);
    await device.closeClient();
    await device.reopen();
    await locations(device, 20, 10, 30);
    await device.client.send();
    const all = await serverBatches(server.rows);
    expect(all.map((b) => b.batchSeq)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(all.map((b) => b.batchId)).size).toBe(5);
  });

  it("resends a batch whose answer was lost, after a restart, with its batch id and batchSeq", async () => {
    const faults = faultyFetch((n) => (n === 2 ? "drop-answer" : "ok"));
    const { server, device } = await setup({ fetch: faults.fetch, retry: { retries: 0 } });
    await locations(device, 20, 10);
    const failure = (await device.client.send().catch((e: unknown) => e)) as SendError;
    expect(failure.code).toBe("NETWORK");
    const open = await device.rows("SELECT batch_id, batch_seq FROM sync_batch ORDER BY formed");
    expect(open.map((row) => Number(row.batch_seq))).toEqual([2]);
    await device.closeClient();
    await device.reopen();
    const report = await device.client.send();
    expect(report).toMatchObject({ batches: 1, replayed: 1 });
    const stored = await serverBatches(server.rows);
    expect(stored).toEqual([
      { batchId: expect.any(String), batchSeq: 1 },
      { batchId: String(open[0]?.batch_id), batchSeq: 2 },
    ]);
    // The counter went on from the open batch: the next batch is 3.
    await locations(device, 5, 5, 20);
    await device.client.send();
    expect((await serverBatches(server.rows)).map((b) => b.batchSeq)).toEqual([1, 2, 3]);
  });
});

describe("the batch_seq migration", () => {
  it("numbers a device's open batches in the order they were formed, from 1, and goes on above them", async () => {
    const { database, migrate, close } = await migratingDevice("batch-seq-migration-");
    try {
      // A device of the release before: two open batches, formed 1 and 2, seq ranges reversed.
      await migrate(4);
      await database.transaction(async (tx) => {
        await tx.execute(`INSERT INTO sync_batch (batch_id, first_seq, last_seq, checkpoint_seq, formed)
                          VALUES ('older', 11, 20, NULL, 1), ('newer', 1, 10, NULL, 2)`);
      });
      await migrate(outboxMigrations.length);
      const { rows } = await database.read(
        "SELECT batch_id, batch_seq FROM sync_batch ORDER BY formed",
      );
      expect(rows.map((row) => [row[0], row[1]])).toEqual([
        ["older", 1],
        ["newer", 2],
      ]);
      expect(await database.transaction((tx) => nextBatchSeq(tx))).toBe(3);
    } finally {
      await close();
    }
  });

  it("starts a device without open batches at 1", async () => {
    const { database, migrate, close } = await migratingDevice("batch-seq-migration-");
    try {
      await migrate(outboxMigrations.length);
      expect(await database.transaction((tx) => nextBatchSeq(tx))).toBe(1);
      expect(await database.transaction((tx) => nextBatchSeq(tx))).toBe(2);
    } finally {
      await close();
    }
  });
});

describe("BATCH_EXPIRED", () => {
  it("surfaces as the client error with a report; the events stay in the outbox, unsent", async () => {
    const { server, device } = await setup();
    await locations(device, 10, 10);
    await device.client.send();
    // As if the server had pruned this client's answers up to 50 (a device restored from a
    // backup meets this: its numbers are below what the server saw).
    await server.rows("INSERT INTO sync_batch_mark (client_id, pruned_seq) VALUES (?, 50)", [
      device.client.clientId,
    ]);
    await locations(device, 10, 10, 10);
    const rowsBefore = await count(server.rows, "location");
    for (let attempt = 1; attempt <= 2; attempt++) {
      const failure = (await device.client.send().catch((e: unknown) => e)) as SendError;
      expect(failure).toBeInstanceOf(SyncClientError);
      expect(failure).toMatchObject({ code: "BATCH_EXPIRED", serverCode: "BATCH_EXPIRED" });
      expect(failure.message).toMatch(/batchSeq 2, at or below 50/);
      expect(failure.report).toMatchObject({ batches: 0, applied: 0, retries: 0 });
      // Nothing dropped, nothing applied, and the batch kept its number for the app to decide.
      expect(await count(device.rows, "sync_outbox WHERE status = 'pending'")).toBe(11);
      expect(await device.rows("SELECT batch_seq FROM sync_batch")).toEqual([{ batch_seq: 2 }]);
      expect(await count(server.rows, "location")).toBe(rowsBefore);
    }
    expect(await device.client.events({ status: "pending" })).toHaveLength(10);
  });
});
