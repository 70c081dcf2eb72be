import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SyncOperation } from "../server/index.ts";
import { insert, remove, update } from "../test-utils/operations.ts";
import { startTestServer, type TestServer } from "../test-utils/test-server.ts";

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.close();
});

const good = () =>
  insert("location", -1000 - Math.floor(Math.random() * 1e6), {
    device_id: "d",
    latitude: 1,
    longitude: 2,
    recorded_at: "t",
  });

/** Sends `bad` between two good operations; returns the bad one's error code. */
async function rejectionOf(
  bad: SyncOperation,
  setup: SyncOperation[] = [],
): Promise<string | undefined> {
  if (setup.length > 0) await server.syncBatch("dev", `setup-${bad.eventId}`, setup);
  const before = await server.rows("SELECT count(*) AS n FROM location");
  const ops = [good(), bad, good()];
  const { answer, errors } = await server.syncBatch("dev", `b-${bad.eventId}`, ops);
  expect(errors).toBeUndefined();
  expect(answer.results.map((r) => r.status)).toEqual(["APPLIED", "REJECTED", "APPLIED"]);
  expect(answer.results[1]?.eventId).toBe(bad.eventId);
  expect(answer.results[1]?.error?.message).toMatch(/\w/);
  const after = await server.rows("SELECT count(*) AS n FROM location");
  expect(Number(after[0]?.n) - Number(before[0]?.n)).toBe(2);
  return answer.results[1]?.error?.code;
}

describe("rejected operations", () => {
  it("UNKNOWN_TABLE for a table outside the model", async () => {
    expect(await rejectionOf(insert("sqlite_master", -1, { name: "x" }))).toBe("UNKNOWN_TABLE");
  });

  it("UNKNOWN_COLUMN for a column the table lacks", async () => {
    expect(await rejectionOf(insert("customer", -1, { name: "Ada", nickname: "A" }))).toBe(
      "UNKNOWN_COLUMN",
    );
    const code = await rejectionOf(update("customer", -1, { "name = 1; --": "x" }), [
      insert("customer", -1, { name: "Ada" }),
    ]);
    expect(code).toBe("UNKNOWN_COLUMN");
  });

  it("INVALID_VALUE for a wrong type, a positive autonumber INSERT key, a key inside data, a bad key", async () => {
    expect(await rejectionOf(insert("customer", -1, { name: 42 }))).toBe("INVALID_VALUE");
    expect(await rejectionOf(insert("customer", 7, { name: "Ada" }))).toBe("INVALID_VALUE");
    expect(await rejectionOf(insert("customer", -2, { id: 5, name: "Ada" }))).toBe("INVALID_VALUE");
    expect(await rejectionOf(update("customer", "abc", { name: "Ada" }))).toBe("INVALID_VALUE");
    expect(
      await rejectionOf(
        insert("invoice_line", -1, { invoice_id: 1, product: "p", quantity: 1.5, price: 1 }),
      ),
    ).toBe("INVALID_VALUE");
    expect(
      await rejectionOf(
        insert("location", -1, {
          device_id: "d",
          latitude: "north",
          longitude: 1,
          recorded_at: "t",
        }),
      ),
    ).toBe("INVALID_VALUE");
  });

  it("NOT_FOUND for an UPDATE or DELETE of a missing row", async () => {
    expect(await rejectionOf(update("customer", 999, { name: "Ada" }))).toBe("NOT_FOUND");
    expect(await rejectionOf(remove("customer", 999))).toBe("NOT_FOUND");
  });

  it("CONSTRAINT_VIOLATION for not null and foreign keys", async () => {
    expect(await rejectionOf(insert("customer", -1, { email: "no-name@example.com" }))).toBe(
      "CONSTRAINT_VIOLATION",
    );
    expect(await rejectionOf(insert("customer", -2, { name: null }))).toBe("CONSTRAINT_VIOLATION");
    expect(
      await rejectionOf(insert("invoice", -1, { customer_id: 999, issued_at: "t", total: 1 })),
    ).toBe("CONSTRAINT_VIOLATION");
  });

  it("CONSTRAINT_VIOLATION for a unique key and for deleting a referenced row", async () => {
    const noteId = "0d6f2c1e-0000-4000-8000-000000000001";
    expect(
      await rejectionOf(insert("note", noteId, { body: "again" }), [
        insert("note", noteId, { body: "first" }),
      ]),
    ).toBe("CONSTRAINT_VIOLATION");
    const code = await rejectionOf(remove("customer", -5), [
      insert("customer", -5, { name: "Ada" }),
      insert("invoice", -5, { customer_id: -5, issued_at: "t", total: 1 }),
    ]);
    expect(code).toBe("CONSTRAINT_VIOLATION");
    expect(await server.rows("SELECT count(*) AS n FROM customer")).toEqual([
      expect.objectContaining({ n: 1 }),
    ]);
  });

  it("UNKNOWN_TEMP_KEY for a temporary key this client never inserted", async () => {
    expect(
      await rejectionOf(insert("invoice", -1, { customer_id: -77, issued_at: "t", total: 1 })),
    ).toBe("UNKNOWN_TEMP_KEY");
    expect(await rejectionOf(update("customer", -78, { name: "x" }))).toBe("UNKNOWN_TEMP_KEY");
  });

  it("DEPENDENCY_REJECTED for dependents of a rejected INSERT, in this request and later ones", async () => {
    const badCustomer = insert("customer", -1, { name: null });
    const invoice = insert("invoice", -1, { customer_id: -1, issued_at: "t", total: 1 });
    const line = insert("invoice_line", -1, {
      invoice_id: -1,
      product: "p",
      quantity: 1,
      price: 1,
    });
    const first = await server.syncBatch("dev", "1", [badCustomer, invoice, line, good()]);
    expect(first.answer.results.map((r) => r.error?.code ?? r.status)).toEqual([
      "CONSTRAINT_VIOLATION",
      "DEPENDENCY_REJECTED",
      "DEPENDENCY_REJECTED",
      "APPLIED",
    ]);
    const later = await server.syncBatch("dev", "2", [
      update("customer", -1, { email: "x@example.com" }),
      insert("note", "n-1", { customer_id: -1, body: "hello" }),
    ]);
    expect(later.answer.results.map((r) => r.error?.code)).toEqual([
      "DEPENDENCY_REJECTED",
      "DEPENDENCY_REJECTED",
    ]);
    for (const table of ["customer", "invoice", "invoice_line", "note"]) {
      expect(await server.rows(`SELECT count(*) AS n FROM ${table}`)).toEqual([
        expect.objectContaining({ n: 0 }),
      ]);
    }
    // The app fixes the customer and sends the INSERT again: it applies, and so do its dependents.
    const fixed = await server.syncBatch("dev", "3", [
      insert("customer", -1, { name: "Ada" }),
      invoice,
      line,
    ]);
    expect(fixed.answer.results.map((r) => r.status)).toEqual(["APPLIED", "APPLIED", "APPLIED"]);
    expect(fixed.answer.keyMappings.map((m) => m.table)).toEqual([
      "customer",
      "invoice",
      "invoice_line",
    ]);
  });

  it("rejects one row of a run of inserts and applies the rest of the run", async () => {
    const ops = [
      insert("customer", -1, { name: "A" }),
      insert("customer", -2, { name: "B" }),
      insert("invoice", -1, { customer_id: -1, issued_at: "t", total: 1 }),
      insert("invoice", -2, { customer_id: 424242, issued_at: "t", total: 1 }),
      insert("invoice", -3, { customer_id: -2, issued_at: "t", total: 1 }),
      insert("invoice_line", -1, { invoice_id: -2, product: "p", quantity: 1, price: 1 }),
      insert("invoice_line", -2, { invoice_id: -3, product: "p", quantity: 1, price: 1 }),
    ];
    const { answer } = await server.syncBatch("dev", "1", ops);
    expect(answer.results.map((r) => r.error?.code ?? r.status)).toEqual([
      "APPLIED",
      "APPLIED",
      "APPLIED",
      "CONSTRAINT_VIOLATION",
      "APPLIED",
      "DEPENDENCY_REJECTED",
      "APPLIED",
    ]);
    expect(answer.keyMappings.map((m) => `${m.table}${m.clientKey}`)).toEqual([
      "customer-1",
      "customer-2",
      "invoice-1",
      "invoice-3",
      "invoice_line-2",
    ]);
    const invoices = await server.rows("SELECT id, customer_id FROM invoice ORDER BY id");
    expect(invoices).toHaveLength(2);
    const lines = await server.rows("SELECT invoice_id FROM invoice_line");
    expect(lines.map((l) => Number(l.invoice_id))).toEqual([
      Number(answer.keyMappings[3]?.serverKey),
    ]);
  });
});
