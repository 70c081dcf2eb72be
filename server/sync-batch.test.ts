import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { insert, remove, update } from "../test-utils/operations.ts";
import { startTestServer, type TestServer } from "../test-utils/test-server.ts";

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.close();
});

const mappingOf = (
  answer: { keyMappings: Array<{ table: string; clientKey: string; serverKey: string }> },
  table: string,
  clientKey: number,
): number => {
  const mapping = answer.keyMappings.find(
    (m) => m.table === table && m.clientKey === String(clientKey),
  );
  if (!mapping) throw new Error(`no mapping for ${table} ${clientKey}`);
  return Number(mapping.serverKey);
};

describe("syncBatch", () => {
  it("applies the seed's customer and two invoices in one request", async () => {
    // A row from another device first, so server keys differ from the temporary ones.
    await server.syncBatch("other", "b0", [insert("customer", -1, { name: "Someone else" })]);
    const ops = [
      insert("customer", -1, { name: "Ada", email: "ada@example.com" }),
      insert("invoice", -1, { customer_id: -1, issued_at: "2026-11-26", total: 120.5 }),
      insert("invoice", -2, { customer_id: -1, issued_at: "2026-11-27", total: 80 }),
    ];
    const { answer, errors } = await server.syncBatch("device-a", "batch-1", ops);
    expect(errors).toBeUndefined();
    expect(answer.replayed).toBe(false);
    expect(answer.results.map((r) => [r.eventId, r.status, r.error])).toEqual(
      ops.map((op) => [op.eventId, "APPLIED", null]),
    );
    expect(answer.keyMappings).toEqual([
      { table: "customer", clientKey: "-1", serverKey: "2" },
      { table: "invoice", clientKey: "-1", serverKey: "1" },
      { table: "invoice", clientKey: "-2", serverKey: "2" },
    ]);
    expect(await server.rows("SELECT id, customer_id, total FROM invoice ORDER BY id")).toEqual([
      expect.objectContaining({ id: 1, customer_id: 2, total: 120.5 }),
      expect.objectContaining({ id: 2, customer_id: 2, total: 80 }),
    ]);
  });

  it("resolves temporary keys across requests: customer, then invoices, then lines", async () => {
    const first = await server.syncBatch("dev", "1", [insert("customer", -1, { name: "Ada" })]);
    const second = await server.syncBatch("dev", "2", [
      insert("invoice", -1, { customer_id: -1, issued_at: "2026-11-26", total: 10 }),
      insert("invoice", -2, { customer_id: -1, issued_at: "2026-11-26", total: 20 }),
    ]);
    const third = await server.syncBatch("dev", "3", [
      insert("invoice_line", -1, { invoice_id: -1, product: "pen", quantity: 2, price: 5 }),
      insert("invoice_line", -2, { invoice_id: -2, product: "ink", quantity: 1, price: 20 }),
    ]);
    for (const { answer } of [first, second, third]) {
      expect(answer.results.every((r) => r.status === "APPLIED")).toBe(true);
    }
    const customerId = mappingOf(first.answer, "customer", -1);
    const invoice1 = mappingOf(second.answer, "invoice", -1);
    const invoice2 = mappingOf(second.answer, "invoice", -2);
    expect(await server.rows("SELECT customer_id FROM invoice ORDER BY id")).toEqual([
      expect.objectContaining({ customer_id: customerId }),
      expect.objectContaining({ customer_id: customerId }),
    ]);
    expect(await server.rows("SELECT invoice_id, product FROM invoice_line ORDER BY id")).toEqual([
      expect.objectContaining({ invoice_id: invoice1, product: "pen" }),
      expect.objectContaining({ invoice_id: invoice2, product: "ink" }),
    ]);
  });

  it("updates and deletes by the temporary key of an earlier request", async () => {
    await server.syncBatch("dev", "1", [
      insert("customer", -1, { name: "Ada" }),
      insert("customer", -2, { name: "Bob" }),
    ]);
    const { answer } = await server.syncBatch("dev", "2", [
      update("customer", -1, { email: "ada@new.example" }),
      remove("customer", -2),
    ]);
    expect(answer.results.map((r) => r.status)).toEqual(["APPLIED", "APPLIED"]);
    expect(answer.keyMappings).toEqual([]);
    expect(await server.rows("SELECT name, email FROM customer ORDER BY id")).toEqual([
      expect.objectContaining({ name: "Ada", email: "ada@new.example" }),
    ]);
  });

  it("passes a UUID-keyed row through and rewrites its temporary customer key", async () => {
    const noteId = "6f1c5a52-2f7e-4c55-9d38-0f7b2a2d7e01";
    const { answer } = await server.syncBatch("dev", "1", [
      insert("customer", -1, { name: "Ada" }),
      insert("note", noteId, { customer_id: -1, body: "call back" }),
    ]);
    expect(answer.results.map((r) => r.status)).toEqual(["APPLIED", "APPLIED"]);
    expect(answer.keyMappings.map((m) => m.table)).toEqual(["customer"]);
    expect(await server.rows("SELECT id, customer_id FROM note")).toEqual([
      expect.objectContaining({ id: noteId, customer_id: mappingOf(answer, "customer", -1) }),
    ]);
  });

  it("keeps one client's temporary keys invisible to another", async () => {
    await server.syncBatch("device-a", "1", [insert("customer", -1, { name: "Ada" })]);
    const { answer } = await server.syncBatch("device-b", "1", [
      insert("invoice", -1, { customer_id: -1, issued_at: "2026-11-26", total: 1 }),
    ]);
    expect(answer.results[0]?.error?.code).toBe("UNKNOWN_TEMP_KEY");
    expect(await server.rows("SELECT count(*) AS n FROM invoice")).toEqual([
      expect.objectContaining({ n: 0 }),
    ]);
  });

  it("answers a resent INSERT of a mapped key with its mapping and writes nothing", async () => {
    const first = await server.syncBatch("dev", "1", [insert("customer", -1, { name: "Ada" })]);
    const again = await server.syncBatch("dev", "2", [insert("customer", -1, { name: "Ada" })]);
    expect(again.answer.results[0]?.status).toBe("APPLIED");
    expect(again.answer.keyMappings).toEqual(first.answer.keyMappings);
    expect(await server.rows("SELECT count(*) AS n FROM customer")).toEqual([
      expect.objectContaining({ n: 1 }),
    ]);
  });

  it("never reuses a server key, not even after a delete", async () => {
    const first = await server.syncBatch("dev", "1", [insert("customer", -1, { name: "Ada" })]);
    await server.syncBatch("dev", "2", [remove("customer", -1)]);
    const second = await server.syncBatch("dev", "3", [insert("customer", -2, { name: "Bob" })]);
    expect(mappingOf(second.answer, "customer", -2)).toBeGreaterThan(
      mappingOf(first.answer, "customer", -1),
    );
  });

  it("applies a 1,000-operation request of location inserts with a mapping each", async () => {
    const ops = Array.from({ length: 1000 }, (_, i) =>
      insert("location", -(i + 1), {
        device_id: "phone",
        latitude: 40 + i / 1000,
        longitude: -3 - i / 1000,
        recorded_at: new Date(Date.UTC(2026, 10, 26, 0, i * 5)).toISOString(),
      }),
    );
    const { answer } = await server.syncBatch("dev", "big", ops);
    expect(answer.results.filter((r) => r.status === "APPLIED")).toHaveLength(1000);
    expect(answer.keyMappings).toHaveLength(1000);
    const serverKeys = answer.keyMappings.map((m) => Number(m.serverKey));
    expect(new Set(serverKeys).size).toBe(1000);
    const rows = await server.rows("SELECT id, latitude FROM location ORDER BY id");
    expect(rows).toHaveLength(1000);
    const byKey = new Map(rows.map((row) => [Number(row.id), Number(row.latitude)]));
    answer.keyMappings.forEach((mapping, i) => {
      expect(byKey.get(Number(mapping.serverKey))).toBe(
        40 + (-Number(mapping.clientKey) - 1) / 1000,
      );
      expect(mapping.clientKey).toBe(String(-(i + 1)));
    });
  });
});
