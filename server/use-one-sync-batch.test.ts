import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../test-utils/test-server.ts";

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.close();
});

const batch = (batchId: string, name: string) =>
  `syncBatch(input: { clientId: "c", batchId: "${batchId}", batchSeq: 1, operations: [
    { eventId: "1", table: "customer", kind: INSERT, key: "-1", data: { name: "${name}" } }
  ] }) { batchId results { status } }`;

const nothingApplied = async () => {
  expect(await server.rows("SELECT * FROM customer")).toEqual([]);
  expect(await server.rows("SELECT * FROM sync_batch")).toEqual([]);
};

describe("one syncBatch per request", () => {
  it("refuses a mutation with syncBatch twice, by aliases or through a fragment, applying nothing", async () => {
    for (const query of [
      `mutation { a: ${batch("a", "A")} b: ${batch("b", "B")} }`,
      `mutation { a: ${batch("a", "A")} ...More } fragment More on Mutation { b: ${batch("b", "B")} }`,
      `mutation { ... on Mutation { a: ${batch("a", "A")} } b: ${batch("b", "B")} }`,
    ]) {
      const answer = await server.gql(query);
      expect(answer.errors?.[0]).toMatchObject({
        message:
          "The mutation asks for syncBatch 2 times; a request carries one batch (send the others as requests of their own)",
        extensions: { code: "BAD_USER_INPUT" },
      });
      await nothingApplied();
    }
  });

  it("runs the one syncBatch of the operation asked for, of a document with several", async () => {
    const document = `mutation First { ${batch("first", "A")} } mutation Second { ${batch("second", "B")} }`;
    const answer = await server.post(JSON.stringify({ query: document, operationName: "Second" }));
    expect(answer.data).toEqual({
      syncBatch: { batchId: "second", results: [{ status: "APPLIED" }] },
    });
    expect(await server.rows("SELECT name FROM customer")).toEqual([{ name: "B" }]);
  });
});
