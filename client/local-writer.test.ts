import { describe, expect, it } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { startHttpServer } from "../test-utils/http-server.ts";
import { useServerAndDevice } from "../test-utils/server-and-device.ts";
import { openTestDevice } from "../test-utils/test-device.ts";

const fixture = useServerAndDevice();

describe("local writes", () => {
  it("records each write in the outbox in its transaction, with SQL column names", async () => {
    const c = fixture.device.client;
    const id = await c.insert(t.customer, { name: "Ada" });
    await c.update(t.customer, id, { name: "Ada", email: "ada@example.com" });
    await c.update(t.customer, id, { email: "ada@example.com" });
    const events = await c.events();
    expect(events.map((e) => [e.kind, e.table, e.key, e.data])).toEqual([
      ["insert", "customer", "-1", { name: "Ada", email: null }],
      ["update", "customer", "-1", { email: "ada@example.com" }],
    ]);
    await c.delete(t.customer, id);
    expect((await c.events()).at(-1)).toMatchObject({ kind: "delete", key: "-1", data: null });
    expect(await fixture.device.rows("SELECT count(*) AS n FROM customer")).toEqual([{ n: 0 }]);
  });

  it("never reuses a temporary key, not even after its row was deleted and mapped", async () => {
    const c = fixture.device.client;
    const first = await c.insert(t.customer, { name: "A" });
    await c.delete(t.customer, first);
    const second = await c.insert(t.customer, { name: "B" });
    await c.send();
    await fixture.device.closeClient();
    const reopened = await fixture.device.reopen();
    const third = await reopened.insert(t.customer, { name: "C" });
    expect([first, second, third]).toEqual([-1, -2, -3]);
  });

  it("gives UUID tables a UUID and sends them unmapped", async () => {
    const c = fixture.device.client;
    const customerId = await c.insert(t.customer, { name: "Ada" });
    const noteId = await c.insert(t.note, { customerId, body: "call back" });
    expect(noteId).toMatch(/^[0-9a-f-]{36}$/);
    const report = await c.send();
    expect(report.mappingsApplied).toBe(1);
    const [note] = await fixture.device.rows("SELECT id, customer_id FROM note");
    expect(note).toEqual({ id: noteId, customer_id: 1 });
    expect(await fixture.server.rows("SELECT id, customer_id FROM note")).toEqual([
      expect.objectContaining({ id: noteId, customer_id: 1 }),
    ]);
  });

  it("reaches a row by the temporary key the app still holds after it was mapped", async () => {
    const c = fixture.device.client;
    const id = await c.insert(t.customer, { name: "Ada" });
    await fixture.server.syncBatch("other", "x", [
      { eventId: "1", table: "customer", kind: "INSERT", key: "-1", data: { name: "x" } },
    ]);
    await c.send();
    await c.update(t.customer, id, { email: "late@example.com" });
    expect((await c.events())[0]).toMatchObject({ kind: "update", key: "2" });
    await c.send();
    expect(await fixture.server.rows("SELECT email FROM customer WHERE id = 2")).toEqual([
      expect.objectContaining({ email: "late@example.com" }),
    ]);
  });

  it("refuses bad writes clearly and records nothing", async () => {
    const c = fixture.device.client;
    await expect(
      c.insert(t.invoice, { customerId: -42, issuedAt: "x", total: 1 }),
    ).rejects.toMatchObject({
      code: "INVALID_WRITE",
      message: expect.stringMatching(/insert into invoice: .*FOREIGN KEY/),
    });
    await expect(c.update(t.customer, -9, { name: "x" })).rejects.toMatchObject({
      message: expect.stringMatching(/no row with key -9/),
    });
    await expect(c.delete(t.customer, 5)).rejects.toMatchObject({ code: "INVALID_WRITE" });
    // @ts-expect-error: the server numbers customer rows
    await expect(c.insert(t.customer, { id: 5, name: "x" })).rejects.toMatchObject({
      message: expect.stringMatching(/leave "id" out/),
    });
    // @ts-expect-error: no such column
    await expect(c.insert(t.customer, { name: "x", nickname: "y" })).rejects.toMatchObject({
      message: expect.stringMatching(/no column "nickname"/),
    });
    expect(await c.events()).toEqual([]);
  });

  it("refuses at write time the values the server would refuse, whatever SQLite would store", async () => {
    const c = fixture.device.client;
    const customerId = await c.insert(t.customer, { name: "Ada" });
    const invoiceId = await c.insert(t.invoice, { customerId, issuedAt: "x", total: 1 });
    const line = { invoiceId, product: "p", quantity: 1, price: 2 };
    const before = await c.events();
    const refused: Array<[() => Promise<unknown>, string]> = [
      [
        () => c.insert(t.invoiceLine, { ...line, quantity: 1.5 }),
        "invoice_line.quantity must be an integer, got number 1.5",
      ],
      // SQLite would store the text as the integer 3; the event would carry the text.
      [
        () => c.insert(t.invoiceLine, { ...line, quantity: "3" as unknown as number }),
        'invoice_line.quantity must be an integer, got "3"',
      ],
      [
        () => c.insert(t.customer, { name: 5 as unknown as string }),
        "customer.name must be a text, got number 5",
      ],
      [
        () =>
          c.insert(t.location, {
            deviceId: "d",
            latitude: Number.NaN,
            longitude: 0,
            recordedAt: "t",
          }),
        "location.latitude must be a number, got number NaN",
      ],
      [
        () => c.update(t.customer, customerId, { name: null as unknown as string }),
        "customer.name must not be null",
      ],
      [
        () => c.insert(t.customer, { name: "half a pair: \ud83d" }),
        "customer.name must be well-formed Unicode text: it holds a lone surrogate, which SQLite would store as U+FFFD",
      ],
      [() => c.insert(t.customer, {} as { name: string }), "customer.name must not be null"],
      [
        () => c.insert(t.note, { id: "n".repeat(201), body: "b" }),
        "key of note must be a well-formed text of 1 to 200 characters",
      ],
    ];
    for (const [write, message] of refused) {
      await expect(write()).rejects.toMatchObject({ code: "INVALID_WRITE", message });
    }
    expect(await c.events()).toEqual(before);
    expect(await fixture.device.rows("SELECT count(*) AS n FROM invoice_line")).toEqual([{ n: 0 }]);
  });

  it("refuses values that are not an object of column values as INVALID_WRITE, naming the table", async () => {
    const c = fixture.device.client;
    const customerId = await c.insert(t.customer, { name: "Ada" });
    const before = await c.events();
    type Values = { name: string };
    const refused: Array<[() => Promise<unknown>, string]> = [
      [
        () => c.insert(t.customer, null as unknown as Values),
        "insert into customer: values must be an object of column values, got null",
      ],
      [
        () => c.insert(t.customer, undefined as unknown as Values),
        "insert into customer: values must be an object of column values, got undefined",
      ],
      [
        () => c.insert(t.customer, "Ada" as unknown as Values),
        'insert into customer: values must be an object of column values, got "Ada"',
      ],
      [
        () => c.insert(t.customer, ["Ada"] as unknown as Values),
        "insert into customer: values must be an object of column values, got an array",
      ],
      [
        () => c.update(t.customer, customerId, null as unknown as Values),
        "update of customer: changes must be an object of column values, got null",
      ],
      [
        () => c.update(t.customer, customerId, undefined as unknown as Values),
        "update of customer: changes must be an object of column values, got undefined",
      ],
      [
        () => c.transaction((w) => w.update(t.customer, customerId, 5 as unknown as Values)),
        "update of customer: changes must be an object of column values, got number 5",
      ],
    ];
    for (const [write, message] of refused) {
      await expect(write()).rejects.toMatchObject({ code: "INVALID_WRITE", message });
    }
    expect(await c.events()).toEqual(before);
  });

  it("commits several writes and their events together, or none of them", async () => {
    const c = fixture.device.client;
    await expect(
      c.transaction(async (w) => {
        await w.insert(t.customer, { name: "kept?" });
        await w.insert(t.invoice, { customerId: -77, issuedAt: "x", total: 1 });
      }),
    ).rejects.toMatchObject({ code: "INVALID_WRITE" });
    expect(await c.events()).toEqual([]);
    expect(await fixture.device.rows("SELECT count(*) AS n FROM customer")).toEqual([{ n: 0 }]);
  });

  it("takes a temporary key only once its row is written: a refused insert leaves none taken", async () => {
    const c = fixture.device.client;
    const keys = await c.transaction(async (w) => {
      // @ts-expect-error: a name is a text
      const refused = await w.insert(t.customer, { name: 5 }).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: "INVALID_WRITE" });
      return [await w.insert(t.customer, { name: "Ada" })];
    });
    expect(keys).toEqual([-1]);
    expect(await c.insert(t.customer, { name: "Bob" })).toBe(-2);
  });

  it("runs writes called together one after another, keys and events in call order", async () => {
    const c = fixture.device.client;
    const keys = await c.transaction(async (w) => {
      const customers = await Promise.all(
        ["A", "B", "C"].map((name) => w.insert(t.customer, { name })),
      );
      const invoices = await Promise.all(
        customers.map((customerId) =>
          w.insert(t.invoice, { customerId, issuedAt: "2026-11-26", total: 1 }),
        ),
      );
      return [...customers, ...invoices];
    });
    expect(keys).toEqual([-1, -2, -3, -1, -2, -3]);
    const events = await c.events();
    expect(events.map((e) => [e.table, e.key])).toEqual([
      ["customer", "-1"],
      ["customer", "-2"],
      ["customer", "-3"],
      ["invoice", "-1"],
      ["invoice", "-2"],
      ["invoice", "-3"],
    ]);
    expect(events.slice(3).map((e) => e.data?.customer_id)).toEqual([-1, -2, -3]);
  });
});

describe("local writes after a send", () => {
  it("turns a mapped temporary key given as a foreign key into the server key", async () => {
    const s = await startHttpServer();
    const d = await openTestDevice(s.endpoint);
    try {
      await s.syncBatch("other", "x", [
        { eventId: "1", table: "customer", kind: "INSERT", key: "-1", data: { name: "x" } },
      ]);
      const customerId = await d.client.insert(t.customer, { name: "Ada" });
      await d.client.send();
      await d.client.insert(t.invoice, { customerId, issuedAt: "2026-11-26", total: 1 });
      expect((await d.client.events())[0]?.data).toMatchObject({ customer_id: 2 });
      expect((await d.client.send()).applied).toBe(1);
    } finally {
      await d.close();
      await s.close();
    }
  });

  it("rejects on the device an event larger than the server accepts, and sends the rest", async () => {
    const s = await startHttpServer({ limits: { maxBodyBytes: 64 * 1024 } });
    const d = await openTestDevice(s.endpoint);
    try {
      await d.client.insert(t.customer, { name: "Ada" });
      await d.client.setSendCheckpoint();
      await d.client.insert(t.note, { body: "x".repeat(100 * 1024) });
      await d.client.setSendCheckpoint();
      await d.client.insert(t.customer, { name: "Bob" });
      const report = await d.client.send();
      expect(report).toMatchObject({ applied: 2, rejected: 1 });
      const [rejected] = await d.client.events({ status: "rejected" });
      expect(rejected).toMatchObject({ table: "note", error: { code: "BODY_TOO_LARGE" } });
      await d.client.removeEvent(rejected?.id ?? 0);
      expect(await d.client.events()).toEqual([]);
    } finally {
      await d.close();
      await s.close();
    }
  });
});
