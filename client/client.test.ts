import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { useServerAndDevice } from "../test-utils/server-and-device.ts";
import { openTestDevice } from "../test-utils/test-device.ts";

const fixture = useServerAndDevice();

describe("the article's scenario", () => {
  it("syncs a customer, a checkpoint, then its invoices and lines: keys and references agree", async () => {
    // Rows of another device first, so server keys cannot equal the device's by chance.
    await fixture.server.syncBatch("other", "b", [
      { eventId: "1", table: "customer", kind: "INSERT", key: "-1", data: { name: "x" } },
    ]);
    const c = fixture.device.client;
    const customerId = await c.insert(t.customer, { name: "Ada", email: "ada@example.com" });
    await c.setSendCheckpoint();
    const invoice1 = await c.insert(t.invoice, { customerId, issuedAt: "2026-11-26", total: 30 });
    const invoice2 = await c.insert(t.invoice, { customerId, issuedAt: "2026-11-27", total: 12 });
    await c.insert(t.invoiceLine, { invoiceId: invoice1, product: "pen", quantity: 3, price: 10 });
    await c.insert(t.invoiceLine, { invoiceId: invoice2, product: "ink", quantity: 1, price: 12 });
    expect([customerId, invoice1, invoice2]).toEqual([-1, -1, -2]);

    const progress: unknown[] = [];
    const report = await c.send({ onProgress: (p) => progress.push(p) });
    expect(report).toMatchObject({
      batches: 2,
      applied: 5,
      rejected: 0,
      mappingsApplied: 5,
      retries: 0,
    });
    expect(report.bytesSent).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({
      batchesDone: 2,
      batchesTotal: 2,
      operationsDone: 5,
      operationsTotal: 5,
    });

    const q =
      "SELECT c.id AS customer, i.id AS invoice, l.id AS line, l.product FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id JOIN customer c ON c.id = i.customer_id ORDER BY l.id";
    const onDevice = await fixture.device.rows(q);
    const onServer = await fixture.server.rows(q);
    expect(onDevice).toEqual(onServer.map((row) => ({ ...row })));
    expect(onDevice).toHaveLength(2);
    expect(onDevice[0]).toMatchObject({ customer: 2 });
    for (const table of ["customer", "invoice", "invoice_line"]) {
      expect(await fixture.device.rows(`SELECT count(*) AS n FROM ${table} WHERE id < 0`)).toEqual([
        { n: 0 },
      ]);
    }
    expect(await c.events()).toEqual([]);
  });
});

describe("reads through db", () => {
  it("sees committed rows through drizzle, and refuses writes that would bypass the outbox", async () => {
    const c = fixture.device.client;
    const customerId = await c.insert(t.customer, { name: "Ada", email: "ada@example.com" });
    await c.insert(t.invoice, { customerId, issuedAt: "2026-11-26", total: 30 });
    expect(await c.db.select().from(t.customer)).toEqual([
      { id: -1, name: "Ada", email: "ada@example.com" },
    ]);
    const joined = await c.db
      .select({ name: t.customer.name, total: t.invoice.total })
      .from(t.invoice)
      .innerJoin(t.customer, eq(t.customer.id, t.invoice.customerId))
      .get();
    expect(joined).toEqual({ name: "Ada", total: 30 });
    expect(await c.db.select().from(t.note).get()).toBeUndefined();
    const write = await c.db
      .insert(t.customer)
      .values({ name: "sneaky" })
      .catch((error: unknown) => error);
    expect((write as Error).cause).toMatchObject({
      code: expect.stringMatching(/^SQLITE_READONLY/),
    });
    expect(await c.events()).toHaveLength(2);
  });
});

describe("a closed client", () => {
  it("refuses writes and event management at once, also when they are called during close()", async () => {
    const device = await openTestDevice("http://127.0.0.1:9/graphql");
    try {
      const c = device.client;
      await c.insert(t.customer, { name: "Ada" });
      const closing = c.close();
      // Called while close() runs: each must reject, none may reach a closed database.
      const calls = [
        c.retryEvent(1),
        c.removeEvent(1),
        c.insert(t.customer, { name: "late" }),
        c.setSendCheckpoint(),
      ];
      await closing;
      for (const call of calls) await expect(call).rejects.toMatchObject({ code: "ABORTED" });
      await expect(c.retryEvent(1)).rejects.toMatchObject({ code: "ABORTED" });
      await expect(c.removeEvent(1)).rejects.toMatchObject({ code: "ABORTED" });
      await expect(c.events()).rejects.toMatchObject({ code: "ABORTED" });
      expect(await device.rows("SELECT name FROM customer")).toEqual([{ name: "Ada" }]);
    } finally {
      await device.reopen();
      await device.close();
    }
  });
});

describe("a transaction", () => {
  it("refuses its writer once it ended, and writes still under way when its callback returned", async () => {
    const c = fixture.device.client;
    let kept: Parameters<Parameters<typeof c.transaction>[0]>[0] | undefined;
    await c.transaction(async (w) => {
      kept = w;
      await w.insert(t.customer, { name: "Ada" });
    });
    const ended =
      /the transaction has ended; use its writer only inside transaction\(\)'s callback/;
    await expect(kept?.insert(t.note, { body: "late" })).rejects.toMatchObject({
      code: "INVALID_WRITE",
      message: ended,
    });
    await expect(kept?.setSendCheckpoint()).rejects.toMatchObject({ message: ended });

    // The classic mistake: forEach does not wait for its async callback.
    await expect(
      c.transaction(async (w) => {
        for (const body of ["n1", "n2", "n3"]) void w.insert(t.note, { body });
      }),
    ).rejects.toMatchObject({
      code: "INVALID_WRITE",
      message: expect.stringMatching(
        /3 writes were still under way when the callback returned; await each write/,
      ),
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await fixture.device.rows("SELECT count(*) AS n FROM note")).toEqual([{ n: 0 }]);
    expect((await c.events()).map((e) => e.table)).toEqual(["customer"]);
  });

  it("refuses the client's own calls inside its callback instead of waiting for itself", async () => {
    const c = fixture.device.client;
    await expect(
      c.transaction(async (w) => {
        await w.insert(t.customer, { name: "outer" });
        await c.insert(t.customer, { name: "inner" });
      }),
    ).rejects.toMatchObject({
      code: "INVALID_WRITE",
      message: expect.stringMatching(
        /^insert\(\) inside transaction\(\): use the writer its callback gets/,
      ),
    });
    await expect(
      c.transaction(async () => {
        await c.send();
      }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/^send\(\) inside transaction\(\)/) });
    // Nothing of the failed transactions stayed, and the client still works.
    await c.insert(t.customer, { name: "after" });
    expect(await fixture.device.rows("SELECT name FROM customer")).toEqual([{ name: "after" }]);
  });
});

describe("stopping a send", () => {
  it("tells an abort during a request as ABORTED, with what was applied kept", async () => {
    const c = fixture.device.client;
    for (let i = 0; i < 3; i++) {
      await c.insert(t.customer, { name: `c${i}` });
      await c.setSendCheckpoint();
    }
    const stop = new AbortController();
    const failure = await c
      .send({ signal: stop.signal, onProgress: () => stop.abort() })
      .catch((error: unknown) => error as { code: string; report: { applied: number } });
    expect(failure).toMatchObject({ code: "ABORTED", report: { applied: 1 } });
    expect(await c.send()).toMatchObject({ applied: 2 });
    expect(await fixture.server.rows("SELECT count(*) AS n FROM customer")).toEqual([{ n: 3 }]);
  });

  it("stops a send in its backoff at close(), and a send waiting its turn at its signal", async () => {
    // Backoff waits of a minute: without the stop this test runs into its timeout.
    const device = await openTestDevice("http://127.0.0.1:9/graphql", {
      retry: { retries: 5, minDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    const c = device.client;
    await c.insert(t.customer, { name: "Ada" });
    const first = c.send().catch((error: unknown) => error);
    const stop = new AbortController();
    const second = c.send({ signal: stop.signal }).catch((error: unknown) => error);
    stop.abort();
    expect(await second).toMatchObject({
      code: "ABORTED",
      message: "send() was aborted before its turn",
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await c.close();
    expect(await first).toMatchObject({ code: "ABORTED", message: "the client is closed" });
    await device.reopen();
    expect((await device.client.events()).map((e) => e.kind)).toEqual(["insert"]);
    await device.close();
  });
});
