import { describe, expect, it } from "vitest";
import { syncedRows } from "../test-utils/compare-databases.ts";
import { startFaultProxy } from "../test-utils/fault-proxy.ts";
import { faultyFetch } from "../test-utils/faulty-fetch.ts";
import { isSyncBatchRequest } from "../test-utils/is-sync-batch-request.ts";
import { count, locations, sendFixtures } from "../test-utils/send-fixtures.ts";
import { commitHeader } from "./commit-signal.ts";
import type { SendError } from "./index.ts";

const fixtures = sendFixtures();
const { setup } = fixtures;

const batchIdOf = (init: RequestInit | undefined) =>
  /"batchId":"([^"]*)"/.exec(new TextDecoder().decode(init?.body as Uint8Array))?.[1] ?? "";

/**
 * Forwards syncBatch requests, sets the commit header of each answer to what `header` makes of
 * the batch id (null: none; a list: one header each) and holds its body back for 30 ms, logging
 * `post <batch>` and `body <batch>`: a batch posted before the body of the one before it arrived
 * was posted on the header alone.
 */
function slowBodies(header: (batchId: string, before: string) => string | string[] | null) {
  const log: string[] = [];
  let before = "";
  const wrapped: typeof fetch = async (input, init) => {
    if (!isSyncBatchRequest(init)) return fetch(input, init);
    const batchId = batchIdOf(init);
    log.push(`post ${batchId}`);
    const response = await fetch(input, init);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const headers = new Headers(response.headers);
    headers.delete(commitHeader);
    for (const value of [header(batchId, before)].flat()) {
      if (value !== null) headers.append(commitHeader, value);
    }
    before = batchId;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        log.push(`body ${batchId}`);
        controller.enqueue(bytes);
        controller.close();
      },
    });
    return new Response(body, { status: response.status, headers });
  };
  return { fetch: wrapped, log };
}

describe("send() posts the next batch once the one before committed", () => {
  it("posts a batch only after the server committed the one before, retries included", async () => {
    const log: string[] = [];
    let request = 0;
    const ordered: typeof fetch = async (input, init) => {
      if (!isSyncBatchRequest(init)) return fetch(input, init);
      const n = ++request;
      const batch = /"batchId":"([^"]+)"/.exec(new TextDecoder().decode(init?.body as Uint8Array));
      log.push(`post ${batch?.[1]}`);
      // The 3rd request never reaches the server and is retried.
      if (n === 3) throw new TypeError("fetch failed: connection refused (injected)");
      const response = await fetch(input, init);
      const text = await response.text();
      log.push(`answer ${batch?.[1]}`);
      return new Response(text, { status: response.status, headers: response.headers });
    };
    const { server, device } = await setup({
      fetch: ordered,
      retry: { retries: 2, minDelayMs: 1 },
    });
    await locations(device, 50, 10);
    const report = await device.client.send();
    expect(report).toMatchObject({ batches: 5, applied: 50, retries: 1 });
    // Every post but a retry follows the answer to the post before it.
    const batches = log.filter((line) => line.startsWith("post")).map((line) => line.slice(5));
    expect(new Set(batches).size).toBe(5);
    const expected: string[] = [];
    for (const [i, batch] of batches.entries()) {
      if (batches[i - 1] === batch) continue;
      expected.push(`post ${batch}`);
      if (batches[i + 1] === batch) expected.push(`post ${batch}`);
      expected.push(`answer ${batch}`);
    }
    expect(log).toEqual(expected);
    expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
  });

  it("recovers when a committed answer breaks off after the next batch went out", async () => {
    const faults = faultyFetch((n) => (n === 1 ? "truncated" : "ok"));
    const { server, device } = await setup({ fetch: faults.fetch, retry: { retries: 0 } });
    await locations(device, 30, 10);
    const failure = (await device.client.send().catch((e: unknown) => e)) as SendError;
    expect(failure.code).toBe("ANSWER_MISMATCH");
    expect(failure.report.batches).toBe(0);
    // The answer began as a commit, so the second batch was already on its way, in order; the
    // failed send cancelled it, before or after the server applied it.
    expect(faults.requests).toBe(2);
    const applied = await count(server.rows, "location");
    expect([10, 20]).toContain(applied);
    expect(await count(device.rows, "location WHERE id < 0")).toBe(30);
    const report = await device.client.send();
    expect(report).toMatchObject({ batches: 3, applied: 30 });
    // The server finishes a request whose client went away: the second batch may commit after the
    // failed send returned, and then comes back replayed too.
    expect([applied / 10, 2]).toContain(report.replayed);
    expect(await count(server.rows, "location")).toBe(30);
    expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
  });

  it.each([
    ["the client's own fetch", undefined],
    ["the global fetch", globalThis.fetch],
  ])("retries an answer cut in its body after the commit showed, with %s", async (_name, fetch) => {
    const target = await fixtures.server();
    const proxy = await startFaultProxy(target.endpoint, (n) =>
      n === 1 ? "cut-answer" : "forward",
    );
    try {
      const device = await fixtures.device(proxy.endpoint, {
        ...(fetch ? { fetch } : {}),
        retry: { retries: 2, minDelayMs: 5, maxDelayMs: 10 },
      });
      await locations(device, 30, 10);
      const report = await device.client.send();
      expect(proxy.counts["cut-answer"]).toBe(1);
      expect(report).toMatchObject({ batches: 3, applied: 30, retries: 1, replayed: 1 });
      expect(await count(target.rows, "location")).toBe(30);
      expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => target.rows(sql)));
    } finally {
      await proxy.close();
    }
  });

  it.each([
    ["the batch's own id", (id: string) => id, true],
    ["no header", () => null, false],
    ["a garbled value", () => "\u00ff\u00fe{garbled", false],
    [
      "the id of the batch before (an answer repeated)",
      (_id: string, before: string) => before,
      false,
    ],
    ["the batch's id twice", (id: string) => [id, id], false],
    ["the batch's id in capitals", (id: string) => id.toUpperCase(), false],
  ] as Array<[string, Parameters<typeof slowBodies>[0], boolean]>)(
    "posts the next batch before the answer's body only on a header naming the batch: %s",
    async (_name, header, early) => {
      const { fetch, log } = slowBodies(header);
      const { server, device } = await setup({ fetch });
      await locations(device, 30, 10);
      expect(await device.client.send()).toMatchObject({ batches: 3, applied: 30, replayed: 0 });
      const posts = log.filter((line) => line.startsWith("post")).map((line) => line.slice(5));
      expect(posts).toHaveLength(3);
      for (const [i, batchId] of posts.slice(1).entries()) {
        const postedEarly = log.indexOf(`post ${batchId}`) < log.indexOf(`body ${posts[i]}`);
        expect(postedEarly).toBe(early);
      }
      expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
    },
  );

  it("takes nothing as committed on a forged header: what the device applies comes from answers", async () => {
    // The first batch never reaches the server; an answer forged on the way names it as committed
    // and carries garbage. The next batch goes out early on that header; the answer fails the send.
    let forged = 0;
    const forging: typeof fetch = async (input, init) => {
      if (!isSyncBatchRequest(init) || forged > 0) return fetch(input, init);
      forged += 1;
      return new Response("<html>proxy</html>", {
        status: 200,
        headers: { "content-type": "text/html", [commitHeader]: batchIdOf(init) },
      });
    };
    const { server, device } = await setup({ fetch: forging, retry: { retries: 0 } });
    await locations(device, 30, 10);
    const failure = (await device.client.send().catch((e: unknown) => e)) as SendError;
    expect(failure).toMatchObject({ code: "ANSWER_MISMATCH", report: { batches: 0 } });
    // The device applied nothing: every event waits, every key is still temporary.
    expect(await count(device.rows, "sync_outbox WHERE kind != 'checkpoint'")).toBe(30);
    expect(await count(device.rows, "location WHERE id < 0")).toBe(30);
    expect(await count(server.rows, "location")).toBeLessThanOrEqual(10);
    // The next send sends the first batch (never applied) and replays the second if it landed.
    const report = await device.client.send();
    expect(report).toMatchObject({ batches: 3, applied: 30 });
    expect(await count(server.rows, "location")).toBe(30);
    expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
  });
});
