import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { insert } from "../test-utils/operations.ts";
import { startTestServer, syncBatchDocument, type TestServer } from "../test-utils/test-server.ts";
import { graphiqlExample } from "./graphiql-example.ts";

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.close();
});

const named = (operationName: string, query = graphiqlExample) =>
  server.post(JSON.stringify({ query, operationName }));

describe("compiled operations", () => {
  it("run the operation asked for by name, whichever of the document ran before", async () => {
    const document =
      "query A { syncLimits { maxOperationsPerRequest } } query B { syncModel { name } }";
    expect((await named("A", document)).data).toEqual({
      syncLimits: { maxOperationsPerRequest: expect.any(Number) },
    });
    expect(Object.keys((await named("B", document)).data ?? {})).toEqual(["syncModel"]);
    expect(Object.keys((await named("A", document)).data ?? {})).toEqual(["syncLimits"]);
  });

  it("run GraphiQL's example mutation after its query, and never the mutation over GET", async () => {
    expect(Object.keys((await named("Explore")).data ?? {})).toEqual(["syncLimits", "syncModel"]);
    const seeded = await named("SeedScenario");
    expect(seeded.errors).toBeUndefined();
    expect(Object.keys(seeded.data ?? {})).toEqual(["syncBatch"]);
    const customers = (await server.rows("SELECT count(*) AS n FROM customer"))[0]?.n;
    expect(customers).toBeGreaterThan(0);

    const params = new URLSearchParams({ query: graphiqlExample, operationName: "Explore" });
    const viaGet = await server.sync.yoga.fetch(`http://127.0.0.1/graphql?${params}`, {
      headers: { accept: "application/json" },
    });
    const body = (await viaGet.json()) as { data?: Record<string, unknown> };
    expect(Object.keys(body.data ?? {})).toEqual(["syncLimits", "syncModel"]);
    expect((await server.rows("SELECT count(*) AS n FROM customer"))[0]?.n).toBe(customers);
  });

  it("refuse bad variables naming the variable and the path at fault", async () => {
    const operations = [
      insert("customer", -1, { name: "Ada" }),
      { ...insert("customer", -2, { name: "Bob" }), kind: "UPSERT" },
    ];
    const answer = await server.gql(syncBatchDocument, {
      input: { clientId: "c", batchId: "b1", batchSeq: 1, operations },
    });
    expect(answer.data).toBeUndefined();
    expect(answer.errors?.[0]?.message).toContain('Variable "$input" got invalid value "UPSERT"');
    expect(answer.errors?.[0]?.message).toContain('"input.operations[1].kind"');
    expect(await server.rows("SELECT * FROM customer")).toEqual([]);
  });
});
