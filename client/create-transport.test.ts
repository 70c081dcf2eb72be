import { describe, expect, it } from "vitest";
import { commitHeader } from "./commit-signal.ts";
import { createTransport, type TransportOptions } from "./create-transport.ts";

const options = (stub: typeof fetch): TransportOptions => ({
  endpoint: "http://127.0.0.1:9/graphql",
  headers: {},
  fetch: stub,
  requestTimeoutMs: 10_000,
  maxAnswerBytes: 1 << 20,
  retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
});

const batch = (batchId: string) => ({
  batchId,
  batchSeq: 1,
  operationsJson: new TextEncoder().encode("[]"),
});

const batchIdOf = (init: RequestInit | undefined) =>
  /"batchId":"([^"]*)"/.exec(new TextDecoder().decode(init?.body as Uint8Array))?.[1] ?? "";

/** A well-formed answer to the batch, with the commit headers `headers` gives for its id. */
const answer = (batchId: string, headers: Array<[string, string]>, status = 200) =>
  new Response(
    JSON.stringify({
      data: { syncBatch: { batchId, replayed: false, results: [], keyMappings: [] } },
    }),
    { status, headers: [["content-type", "application/json"], ...headers] },
  );

describe("the transport", () => {
  it.each([
    ["the batch's own id", (id: string) => [[commitHeader, id]], true],
    ["no header", () => [], false],
    ["a garbled value", () => [[commitHeader, "\u00ff\u00fe{syncBatch"]], false],
    ["another batch's id", () => [[commitHeader, "b0"]], false],
    [
      "the batch's id twice",
      (id: string) => [
        [commitHeader, id],
        [commitHeader, id],
      ],
      false,
    ],
    ["the batch's id in capitals", (id: string) => [[commitHeader, id.toUpperCase()]], false],
  ] as Array<[string, (id: string) => Array<[string, string]>, boolean]>)(
    "tells the commit only when the header names the batch: %s",
    async (_name, headers, told) => {
      const transport = createTransport(
        options(async (_input, init) => answer(batchIdOf(init), headers(batchIdOf(init)))),
      );
      let committed = false;
      const result = await transport.send("c1", batch("b1-x"), {
        onCommitted: () => {
          committed = true;
        },
      });
      // The answer is the same either way: the header only lets the next batch go out early.
      expect(result.batchId).toBe("b1-x");
      expect(committed).toBe(told);
    },
  );

  it("never tells the commit of an answer that is not a 200, whatever its header", async () => {
    const transport = createTransport(
      options(async (_input, init) => answer(batchIdOf(init), [[commitHeader, "b1"]], 500)),
    );
    let committed = false;
    await transport
      .send("c1", batch("b1"), { onCommitted: () => (committed = true) })
      .catch(() => undefined);
    expect(committed).toBe(false);
  });

  it("keeps each request's signal and commit hook to itself, however urql orders the fetches", async () => {
    const released: Array<() => void> = [];
    const transport = createTransport(
      options(
        (_input, init) =>
          new Promise((resolve, reject) => {
            const id = batchIdOf(init);
            init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
            released.push(() => resolve(answer(id, [[commitHeader, id]])));
          }),
      ),
    );
    const told: string[] = [];
    const first = new AbortController();
    const sent = ["b1", "b2"].map((id, i) =>
      transport.send("c1", batch(id), {
        ...(i === 0 ? { signal: first.signal } : {}),
        onCommitted: () => told.push(id),
      }),
    );
    while (released.length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
    first.abort(new Error("stop b1"));
    for (const release of released) release();
    const [one, two] = await Promise.allSettled(sent);
    expect(one?.status).toBe("rejected");
    expect(two).toMatchObject({ status: "fulfilled", value: { batchId: "b2" } });
    expect(told).toEqual(["b2"]);
  });
});
