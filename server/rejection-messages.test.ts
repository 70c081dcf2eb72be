import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { insert, remove, update } from "../test-utils/operations.ts";
import { startTestServer, syncBatchDocument, type TestServer } from "../test-utils/test-server.ts";

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.close();
});

describe("what a rejection says", () => {
  it("names the reference at fault of a foreign-key violation", async () => {
    const { answer: setup } = await server.syncBatch("dev", "setup", [
      insert("customer", -1, { name: "Ada" }),
      insert("invoice", -1, { customer_id: -1, issued_at: "x", total: 1 }),
    ]);
    expect(setup.results.map((r) => r.status)).toEqual(["APPLIED", "APPLIED"]);
    const { answer } = await server.syncBatch("dev", "fk", [
      insert("invoice", -2, { customer_id: 999, issued_at: "x", total: 1 }),
      update("invoice", 1, { customer_id: 12345 }),
      remove("customer", 1),
    ]);
    expect(answer.results.map((r) => r.error)).toEqual([
      {
        code: "CONSTRAINT_VIOLATION",
        message:
          "FOREIGN KEY constraint failed: invoice.customer_id is 999, but customer has no row with that key",
      },
      {
        code: "CONSTRAINT_VIOLATION",
        message:
          "FOREIGN KEY constraint failed: invoice.customer_id is 12345, but customer has no row with that key",
      },
      {
        code: "CONSTRAINT_VIOLATION",
        message:
          "FOREIGN KEY constraint failed: customer 1 cannot be deleted, invoice.customer_id still refers to it",
      },
    ]);
  });

  it("names the temporary key a device gave for a row that is gone", async () => {
    await server.syncBatch("dev", "setup", [insert("customer", -1, { name: "Ada" })]);
    await server.syncBatch("other", "gone", [remove("customer", 1)]);
    const { answer } = await server.syncBatch("dev", "late", [
      update("customer", -1, { name: "x" }),
    ]);
    expect(answer.results[0]?.error).toEqual({
      code: "NOT_FOUND",
      message: "customer has no row with key 1 (the server key of temporary key -1)",
    });
  });

  it("refuses a lone surrogate, which SQLite would silently store as U+FFFD", async () => {
    const { answer } = await server.syncBatch("dev", "s", [
      insert("customer", -1, { name: "half a pair: \ud800" }),
      insert("note", "\udc00", { body: "b" }),
    ]);
    expect(answer.results.map((r) => r.error)).toEqual([
      {
        code: "INVALID_VALUE",
        message:
          "customer.name must be well-formed Unicode text: it holds a lone surrogate, which SQLite would store as U+FFFD",
      },
      {
        code: "INVALID_VALUE",
        message: "key of note must be a non-empty, well-formed text of at most 200 characters",
      },
    ]);
    expect(await server.rows("SELECT * FROM customer")).toEqual([]);
  });

  it("refuses a request whose operations share an event id, or have an empty one, whole", async () => {
    const twice = await server.gql(syncBatchDocument, {
      input: {
        clientId: "dev",
        batchId: "dup",
        batchSeq: 1,
        operations: [
          { ...insert("customer", -1, { name: "A" }), eventId: "7" },
          { ...insert("customer", -2, { name: "B" }), eventId: "8" },
          { ...insert("customer", -3, { name: "C" }), eventId: "7" },
        ],
      },
    });
    expect(twice.errors?.[0]).toMatchObject({
      message:
        'input.operations[2].eventId "7" repeats input.operations[0].eventId: each operation of a request needs its own event id',
      extensions: { code: "BAD_USER_INPUT" },
    });
    const empty = await server.gql(syncBatchDocument, {
      input: {
        clientId: "dev",
        batchId: "empty",
        batchSeq: 1,
        operations: [{ ...insert("customer", -1, { name: "A" }), eventId: "" }],
      },
    });
    expect(empty.errors?.[0]?.message).toBe(
      "input.operations[0].eventId must be 1 to 200 characters long",
    );
    expect(await server.rows("SELECT * FROM customer")).toEqual([]);
    expect(await server.rows("SELECT * FROM sync_batch")).toEqual([]);
  });
});
