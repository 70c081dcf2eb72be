import { describe, expect, it } from "vitest";
import { tempDir } from "../test-utils/temp-dir.ts";
import { createSyncClient, type SyncClientOptions } from "./index.ts";

describe("createSyncClient options", () => {
  it.each([
    [{ endpoint: "http://127.0.0.1:1/graphql" }, /option "database" is required/],
    [
      { database: "libsql://example.turso.io", endpoint: "http://127.0.0.1:1/graphql" },
      /"database" must be a file: URL/,
    ],
    [
      { database: "file::memory:", endpoint: "http://127.0.0.1:1/graphql" },
      /"database" must be a file: URL/,
    ],
    [{ database: "file:x.db" }, /option "endpoint" is required/],
    [{ database: "file:x.db", endpoint: "not a url" }, /"endpoint" is not a URL/],
    [{ database: "file:x.db", endpoint: "ftp://host/graphql" }, /"endpoint" must be an http/],
    [
      { database: "file:x.db", endpoint: "http://h/graphql", maxOperationsPerRequest: 0 },
      /"maxOperationsPerRequest" must be an integer from 1 to 1000000/,
    ],
    [
      { database: "file:x.db", endpoint: "http://h/graphql", maxAnswerBytes: 1023 },
      /"maxAnswerBytes" must be an integer from 1024 to 268435456, got 1023/,
    ],
    [
      { database: "file:x.db", endpoint: "http://h/graphql", maxAnswerBytes: 2 ** 28 + 1 },
      /"maxAnswerBytes" must be an integer from 1024 to 268435456/,
    ],
    [
      { database: "file:x.db", endpoint: "http://h/graphql", maxAnswerBytes: "1 MB" },
      /"maxAnswerBytes" must be an integer from 1024 to 268435456, got "1 MB"/,
    ],
    [
      { database: "file:x.db", endpoint: "http://h/graphql", clientId: "" },
      /"clientId" must be a text/,
    ],
    [
      { database: "file:x.db", endpoint: "http://h/graphql", retry: { retries: -1 } },
      /"retry.retries"/,
    ],
    [
      { database: "file:x.db", endpoint: "http://h/graphql", fetch: "no" },
      /"fetch" must be a function/,
    ],
    [
      { database: "file:x.db?mode=ro", endpoint: "http://h/graphql" },
      /"database" takes no query or fragment/,
    ],
    // Node's timers fire after 1 ms for longer delays: every request would time out at once.
    [
      { database: "file:x.db", endpoint: "http://h/graphql", requestTimeoutMs: 3e9 },
      /"requestTimeoutMs" must be an integer from 1 to 2147483647, got 3000000000/,
    ],
    [
      { database: "file:x.db", endpoint: "http://h/graphql", retry: { maxDelayMs: 3e9 } },
      /"retry.maxDelayMs" must be an integer from 0 to 2147483647/,
    ],
    [
      { database: "file:x.db", endpoint: "http://h/graphql", retry: { minDelayMs: 3e9 } },
      /"retry.minDelayMs" must be an integer from 0 to 2147483647/,
    ],
    [
      { database: "file:x.db", endpoint: "http://h/graphql", retry: { maxRetryAfterMs: -1 } },
      /"retry.maxRetryAfterMs" must be an integer from 0 to 2147483647, got -1/,
    ],
    [
      { database: "file:x.db", endpoint: "http://h/graphql", retry: { maxRetryAfterMs: "1m" } },
      /"retry.maxRetryAfterMs" must be an integer from 0 to 2147483647, got "1m"/,
    ],
    [
      { database: "file:x.db", endpoint: "http://h/graphql", headers: ["x"] },
      /"headers" must be an object of strings/,
    ],
    [
      { database: "file:x.db", endpoint: "http://h/graphql", headers: { "x-n": 5 } },
      /"headers.x-n" must be a text, got 5/,
    ],
    [
      { database: "file:x.db", endpoint: "http://h/graphql", headers: { "bad name": "x" } },
      /"headers.bad name" is not a valid HTTP header/,
    ],
    [
      {
        database: "file:x.db",
        endpoint: "http://h/graphql",
        headers: { "Content-Type": "text/plain" },
      },
      /"headers.Content-Type" is set by the client/,
    ],
  ])("refuses %j", async (options, message) => {
    await expect(createSyncClient(options as unknown as SyncClientOptions)).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message,
    });
  });

  it("keeps the client id of a database and refuses another", async () => {
    const dir = tempDir();
    try {
      const database = `file:${dir.path}/nested/device.db`;
      const endpoint = "http://127.0.0.1:9/graphql";
      const first = await createSyncClient({ database, endpoint, clientId: "phone-1" });
      await first.close();
      const again = await createSyncClient({ database, endpoint });
      expect(again.clientId).toBe("phone-1");
      await again.close();
      await expect(
        createSyncClient({ database, endpoint, clientId: "phone-2" }),
      ).rejects.toMatchObject({
        code: "CLIENT_ID_MISMATCH",
      });
    } finally {
      dir.remove();
    }
  });

  it("reports an unreachable endpoint as NETWORK after its retries, outbox untouched", async () => {
    const dir = tempDir();
    try {
      const client = await createSyncClient({
        database: `file:${dir.path}/device.db`,
        endpoint: "http://127.0.0.1:9/graphql",
        retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 },
      });
      const { exampleTables } = await import("../schema/index.ts");
      await client.insert(exampleTables.customer, { name: "Ada" });
      const failure = await client.send().catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: "NETWORK", report: { batches: 0, retries: 2 } });
      expect((await client.events()).map((e) => e.status)).toEqual(["pending"]);
      await client.close();
    } finally {
      dir.remove();
    }
  });
});
