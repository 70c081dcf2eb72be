import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { insert } from "../test-utils/operations.ts";
import { startTestServer, syncBatchDocument, type TestServer } from "../test-utils/test-server.ts";

/**
 * Texts that graphql-jit rewrites into code when they stand as literals in a document it compiles
 * (`"__MAGIC_DATE__…<X>"` becomes `new Date(<X>)`). None may run, whichever way it arrives.
 */
const magicDate = "__MAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d";
const magicNan = "__MAGIC_NAN__33a9e76d_02e0_4128_8e92_3530ad3da74d";
const proof = "__checkpointSyncInjectionProof";
/** Sets a global when it runs as code; stays a plain text otherwise. */
const payload = `${magicDate}0)&&(globalThis.${proof}=process.version)+(''`;

const ran = () => (globalThis as Record<string, unknown>)[proof];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  delete (globalThis as Record<string, unknown>)[proof];
});

async function get(query: string): Promise<{ status: number; json: unknown }> {
  const url = `http://127.0.0.1/graphql?query=${encodeURIComponent(query)}`;
  const response = await server.sync.yoga.fetch(url, {
    headers: { accept: "application/graphql-response+json" },
  });
  return { status: response.status, json: await response.json() };
}

/** A syncBatch document with its input written as a literal, as in GraphiQL. */
function literalBatch(batchId: string, key: number, eventId: string, name: string): string {
  return `mutation { syncBatch(input: { clientId: "injection", batchId: ${JSON.stringify(batchId)}, batchSeq: 1,
    operations: [{ eventId: ${JSON.stringify(eventId)}, table: "customer", kind: INSERT, key: "${key}",
      data: { name: ${JSON.stringify(name)} } }] }) {
    batchId results { eventId status error { code } } keyMappings { serverKey } } }`;
}

describe("texts that a code-generating executor would run", () => {
  it("runs nothing from a GET query's literal argument (the exact probe payload)", async () => {
    const answer = await get(`{ __type(name: ${JSON.stringify(payload)}) { name } }`);
    expect(answer).toEqual({ status: 200, json: { data: { __type: null } } });
    expect(ran()).toBeUndefined();
  });

  it("runs nothing from a literal eventId or data value of a POSTed syncBatch, and stores the text as sent", async () => {
    const response = await server.gql<{
      syncBatch: { results: Array<{ eventId: string; status: string }> };
    }>(literalBatch("literal-1", -1, payload, payload));
    expect(ran()).toBeUndefined();
    expect(response.data?.syncBatch.results).toEqual([
      { eventId: payload, status: "APPLIED", error: null },
    ]);
    const rows = await server.rows("SELECT name FROM customer WHERE name = ?", [payload]);
    expect(rows).toHaveLength(1);
  });

  it("runs nothing from the same texts in variables", async () => {
    const response = await server.syncBatch("injection", "variables-1", [
      { ...insert("customer", -2, { name: payload }), eventId: payload },
    ]);
    expect(ran()).toBeUndefined();
    expect(response.answer.results[0]).toMatchObject({ eventId: payload, status: "APPLIED" });
  });

  it("keeps a NaN marker a text, and a literal __proto__ key a column name the server refuses", async () => {
    const nan = await server.gql<{ syncBatch: { results: Array<{ eventId: string }> } }>(
      literalBatch("literal-nan", -3, magicNan, magicNan),
    );
    expect(nan.data?.syncBatch.results[0]?.eventId).toBe(magicNan);
    expect(await server.rows("SELECT name FROM customer WHERE name = ?", [magicNan])).toHaveLength(
      1,
    );

    const proto = await server.gql<{
      syncBatch: { results: Array<{ status: string; error: { code: string } | null }> };
    }>(
      `mutation { syncBatch(input: { clientId: "injection", batchId: "literal-proto", batchSeq: 1, operations: [
        { eventId: "p", table: "customer", kind: INSERT, key: "-9", data: { name: "x", __proto__: "y" } }
      ] }) { results { status error { code } } } }`,
    );
    expect(proto.data?.syncBatch.results[0]).toEqual({
      status: "REJECTED",
      error: { code: "UNKNOWN_COLUMN" },
    });
  });

  it("still answers the client's own document (with variables) as before", async () => {
    const response = await server.gql(syncBatchDocument, {
      input: {
        clientId: "injection",
        batchId: "own-1",
        batchSeq: 1,
        operations: [insert("customer", -20, { name: "Ada" })],
      },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data).toMatchObject({ syncBatch: { results: [{ status: "APPLIED" }] } });
  });
});
