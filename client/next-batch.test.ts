import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { exampleModel, exampleTables } from "../schema/index.ts";
import { openTestDevice, type TestDevice } from "../test-utils/test-device.ts";
import { rowOfIdentity } from "../writer/row-identity.ts";
import { applyAnswer } from "./apply-answer.ts";
import type { DeviceDatabase, DeviceTransaction, SqlStatement } from "./device-database.ts";
import { type Batch, nextBatch } from "./next-batch.ts";
import { openNodeDeviceDatabase } from "./node-device-database.ts";
import { listEvents } from "./outbox-events.ts";
import { removeEvent } from "./remove-event.ts";
import { retryEvent } from "./retry-event.ts";

let device: TestDevice | undefined;
afterEach(async () => {
  await device?.close();
  device = undefined;
});

const sqlOf = (statement: SqlStatement | string) =>
  typeof statement === "string" ? statement : statement.sql;

/**
 * A transaction whose unordered batch query (aggregates without ORDER BY) answers its rows in
 * reverse order, as SQLite would be free to: the batch must still come out in outbox order.
 */
const scrambling = (tx: DeviceTransaction, seen: string[]): DeviceTransaction => ({
  ...tx,
  async execute(statement) {
    const sql = sqlOf(statement);
    const result = await tx.execute(statement);
    if (!sql.includes("group_concat")) return result;
    seen.push(sql);
    if (sql.includes("ORDER BY seq)")) return result;
    const [operations, seqs, tempKeys, ...rest] = result.rows[0] ?? [];
    const reverse = (json: unknown) => JSON.stringify(JSON.parse(String(json)).reverse());
    const ops = JSON.parse(Buffer.from(operations as Uint8Array).toString("utf8"));
    const scrambled = new Uint8Array(Buffer.from(JSON.stringify(ops.reverse())));
    return { ...result, rows: [[scrambled, reverse(seqs), reverse(tempKeys), ...rest]] };
  },
});

/** A location fix for the `i`-th insert. */
const fix = (i: number) => ({
  deviceId: `d${i}`,
  latitude: i,
  longitude: 0,
  recordedAt: "2026-11-26T00:00:00.000Z",
});

/**
 * A device where `record` wrote its events, its client closed (the test drives the outbox); by
 * default `count` location inserts, seqs 1…count.
 */
async function deviceWithLocations(
  count: number,
  record = async (client: TestDevice["client"]) => {
    for (let i = 1; i <= count; i++) await client.insert(exampleTables.location, fix(i));
  },
) {
  const opened = await openTestDevice("http://127.0.0.1:9/graphql");
  device = opened;
  await record(opened.client);
  await opened.client.close();
  return openNodeDeviceDatabase({
    path: fileURLToPath(new URL(opened.database)),
    busyTimeoutMs: 1000,
  });
}

/** Runs one statement in a transaction of its own. */
const run = (database: DeviceDatabase, statement: SqlStatement | string) =>
  database.transaction((tx) => tx.execute(statement));

/**
 * Forms batches and applies answers that apply a batch whole, mapping each inserted temporary key
 * to 100 + the event's seq; and lists the events in flight.
 */
function batches(database: DeviceDatabase) {
  return {
    form: (skip?: string) =>
      database.transaction((tx) =>
        nextBatch(tx, exampleModel, 1_000, { maxOperations: 100 }, skip),
      ),
    answer: (batch: Batch | undefined) =>
      database.transaction((tx) =>
        applyAnswer(tx, exampleModel, batch as Batch, {
          applied: [...(batch?.seqs ?? [])],
          rejected: [],
          mappings: new Map([
            [
              "location",
              (batch?.seqs ?? []).map(
                (seq, i) =>
                  [Number(rowOfIdentity(batch?.tempKeys[i] ?? "")[1]), 100 + seq] as const,
              ),
            ],
          ]),
          mappingCount: batch?.seqs.length ?? 0,
          versions: [],
          conflicts: [],
        }),
      ),
    inFlight: async () =>
      (await listEvents(database)).filter((event) => event.inFlight).map((event) => event.id),
  };
}

describe("nextBatch", () => {
  it("reads a batch in outbox order even when SQLite aggregates its rows out of order", async () => {
    const database = await deviceWithLocations(5);
    const seen: string[] = [];
    try {
      const batch = await database.transaction((tx) =>
        nextBatch(scrambling(tx, seen), exampleModel, 1_000, { maxOperations: 100 }),
      );
      expect(batch?.seqs).toEqual([1, 2, 3, 4, 5]);
      expect(batch?.tempKeys).toEqual([1, 2, 3, 4, 5].map((k) => `location\u0000${-k}`));
      const operations = JSON.parse(Buffer.from(batch?.operationsJson ?? []).toString("utf8"));
      expect(operations.map((op: { eventId: string }) => op.eventId)).toEqual([
        "1",
        "2",
        "3",
        "4",
        "5",
      ]);
      // The unordered query first, then the ordered one.
      expect(seen.map((sql) => sql.includes("ORDER BY seq)"))).toEqual([false, true]);
    } finally {
      await database.close();
      await device?.reopen();
    }
  });

  it("keeps a batch's range free of events that could turn pending while it is in flight", async () => {
    const database = await deviceWithLocations(6);
    try {
      // Event 3 came back rejected from an earlier send.
      await run(
        database,
        "UPDATE sync_outbox SET status = 'rejected', error_code = 'INVALID_VALUE', error_message = 'bad' WHERE seq = 3",
      );
      const { form, answer, inFlight } = batches(database);

      // The first batch stops before the rejected event; the next one starts after it.
      const first = await form();
      expect(first?.seqs).toEqual([1, 2]);
      const second = await form(first?.batchId);
      expect(second?.seqs).toEqual([4, 5, 6]);
      expect(await inFlight()).toEqual([1, 2, 4, 5, 6]);

      // The app puts event 3 back while both batches are open: it joins neither.
      expect(await retryEvent(database, exampleModel, 3)).toEqual([3]);
      expect(await inFlight()).toEqual([1, 2, 4, 5, 6]);
      await expect(removeEvent(database, exampleModel, 4)).rejects.toMatchObject({
        code: "INVALID_EVENT",
      });
      // A resend of an open batch is the same batch.
      expect((await form(second?.batchId))?.seqs).toEqual([1, 2]);

      await answer(first);
      const third = await form(second?.batchId);
      expect(third?.seqs).toEqual([3]);
      // Open batches are resent in the order they were formed, though the later one lies lower,
      // and whatever their rowids (VACUUM may renumber them).
      const formedOf = async (batch: Batch | undefined) =>
        Number(
          (
            await database.read({
              sql: "SELECT formed FROM sync_batch WHERE batch_id = ?",
              args: [String(batch?.batchId)],
            })
          ).rows[0]?.[0],
        );
      expect(await formedOf(third)).toBeGreaterThan(await formedOf(second));
      await run(database, {
        sql: "UPDATE sync_batch SET rowid = 100 WHERE batch_id = ?",
        args: [String(second?.batchId)],
      });
      expect((await form())?.seqs).toEqual([4, 5, 6]);
      await answer(second);
      expect((await listEvents(database)).map((event) => event.id)).toEqual([3]);
      await answer(third);
      expect(await listEvents(database)).toEqual([]);
      const { rows } = await database.read("SELECT id FROM location ORDER BY id");
      expect(rows.map((row) => row[0])).toEqual([101, 102, 103, 104, 105, 106]);
    } finally {
      await database.close();
      await device?.reopen();
    }
  });

  it("closes a segment with its checkpoint, consumed with the answer of the batch before it", async () => {
    const database = await deviceWithLocations(0, (recorder) =>
      recorder.transaction(async (w) => {
        for (let i = 1; i <= 4; i++) await w.insert(exampleTables.location, fix(i));
        await w.setSendCheckpoint();
        for (let i = 6; i <= 7; i++) await w.insert(exampleTables.location, fix(i));
      }),
    );
    try {
      const { form, answer, inFlight } = batches(database);
      const first = await form();
      expect(first).toMatchObject({ seqs: [1, 2, 3, 4], checkpointSeq: 5, fresh: true });
      const second = await form(first?.batchId);
      expect(second).toMatchObject({ seqs: [6, 7], checkpointSeq: null });
      expect(await inFlight()).toEqual([1, 2, 3, 4, 6, 7]);
      await answer(first);
      expect((await listEvents(database)).map((event) => event.id)).toEqual([6, 7]);
      await answer(second);
      expect(await form()).toBeUndefined();
      expect(await listEvents(database)).toEqual([]);
      const { rows } = await database.read("SELECT id FROM location ORDER BY id");
      expect(rows.map((row) => row[0])).toEqual([101, 102, 103, 104, 106, 107]);
    } finally {
      await database.close();
      await device?.reopen();
    }
  });
});
