import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startTestServer, type TestServer } from "../test-utils/test-server.ts";

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
        syncBatch(input: { clientId: "graphiql", batchId: "b1", batchSeq: 1, operations: [
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
        syncBatch(input: { clientId: "graphiql", batchId: "b2", batchSeq: 1, operations: [
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
      syncBatch(input: { clientId: "graphiql", batchId: "b1", batchSeq: 1, operations: [
        { eventId: "1", table: "customer", kind: INSERT, key: "-1", data: { name: "Ada" } }
      ] }) { results { status } }
    }`);
    expect(answer.data).toEqual({ syncBatch: { results: [{ status: "APPLIED" }] } });
    expect(logged).not.toHaveBeenCalled();
  });
  it("refuses a bare word in a JSON literal, and a variable it does not get, saying which", async () => {
    const bare = await server.gql(`mutation {
      syncBatch(input: { clientId: "graphiql", batchId: "b1", batchSeq: 1, operations: [
        { eventId: "1", table: "customer", kind: INSERT, key: "-1", data: { name: "Ada", email: ada_at_example } }
      ] }) { results { status } }
    }`);
    expect(bare.data).toBeUndefined();
    expect(bare.errors?.[0]?.message).toContain(
      'A JSON literal cannot hold the bare word ada_at_example: write it as a string ("ada_at_example")',
    );
    const unsupplied = await server.gql(
      `mutation($email: JSON) {
        syncBatch(input: { clientId: "graphiql", batchId: "b2", batchSeq: 1, operations: [
          { eventId: "1", table: "customer", kind: INSERT, key: "-1", data: { name: "Ada", email: $email } }
        ] }) { results { status } }
      }`,
      {},
    );
    expect(unsupplied.data ?? undefined).toBeUndefined();
    expect(unsupplied.errors?.[0]?.message).toMatch(/Argument "input" has invalid value/);
    expect(await server.rows("SELECT * FROM customer")).toEqual([]);
  });
});
