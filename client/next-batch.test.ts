import { type Client, createClient, type InStatement, type ResultSet } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { exampleModel, exampleTables } from "../schema/index.ts";
import { openTestDevice, type TestDevice } from "../test-utils/test-device.ts";
import { createWriter, type WriteTransaction } from "../writer/index.ts";
import { applyAnswer } from "./apply-answer.ts";
import { type Batch, nextBatch } from "./next-batch.ts";
import { listEvents, removeEvent, retryEvent } from "./outbox-events.ts";

let device: TestDevice | undefined;
afterEach(async () => {
  await device?.close();
  device = undefined;
});

const sqlOf = (statement: InStatement) =>
  typeof statement === "string" ? statement : statement.sql;

/**
 * A transaction whose unordered batch query (aggregates without ORDER BY) answers its rows in
 * reverse order, as SQLite would be free to: the batch must still come out in outbox order.
 */
const scrambling = (tx: WriteTransaction, seen: string[]): WriteTransaction => ({
  async execute(statement: InStatement): Promise<ResultSet> {
    const sql = sqlOf(statement);
    const result = await tx.execute(statement);
    if (!sql.includes("group_concat")) return result;
    seen.push(sql);
    if (sql.includes("ORDER BY seq)")) return result;
    const row = result.rows[0] as unknown as Record<string, unknown>;
    const reverse = (json: unknown) => JSON.stringify(JSON.parse(String(json)).reverse());
    const operations = JSON.parse(Buffer.from(row.operations as ArrayBuffer).toString("utf8"));
    const scrambled = Buffer.from(JSON.stringify(operations.reverse()));
    return {
      ...result,
      rows: [
        {
          ...row,
          operations: scrambled.buffer.slice(
            scrambled.byteOffset,
            scrambled.byteOffset + scrambled.byteLength,
          ),
          seqs: reverse(row.seqs),
          temp_keys: reverse(row.temp_keys),
        },
      ] as unknown as ResultSet["rows"],
    };
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
  return createClient({ url: opened.database });
}

/**
 * Forms batches and applies answers that apply a batch whole, mapping each inserted temporary key
 * to 100 + the event's seq; and lists the events in flight.
 */
function batches(client: Client) {
  const writes = createWriter(client);
  return {
    writes,
    form: (skip?: string) =>
      writes.run((tx) => nextBatch(tx, exampleModel, 1_000, { maxOperations: 100 }, skip)),
    answer: (batch: Batch | undefined) =>
      writes.run((tx) =>
        applyAnswer(tx, exampleModel, batch as Batch, {
          applied: [...(batch?.seqs ?? [])],
          rejected: [],
          mappings: new Map([
            [
              "location",
              (batch?.seqs ?? []).map(
                (seq, i) => [Number(batch?.tempKeys[i]?.split("\u0000")[1]), 100 + seq] as const,
              ),
            ],
          ]),
          mappingCount: batch?.seqs.length ?? 0,
        }),
      ),
    inFlight: async () =>
      (await listEvents(client)).filter((event) => event.inFlight).map((event) => event.id),
  };
}

describe("nextBatch", () => {
  it("reads a batch in outbox order even when SQLite aggregates its rows out of order", async () => {
    const client = await deviceWithLocations(5);
    const seen: string[] = [];
    try {
      const batch = await createWriter(client).run((tx) =>
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
      client.close();
      await device?.reopen();
    }
  });

  it("keeps a batch's range free of events that could turn pending while it is in flight", async () => {
    const client = await deviceWithLocations(6);
    try {
      // Event 3 came back rejected from an earlier send.
      await client.execute(
        "UPDATE sync_outbox SET status = 'rejected', error_code = 'INVALID_VALUE', error_message = 'bad' WHERE seq = 3",
      );
      const { writes, form, answer, inFlight } = batches(client);

      // The first batch stops before the rejected event; the next one starts after it.
      const first = await form();
      expect(first?.seqs).toEqual([1, 2]);
      const second = await form(first?.batchId);
      expect(second?.seqs).toEqual([4, 5, 6]);
      expect(await inFlight()).toEqual([1, 2, 4, 5, 6]);

      // The app puts event 3 back while both batches are open: it joins neither.
      expect(await retryEvent(writes, exampleModel, 3)).toEqual([3]);
      expect(await inFlight()).toEqual([1, 2, 4, 5, 6]);
      await expect(removeEvent(writes, 4)).rejects.toMatchObject({ code: "INVALID_EVENT" });
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
            await client.execute({
              sql: "SELECT formed FROM sync_batch WHERE batch_id = ?",
              args: [String(batch?.batchId)],
            })
          ).rows[0]?.formed,
        );
      expect(await formedOf(third)).toBeGreaterThan(await formedOf(second));
      await client.execute({
        sql: "UPDATE sync_batch SET rowid = 100 WHERE batch_id = ?",
        args: [String(second?.batchId)],
      });
      expect((await form())?.seqs).toEqual([4, 5, 6]);
      await answer(second);
      expect((await listEvents(client)).map((event) => event.id)).toEqual([3]);
      await answer(third);
      expect(await listEvents(client)).toEqual([]);
      const { rows } = await client.execute("SELECT id FROM location ORDER BY id");
      expect(rows.map((row) => row.id)).toEqual([101, 102, 103, 104, 105, 106]);
    } finally {
      client.close();
      await device?.reopen();
    }
  });

  it("serves a batch an earlier version formed by its marked events, not by its range", async () => {
    const client = await deviceWithLocations(0, (recorder) =>
      recorder.transaction(async (w) => {
        for (let i = 1; i <= 4; i++) await w.insert(exampleTables.location, fix(i));
        await w.setSendCheckpoint();
        for (let i = 6; i <= 7; i++) await w.insert(exampleTables.location, fix(i));
      }),
    );
    try {
      // As an earlier version left it: a batch of events 1 and 3, marked with its batch id, sent
      // while event 2 was rejected; event 2 was put back to pending since. Seq 5 is a checkpoint.
      await client.execute(
        "INSERT INTO sync_batch (batch_id, first_seq, last_seq, checkpoint_seq, operations, members_marked) VALUES ('old', 1, 3, NULL, 2, 1)",
      );
      await client.execute("UPDATE sync_outbox SET batch_id = 'old' WHERE seq IN (1, 3)");
      const { form, answer, inFlight } = batches(client);

      const old = await form();
      expect(old).toMatchObject({ batchId: "old", seqs: [1, 3], fresh: false, mark: "old" });
      expect(await inFlight()).toEqual([1, 3]);
      // Event 2 goes next, in order, alone: its batch stops before the old batch's event 3.
      const second = await form("old");
      expect(second).toMatchObject({ seqs: [2], mark: null, checkpointSeq: null });
      await answer(old);
      expect((await listEvents(client)).map((event) => event.id)).toEqual([2, 4, 5, 6, 7]);
      // Then event 4 with the checkpoint after it, then the rest.
      const third = await form(second?.batchId);
      expect(third).toMatchObject({ seqs: [4], checkpointSeq: 5 });
      await answer(second);
      const fourth = await form(third?.batchId);
      expect(fourth?.seqs).toEqual([6, 7]);
      await answer(third);
      await answer(fourth);
      expect(await form()).toBeUndefined();
      expect(await listEvents(client)).toEqual([]);
      const { rows } = await client.execute("SELECT id FROM location ORDER BY id");
      expect(rows.map((row) => row.id)).toEqual([101, 102, 103, 104, 106, 107]);
    } finally {
      client.close();
      await device?.reopen();
    }
  });
});
