import { describe, expect, it } from "vitest";
import { insert, remove, update } from "../test-utils/operations.ts";
import {
  brief,
  fetchPage,
  keysOf,
  receiveRun,
  requestPage,
  sendBatch,
  type WirePage,
} from "../test-utils/receive.ts";
import { byKey, customer, deleted, start } from "../test-utils/receive-fixtures.ts";

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
