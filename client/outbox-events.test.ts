import { describe, expect, it } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { useServerAndDevice } from "../test-utils/server-and-device.ts";

const fixture = useServerAndDevice();

describe("rejected events", () => {
  it("stay rejected with the server's code, dependents too; retryEvent after a fix sends them again", async () => {
    const c = fixture.device.client;
    // A customer key that exists on the device but not (yet) on the server: the device got it
    // from a mapping of another session, say. Here it is planted to make the server refuse.
    await fixture.device.rows("INSERT INTO customer (id, name) VALUES (500, 'local only')");
    const ok = await c.insert(t.customer, { name: "Ada" });
    const invoice = await c.insert(t.invoice, {
      customerId: 500,
      issuedAt: "2026-11-26",
      total: 1,
    });
    await c.insert(t.invoiceLine, { invoiceId: invoice, product: "pen", quantity: 1, price: 1 });
    await c.update(t.invoice, invoice, { total: 2 });
    await c.insert(t.invoice, { customerId: ok, issuedAt: "2026-11-26", total: 3 });

    const report = await c.send();
    expect(report).toMatchObject({ applied: 2, rejected: 3 });
    const rejected = await c.events({ status: "rejected" });
    expect(rejected.map((e) => [e.kind, e.table, e.error?.code])).toEqual([
      ["insert", "invoice", "CONSTRAINT_VIOLATION"],
      ["insert", "invoice_line", "DEPENDENCY_REJECTED"],
      ["update", "invoice", "DEPENDENCY_REJECTED"],
    ]);
    expect(rejected[0]?.error?.message).toMatch(/FOREIGN KEY/);
    expect(await c.events({ status: "pending" })).toEqual([]);
    expect(await fixture.server.rows("SELECT total FROM invoice")).toEqual([
      expect.objectContaining({ total: 3 }),
    ]);

    // The cause is fixed on the server; the app retries the invoice: its dependents come along.
    await fixture.server.rows("INSERT INTO customer (id, name) VALUES (500, 'now on the server')");
    const retried = await c.retryEvent(rejected[0]?.id ?? 0);
    expect(retried).toEqual(rejected.map((e) => e.id));
    const again = await c.send();
    expect(again).toMatchObject({ applied: 3, rejected: 0, mappingsApplied: 2 });
    expect(await c.events()).toEqual([]);
    expect(await fixture.server.rows("SELECT customer_id, total FROM invoice ORDER BY id")).toEqual(
      [
        expect.objectContaining({ total: 3 }),
        expect.objectContaining({ customer_id: 500, total: 2 }),
      ],
    );
    expect(
      await fixture.device.rows("SELECT count(*) AS n FROM invoice_line WHERE invoice_id > 0"),
    ).toEqual([{ n: 1 }]);
  });

  it("removeEvent drops a rejected event; unknown, pending-in-flight and non-rejected ids are refused clearly", async () => {
    const c = fixture.device.client;
    await c
      .insert(t.invoice, { customerId: 999_999, issuedAt: "x", total: 1 })
      .catch(() => undefined);
    await fixture.device.rows("INSERT INTO customer (id, name) VALUES (77, 'local only')");
    await c.insert(t.invoice, { customerId: 77, issuedAt: "x", total: 1 });
    await c.send();
    const [rejected] = await c.events({ status: "rejected" });
    expect(rejected?.error?.code).toBe("CONSTRAINT_VIOLATION");
    await expect(c.retryEvent(12345)).rejects.toMatchObject({
      code: "INVALID_EVENT",
      message: /no such event/,
    });
    await expect(c.removeEvent(12345)).rejects.toMatchObject({ code: "INVALID_EVENT" });
    await c.insert(t.customer, { name: "pending" });
    const [pending] = await c.events({ status: "pending" });
    await expect(c.retryEvent(pending?.id ?? 0)).rejects.toMatchObject({ message: /not rejected/ });
    await c.removeEvent(rejected?.id ?? 0);
    expect((await c.events()).map((e) => e.kind)).toEqual(["insert"]);
    await expect(c.events({ status: "sent" as "pending" })).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message: /status must be "pending" or "rejected", got "sent"/,
    });
  });
});
