import { afterEach, describe, expect, it } from "vitest";
import { insert } from "../test-utils/operations.ts";
import { startTestServer, syncBatchDocument, type TestServer } from "../test-utils/test-server.ts";
import { resolveLimits } from "./limits.ts";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const customers = (n: number) =>
  Array.from({ length: n }, (_, i) => insert("customer", -(i + 1), { name: `c${i}` }));

describe("limits", () => {
  it("refuses more operations than the cap whole, with BATCH_TOO_LARGE", async () => {
    server = await startTestServer({ limits: { maxOperationsPerRequest: 50 } });
    const refused = await server.syncBatch("dev", "b1", customers(51));
    expect(refused.errors?.[0]?.extensions?.code).toBe("BATCH_TOO_LARGE");
    expect(refused.errors?.[0]?.message).toMatch(/51 operations; the limit is 50/);
    expect(await server.rows("SELECT count(*) AS n FROM customer")).toEqual([
      expect.objectContaining({ n: 0 }),
    ]);
    const accepted = await server.syncBatch("dev", "b2", customers(50));
    expect(accepted.answer.keyMappings).toHaveLength(50);
  });

  it("accepts 10,000 operations by default and refuses 10,001", async () => {
    server = await startTestServer();
    const refused = await server.syncBatch("dev", "b1", customers(10_001));
    expect(refused.errors?.[0]?.extensions?.code).toBe("BATCH_TOO_LARGE");
    const accepted = await server.syncBatch("dev", "b2", customers(10_000));
    expect(accepted.answer.keyMappings).toHaveLength(10_000);
  });

  it("answers a body over the limit with HTTP 413, declared or streamed", async () => {
    server = await startTestServer({ limits: { maxBodyBytes: 2_000 } });
    const body = JSON.stringify({
      query: syncBatchDocument,
      variables: {
        input: { clientId: "dev", batchId: "b1", batchSeq: 1, operations: customers(40) },
      },
    });
    expect(body.length).toBeGreaterThan(2_000);
    const declared = await server.post(body);
    expect(declared.status).toBe(413);
    expect(declared.errors?.[0]?.message).toMatch(/larger than the server's limit of 2000 bytes/);
    const bytes = new TextEncoder().encode(body);
    const streamed = await server.sync.yoga.fetch("http://127.0.0.1/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 500) controller.enqueue(bytes.slice(i, i + 500));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await server.rows("SELECT count(*) AS n FROM customer")).toEqual([
      expect.objectContaining({ n: 0 }),
    ]);
  });

  it("exposes the limits and the model through queries", async () => {
    server = await startTestServer({ limits: { maxOperationsPerRequest: 123 } });
    const { data } = await server.gql<{
      syncLimits: { maxOperationsPerRequest: number; maxBodyBytes: number };
      syncModel: Array<{
        name: string;
        keyKind: string;
        keyColumn: string;
        columns: Array<{ name: string; references: string | null }>;
      }>;
    }>(`{ syncLimits { maxOperationsPerRequest maxBodyBytes }
          syncModel { name keyKind keyColumn columns { name type notNull isKey references } } }`);
    expect(data?.syncLimits).toEqual({
      maxOperationsPerRequest: 123,
      maxBodyBytes: 16 * 1024 * 1024,
    });
    expect(data?.syncModel.map((t) => [t.name, t.keyKind])).toEqual([
      ["customer", "AUTONUMBER"],
      ["invoice", "AUTONUMBER"],
      ["invoice_line", "AUTONUMBER"],
      ["location", "AUTONUMBER"],
      ["note", "CLIENT"],
    ]);
    const invoice = data?.syncModel.find((t) => t.name === "invoice");
    expect(invoice?.columns).toContainEqual({
      name: "customer_id",
      type: "integer",
      notNull: true,
      isKey: false,
      references: "customer",
    });
  });

  it("refuses limits that are not positive integers, naming the one at fault", () => {
    expect(() => resolveLimits({ maxBodyBytes: 0 })).toThrow(
      /limits.maxBodyBytes must be a positive integer/,
    );
    expect(() => resolveLimits({ maxOperationsPerRequest: 1.5 })).toThrow(
      /maxOperationsPerRequest/,
    );
  });
});

describe("the store", () => {
  it("refuses an in-memory database with a message that says why", async () => {
    const { createLibsqlStore } = await import("./index.ts");
    await expect(createLibsqlStore({ url: ":memory:" })).rejects.toThrow(
      /in-memory database loses its tables/,
    );
    await expect(createLibsqlStore({ url: "file::memory:" })).rejects.toThrow(/use a file/);
  });
});
