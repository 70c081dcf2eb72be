import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insert } from "../test-utils/operations.ts";
import { startTestServer, syncBatchDocument, type TestServer } from "../test-utils/test-server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ limits: { maxBodyBytes: 4 * 1024 * 1024 } });
});
afterAll(async () => {
  await server.close();
});

const leaks = /\bat .*\.(ts|js|mjs):\d+|SQLITE_|SELECT |INSERT INTO|UPDATE "|node_modules|\/work\//;
let cases = 0;

async function counts() {
  const rows = await server.rows(
    "SELECT (SELECT count(*) FROM customer) AS customers, (SELECT count(*) FROM sync_batch) AS batches, (SELECT count(*) FROM sync_key_run) + (SELECT count(*) FROM sync_rejected_key) AS keys",
  );
  return rows[0];
}

/** The server answered `text` clearly, leaked nothing, and still serves a good request. */
async function stillServes(text: string) {
  cases += 1;
  expect(text).not.toMatch(leaks);
  const ok = await server.syncBatch("health", `after-${cases}`, [
    insert("location", -cases, { device_id: "d", latitude: 1, longitude: 2, recorded_at: "t" }),
  ]);
  expect(ok.answer.results[0]?.status).toBe("APPLIED");
}

const raw = (variables: unknown) => JSON.stringify({ query: syncBatchDocument, variables });

describe("bad input at the server", () => {
  it.each([
    ["malformed JSON", "{ not json", 400, /invalid JSON/],
    ["a JSON array body", "[1, 2]", 400, /./],
    ["no query", JSON.stringify({ variables: {} }), 200, /query/i],
    [
      "operations that are not a list of objects",
      raw({ input: { clientId: "c", batchId: "b", batchSeq: 1, operations: "all" } }),
      400,
      /Variable "\$input" got invalid value "all" at "input.operations"; Expected type "SyncOperationInput" to be an object/,
    ],
    [
      "an unknown kind",
      raw({
        input: {
          clientId: "c",
          batchId: "b",
          batchSeq: 1,
          operations: [{ eventId: "1", table: "customer", kind: "UPSERT", key: "-1" }],
        },
      }),
      400,
      /Variable "\$input" got invalid value "UPSERT" at "input.operations\[0\].kind"/,
    ],
    [
      "a key that is an object",
      raw({
        input: {
          clientId: "c",
          batchId: "b",
          batchSeq: 1,
          operations: [{ eventId: "1", table: "customer", kind: "INSERT", key: { $gt: 1 } }],
        },
      }),
      400,
      /at "input.operations\[0\].key"; ID cannot represent value/,
    ],
    [
      "a missing batch id",
      raw({ input: { clientId: "c", operations: [] } }),
      400,
      /Field "batchId" of required type "ID!" was not provided/,
    ],
    [
      "an empty client id",
      raw({ input: { clientId: "", batchId: "b", batchSeq: 1, operations: [] } }),
      200,
      /clientId must be 1 to 200/,
    ],
    [
      "a deep query",
      JSON.stringify({
        query: `{ __schema { types { fields { type { ${"ofType { ".repeat(40)}name${" }".repeat(40)} } } } } }`,
      }),
      200,
      /depth/i,
    ],
    [
      "an aliased query",
      JSON.stringify({
        query: `{ ${Array.from({ length: 50 }, (_, i) => `a${i}: syncLimits { maxBodyBytes }`).join(" ")} }`,
      }),
      200,
      /alias/i,
    ],
    [
      "a query of 30,000 tokens",
      JSON.stringify({ query: `{ ${"syncLimits { maxBodyBytes } ".repeat(6000)} }` }),
      200,
      /token/i,
    ],
  ])("refuses %s clearly, whole", async (_label, body, status, message) => {
    const before = await counts();
    const response = await server.post(body);
    expect(response.status).toBe(status);
    expect(response.errors?.length ?? 0).toBeGreaterThan(0);
    expect(response.errors?.map((e) => e.message).join(" ")).toMatch(message);
    expect(await counts()).toEqual(before);
    await stillServes(response.text);
  });

  it.each([
    [
      "depth",
      `{ __schema { types { fields { type { ${"ofType { ".repeat(40)}name${" }".repeat(40)} } } } } }`,
    ],
    [
      "aliases",
      `{ ${Array.from({ length: 50 }, (_, i) => `a${i}: syncLimits { maxBodyBytes }`).join(" ")} }`,
    ],
    ["directives", `{ syncLimits ${"@include(if: true) ".repeat(30)} { maxBodyBytes } }`],
  ])(
    "refuses a document past the %s limit with one error and the validation code",
    async (_label, query) => {
      const response = await server.post(JSON.stringify({ query }));
      expect(response.errors).toHaveLength(1);
      expect(response.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
      expect(response.errors?.[0]?.message).toMatch(/limit of \d+ exceeded/);
      await stillServes(response.text);
    },
  );

  it.each([
    ["variables", "variables=notjson"],
    ["variables", "variables=%7B"],
    ["extensions", "extensions=notjson"],
  ])(
    "refuses a GET whose %s parameter is not JSON with 400 BAD_REQUEST naming it",
    async (name, param) => {
      const query = encodeURIComponent("{ syncLimits { maxChangesPerPage } }");
      const response = await server.sync.yoga.fetch(
        `http://127.0.0.1/graphql?query=${query}&${param}`,
      );
      const text = await response.text();
      expect(response.status).toBe(400);
      const body = JSON.parse(text) as { errors: Array<{ message: string; extensions: unknown }> };
      expect(body.errors).toEqual([
        {
          message: `The query string's "${name}" parameter is not JSON.`,
          extensions: { code: "BAD_REQUEST" },
        },
      ]);
      await stillServes(text);
    },
  );

  it.each([
    [
      "syncChanges",
      "query($i: SyncChangesInput!) { syncChanges(input: $i) { hasMore } }",
      { i: { clientId: "a", limit: "5" } },
      /^Variable "\$i" got invalid value "5" at "i.limit"/,
    ],
    [
      "syncChanges",
      "query($i: SyncChangesInput!) { syncChanges(input: $i) { hasMore } }",
      { i: { clientId: "a", limit: 1e300 } },
      /^Variable "\$i" got invalid value 1e\+300 at "i.limit"/,
    ],
    [
      "syncBatch",
      syncBatchDocument,
      { input: { clientId: "c", batchId: "b", batchSeq: 1, operations: "all" } },
      /^Variable "\$input" got invalid value "all" at "input.operations"/,
    ],
  ])(
    "gives a %s whose variables do not fit the schema 400 and BAD_USER_INPUT",
    async (_name, query, variables, message) => {
      const response = await server.post(JSON.stringify({ query, variables }));
      expect(response.status).toBe(400);
      expect(response.errors).toHaveLength(1);
      expect(response.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(response.errors?.[0]?.message).toMatch(message);
      await stillServes(response.text);
    },
  );

  it("answers a GET query with variables and an operation name", async () => {
    const query = encodeURIComponent(
      "query Limits($yes: Boolean!) { a: syncLimits @include(if: $yes) { maxChangesPerPage } } query Other { __typename }",
    );
    const variables = encodeURIComponent(JSON.stringify({ yes: true }));
    const response = await server.sync.yoga.fetch(
      `http://127.0.0.1/graphql?query=${query}&variables=${variables}&operationName=Limits`,
    );
    const text = await response.text();
    expect([response.status, text]).toEqual([
      200,
      JSON.stringify({ data: { a: { maxChangesPerPage: 1000 } } }),
    ]);
  });

  it("refuses 10,001 operations with BATCH_TOO_LARGE and a body over the limit with 413", async () => {
    const before = await counts();
    const many = Array.from({ length: 10_001 }, (_, i) => ({
      eventId: String(i),
      table: "x",
      kind: "DELETE",
      key: "1",
    }));
    const tooMany = await server.post(
      raw({ input: { clientId: "c", batchId: "many", batchSeq: 1, operations: many } }),
    );
    expect(tooMany.errors?.[0]?.extensions?.code).toBe("BATCH_TOO_LARGE");
    const huge = await server.post(
      raw({
        input: {
          clientId: "c",
          batchId: "huge",
          batchSeq: 1,
          operations: [insert("customer", -1, { name: "x".repeat(5 * 1024 * 1024) })],
        },
      }),
    );
    expect(huge.status).toBe(413);
    expect(await counts()).toEqual(before);
    await stillServes(tooMany.text + huge.text);
  });

  it("gives every bad operation a verdict that says what and where, and applies the good ones", async () => {
    const ops = [
      insert("customer; DROP TABLE customer", -1, { name: "x" }),
      insert("customer", -2, { "name) VALUES ('x'); --": "y" }),
      insert("customer", "abc", { name: "not a number key" }),
      insert("invoice", -3, { customer_id: "seven", issued_at: "t", total: 1 }),
      insert("invoice", -4, { customer_id: 2 ** 60, issued_at: "t", total: 1 }),
      insert("customer", -5, { name: "Robert'); DROP TABLE customer; --" }),
      insert("customer", -6, { name: "y".repeat(1024 * 1024) }),
      {
        eventId: "delete-with-data",
        table: "customer",
        kind: "DELETE" as const,
        key: "-5",
        data: { name: "x" },
      },
    ];
    const { answer, text } = await server.syncBatch("bad-input", "verdicts", ops);
    expect(answer.results.map((r) => r.error?.code ?? r.status)).toEqual([
      "UNKNOWN_TABLE",
      "UNKNOWN_COLUMN",
      "INVALID_VALUE",
      "INVALID_VALUE",
      "INVALID_VALUE",
      "APPLIED",
      "APPLIED",
      "INVALID_VALUE",
    ]);
    expect(answer.results[3]?.error?.message).toBe(
      'invoice.customer_id must be an integer, got "seven"',
    );
    const names = await server.rows("SELECT name FROM customer WHERE name LIKE 'Robert%'");
    expect(names).toEqual([expect.objectContaining({ name: "Robert'); DROP TABLE customer; --" })]);
    await stillServes(text);
  });

  it("refuses a batch id reused with another body, whole", async () => {
    await server.syncBatch("reuse", "b1", [insert("customer", -1, { name: "a" })]);
    const before = await counts();
    const again = await server.syncBatch("reuse", "b1", [insert("customer", -1, { name: "b" })]);
    expect(again.errors?.[0]?.extensions?.code).toBe("BATCH_ID_REUSED");
    expect(await counts()).toEqual(before);
    await stillServes(again.text);
  });
});
