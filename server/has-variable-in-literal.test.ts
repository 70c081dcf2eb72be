import { parse } from "graphql";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startTestServer, syncBatchDocument, type TestServer } from "../test-utils/test-server.ts";
import { hasVariableInLiteral } from "./has-variable-in-literal.ts";

describe("hasVariableInLiteral", () => {
  it.each([
    ["the client's document: the input is one variable", syncBatchDocument, false],
    ["no variable at all", "{ syncLimits { maxOperations } }", false],
    ["a variable as an argument", "query($a: ID!) { f(a: $a) }", false],
    ["inside a JSON object literal", "mutation($x: JSON) { f(data: { a: $x }) }", true],
    ["inside a list literal", "mutation($x: JSON) { f(a: [1, $x]) }", true],
    [
      "as a field of an input object literal",
      "mutation($x: JSON) { f(input: { data: $x }) }",
      true,
    ],
  ])("%s", (_name, source, expected) => {
    expect(hasVariableInLiteral(parse(source))).toBe(expected);
  });
});

describe("a syncBatch written as literals (as in GraphiQL)", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await server.close();
  });

  it("takes variables inside the row's JSON literal, on insert and on update", async () => {
    const inserted = await server.gql(
      `mutation($lat: JSON!, $at: JSON!) {
        syncBatch(input: { clientId: "graphiql", batchId: "b1", operations: [
          { eventId: "1", table: "location", kind: INSERT, key: "-1",
            data: { device_id: "p", latitude: $lat, longitude: 2, recorded_at: $at } }
          { eventId: "2", table: "customer", kind: INSERT, key: "-1", data: { name: "Ada" } }
        ] }) { results { status error { message } } }
      }`,
      { lat: 41.39, at: "2026-11-26T10:00:00Z" },
    );
    expect(inserted.errors).toBeUndefined();
    expect(inserted.data).toEqual({
      syncBatch: {
        results: [
          { status: "APPLIED", error: null },
          { status: "APPLIED", error: null },
        ],
      },
    });
    const updated = await server.gql(
      `mutation($email: JSON) {
        syncBatch(input: { clientId: "graphiql", batchId: "b2", operations: [
          { eventId: "3", table: "customer", kind: UPDATE, key: "1", data: { email: $email } }
        ] }) { results { status } }
      }`,
      { email: "ada@example.com" },
    );
    expect(updated.data).toEqual({ syncBatch: { results: [{ status: "APPLIED" }] } });
    expect(await server.rows("SELECT latitude, recorded_at FROM location")).toEqual([
      expect.objectContaining({ latitude: 41.39, recorded_at: "2026-11-26T10:00:00Z" }),
    ]);
    expect(await server.rows("SELECT name, email FROM customer")).toEqual([
      expect.objectContaining({ name: "Ada", email: "ada@example.com" }),
    ]);
  });

  it("compiles a JSON literal without logging anything", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const answer = await server.gql(`mutation {
      syncBatch(input: { clientId: "graphiql", batchId: "b1", operations: [
        { eventId: "1", table: "customer", kind: INSERT, key: "-1", data: { name: "Ada" } }
      ] }) { results { status } }
    }`);
    expect(answer.data).toEqual({ syncBatch: { results: [{ status: "APPLIED" }] } });
    expect(logged).not.toHaveBeenCalled();
  });
});
