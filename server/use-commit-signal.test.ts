import { afterEach, describe, expect, it } from "vitest";
import { faultyStore } from "../test-utils/faulty-store.ts";
import { insert } from "../test-utils/operations.ts";
import {
  startTestServer,
  syncBatchDocument,
  type TestServer,
  type TestServerOptions,
} from "../test-utils/test-server.ts";
import { commitHeader } from "./use-commit-signal.ts";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Posts one syncBatch through `yoga.fetch`; the commit header and the error code, if any. */
async function post(s: TestServer, batchId: string, operations: unknown[]) {
  const response = await s.sync.yoga.fetch("http://127.0.0.1/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: syncBatchDocument,
      variables: {
        input: { clientId: "dev", batchId, batchSeq: s.batchSeq("dev", batchId), operations },
      },
    }),
  });
  const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
  return { header: response.headers.get(commitHeader), code: body.errors?.[0]?.extensions?.code };
}

const start = async (options: TestServerOptions = {}) => {
  server = await startTestServer(options);
  return server;
};

describe("useCommitSignal", () => {
  it("names the batch on the answer to a committed batch and on its replay", async () => {
    const s = await start();
    const operations = [insert("customer", -1, { name: "Ada" })];
    expect(await post(s, "b1", operations)).toEqual({ header: "b1", code: undefined });
    expect(await post(s, "b1", operations)).toEqual({ header: "b1", code: undefined });
  });

  it("is absent when the batch is refused whole: BATCH_ID_REUSED, BATCH_TOO_LARGE, bad input", async () => {
    const s = await start({ limits: { maxOperationsPerRequest: 1 } });
    await post(s, "b1", [insert("customer", -1, { name: "Ada" })]);
    const reused = await post(s, "b1", [insert("customer", -1, { name: "Bob" })]);
    expect(reused).toEqual({ header: null, code: "BATCH_ID_REUSED" });
    const two = [insert("customer", -2, { name: "C" }), insert("customer", -3, { name: "D" })];
    expect(await post(s, "b2", two)).toEqual({ header: null, code: "BATCH_TOO_LARGE" });
    const bad = await post(s, "b3", [{ eventId: "1", table: "customer" }]);
    expect(bad.header).toBeNull();
  });

  it("is absent when the transaction fails and rolls back", async () => {
    const s = await start({
      wrapStore: (store) => faultyStore(store, { method: "saveBatch", onCall: 1 }),
    });
    const operations = [insert("customer", -1, { name: "Ada" })];
    expect(await post(s, "b1", operations)).toEqual({
      header: null,
      code: "INTERNAL_SERVER_ERROR",
    });
    expect(await s.rows("SELECT count(*) AS n FROM customer")).toEqual([{ n: 0 }]);
    // The same batch sent again commits now, and says so.
    expect(await post(s, "b1", operations)).toEqual({ header: "b1", code: undefined });
  });

  it("is absent on answers to other operations", async () => {
    const s = await start();
    const response = await s.sync.yoga.fetch("http://127.0.0.1/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ syncLimits { maxOperationsPerRequest } }" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get(commitHeader)).toBeNull();
  });
});
