import { afterEach, describe, expect, it } from "vitest";
import { faultyStore } from "../test-utils/faulty-store.ts";
import { insert, update, withKeysReordered } from "../test-utils/operations.ts";
import { startTestServer, type TestServer } from "../test-utils/test-server.ts";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const scenario = () => [
  insert("customer", -1, { name: "Ada" }),
  insert("invoice", -1, { customer_id: -1, issued_at: "2026-11-26", total: 10 }),
  insert("invoice", -2, { customer_id: -1, issued_at: "2026-11-26", total: 20 }),
];

const mappedKeysSql =
  "SELECT coalesce(sum(first_client - last_client + 1), 0) AS n FROM sync_key_run";

const counts = async (s: TestServer) =>
  Object.fromEntries(
    await Promise.all(
      [
        ["customer", "SELECT count(*) AS n FROM customer"],
        ["invoice", "SELECT count(*) AS n FROM invoice"],
        ["sync_batch", "SELECT count(*) AS n FROM sync_batch"],
        ["mapped_keys", mappedKeysSql],
      ].map(async ([name, sql = ""]) => [name, Number((await s.rows(sql))[0]?.n)]),
    ),
  );

describe("idempotent replay", () => {
  it("returns the identical answer with replayed: true and changes nothing", async () => {
    server = await startTestServer();
    const ops = [
      ...scenario(),
      insert("invoice", -3, { customer_id: -99, issued_at: "2026-11-26", total: 1 }),
      update("invoice", 12345, { total: 3 }),
      insert("customer", -1, { name: "Ada again" }),
    ];
    const first = await server.syncBatch("dev", "b1", ops);
    expect(first.answer.results.map((r) => r.error?.code ?? r.status)).toEqual([
      "APPLIED",
      "APPLIED",
      "APPLIED",
      "UNKNOWN_TEMP_KEY",
      "NOT_FOUND",
      "APPLIED",
    ]);
    const before = await counts(server);
    // The same operations with the keys of each object (data included) in another order are the
    // same request.
    const reordered = withKeysReordered(ops);
    const second = await server.syncBatch("dev", "b1", reordered);
    expect(second.answer).toEqual({ ...first.answer, replayed: true });
    expect(await counts(server)).toEqual(before);
  });

  it("refuses a different body under the same batch id, whole, with BATCH_ID_REUSED", async () => {
    server = await startTestServer();
    const ops = scenario();
    await server.syncBatch("dev", "b1", ops);
    const before = await counts(server);
    const changed = [...ops, insert("customer", -2, { name: "Bob" })];
    const response = await server.syncBatch("dev", "b1", changed);
    expect(response.data).toBeNull();
    expect(response.errors?.[0]?.extensions?.code).toBe("BATCH_ID_REUSED");
    expect(response.errors?.[0]?.message).toMatch(/batch id/);
    expect(await counts(server)).toEqual(before);
    // Batch ids are per client: another device may use the same one.
    const other = await server.syncBatch("other", "b1", changed);
    expect(other.answer.replayed).toBe(false);
  });

  it("applies the same batch id arriving twice at once exactly once", async () => {
    server = await startTestServer();
    const ops = scenario();
    const [a, b] = await Promise.all([
      server.syncBatch("dev", "b1", ops),
      server.syncBatch("dev", "b1", ops),
    ]);
    expect([a.answer.replayed, b.answer.replayed].sort()).toEqual([false, true]);
    expect(a.answer.keyMappings).toEqual(b.answer.keyMappings);
    expect((await counts(server)).invoice).toBe(2);
  });

  it("serves two clients at the same time, both succeeding", async () => {
    server = await startTestServer();
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) => insert("customer", -(i + 1), { name: `c${i}` }));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => server?.syncBatch(`device-${i}`, "b1", many(200))),
    );
    for (const result of results) {
      expect(result?.errors).toBeUndefined();
      expect(result?.answer.keyMappings).toHaveLength(200);
    }
    expect((await counts(server)).customer).toBe(1600);
  });
});

describe("atomicity", () => {
  it.each([
    ["after every operation applied, while storing the answer", { method: "saveBatch", onCall: 1 }],
    ["half-way, on the second write", { method: "updateRow", onCall: 1 }],
  ] as const)(
    "leaves nothing applied and no stored answer when interrupted %s",
    async (_label, fault) => {
      let store: ReturnType<typeof faultyStore> | undefined;
      server = await startTestServer({ wrapStore: (inner) => (store = faultyStore(inner, fault)) });
      {
        const ops = [
          ...scenario(),
          update("customer", -1, { email: "a@example.com" }),
          insert("customer", -2, { name: "Bob" }),
        ];
        const failed = await server.syncBatch("dev", "b1", ops);
        expect(store?.failures).toBe(1);
        expect(failed.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
        expect(await counts(server)).toEqual({
          customer: 0,
          invoice: 0,
          sync_batch: 0,
          mapped_keys: 0,
        });
        const resent = await server.syncBatch("dev", "b1", ops);
        expect(resent.answer.replayed).toBe(false);
        expect(resent.answer.results.every((r) => r.status === "APPLIED")).toBe(true);
        const again = await server.syncBatch("dev", "b1", ops);
        expect(again.answer.replayed).toBe(true);
        expect(await counts(server)).toEqual({
          customer: 2,
          invoice: 2,
          sync_batch: 1,
          mapped_keys: 4,
        });
      }
    },
  );

  it("never shows an unexpected error's text to the client", async () => {
    {
      const previous = process.env.NODE_ENV;
      process.env.NODE_ENV = "development";
      try {
        server = await startTestServer({
          wrapStore: (inner) => faultyStore(inner, { method: "findBatch", onCall: 1 }),
        });
        const failed = await server.syncBatch("dev", "b1", scenario());
        expect(failed.errors?.[0]?.message).toBe("Unexpected error.");
        expect(failed.text).not.toMatch(/disk on fire|secret|SELECT|sync_key|at .*\.ts/);
      } finally {
        process.env.NODE_ENV = previous;
      }
    }
  });
});
