import { describe, expect, it } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { isSyncBatchRequest } from "../test-utils/is-sync-batch-request.ts";
import { count, locations, sendFixtures } from "../test-utils/send-fixtures.ts";

const fixtures = sendFixtures();

describe("send() with batches the server finds too large", () => {
  it("cuts a batch the server finds too large and sends it in smaller batches", async () => {
    const server = await fixtures.server({ limits: { maxOperationsPerRequest: 30 } });
    const device = await fixtures.device(server.endpoint, { maxOperationsPerRequest: 100 });
    await locations(device, 100, 1000);
    const progress: Array<Record<string, number>> = [];
    const report = await device.client.send({ onProgress: (p) => progress.push({ ...p }) });
    expect(report.applied).toBe(100);
    expect(report.batches).toBe(4);
    expect(await count(server.rows, "location")).toBe(100);
    // The totals follow the cut: progress never runs past them, and ends on them.
    expect(
      progress.map((p) => [p.batchesDone, p.batchesTotal, p.operationsDone, p.operationsTotal]),
    ).toEqual([
      [1, 4, 30, 100],
      [2, 4, 60, 100],
      [3, 4, 90, 100],
      [4, 4, 100, 100],
    ]);
  });

  it("resends open batches in the order they were posted: a committed one is never cut and sent anew", async () => {
    const server = await fixtures.server({ limits: { maxOperationsPerRequest: 2 } });
    const spoiled = new Set([1, 2, 3]);
    let loseAnswer = false;
    /** Batch ids that applied each event. */
    const appliedBy = new Map<number, Set<string>>();
    // Spoils the events in `spoiled` (an unknown column, so the server rejects them), records what
    // each answer applied, and loses an answer after the server committed it when told to.
    const fetchWith: typeof fetch = async (input, init) => {
      if (!isSyncBatchRequest(init)) return fetch(input, init);
      const body = init?.body;
      const request = JSON.parse(
        typeof body === "string" ? body : Buffer.from(body as Uint8Array).toString(),
      );
      const { batchId, operations } = request.variables.input;
      for (const operation of operations) {
        if (spoiled.has(Number(operation.eventId)))
          operation.data = { ...operation.data, spoiled: 1 };
      }
      const response = await fetch(input, { ...init, body: JSON.stringify(request) });
      const text = await response.text();
      for (const result of JSON.parse(text).data?.syncBatch?.results ?? []) {
        if (result.status !== "APPLIED") continue;
        const id = Number(result.eventId);
        appliedBy.set(id, new Set([...(appliedBy.get(id) ?? []), batchId]));
      }
      if (loseAnswer) {
        loseAnswer = false;
        throw new TypeError("fetch failed: connection reset (test)");
      }
      return new Response(text, { status: response.status, headers: response.headers });
    };
    const device = await fixtures.device(server.endpoint, {
      fetch: fetchWith,
      maxOperationsPerRequest: 10,
      retry: { retries: 0 },
    });
    const note = (body: string) => device.client.insert(t.note, { customerId: null, body });
    for (const body of ["n1", "n2", "n3", "n4"]) await note(body);
    await device.client.send();
    expect((await device.client.events({ status: "rejected" })).map((e) => e.id)).toEqual([
      1, 2, 3,
    ]);
    // The batch of events 5 and 6 commits on the server; its answer is lost.
    await note("n5");
    await note("n6");
    loseAnswer = true;
    await expect(device.client.send()).rejects.toMatchObject({ code: "NETWORK" });
    // The app fixes 1-3 and puts them back. The next send replays 5-6 and forms the batch of 1-3
    // ahead of it (below it by seq); that answer is lost too, so both batches stay open.
    spoiled.clear();
    for (const id of [1, 2, 3]) await device.client.retryEvent(id);
    loseAnswer = true;
    await expect(device.client.send()).rejects.toMatchObject({ code: "NETWORK" });
    // Now 5-6 must go first (a replay), then 1-3, too large for the server, in smaller batches.
    await device.client.send();
    const twice = [...appliedBy].filter(([, batches]) => batches.size > 1).map(([id]) => id);
    expect(twice).toEqual([]);
    expect([...appliedBy.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await device.client.events()).toEqual([]);
    expect((await server.rows("SELECT body FROM note ORDER BY body")).map((r) => r.body)).toEqual([
      "n1",
      "n2",
      "n3",
      "n4",
      "n5",
      "n6",
    ]);
  });
});
