import type { AddressInfo } from "node:net";
import { connect, createServer as createTcpServer } from "node:net";
import { describe, expect, it } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { syncedRows } from "../test-utils/compare-databases.ts";
import { isSyncBatchRequest } from "../test-utils/is-sync-batch-request.ts";
import { count, locations, sendFixtures } from "../test-utils/send-fixtures.ts";

const fixtures = sendFixtures();
const { setup } = fixtures;

describe("send()", () => {
  it("syncs 5,000 events over three tables with a checkpoint every 7: both databases equal row for row", async () => {
    const { server, device } = await setup({ maxOperationsPerRequest: 100 });
    await device.client.transaction(async (w) => {
      let events = 0;
      const step = async () => {
        events += 1;
        if (events % 7 === 0) await w.setSendCheckpoint();
      };
      while (events < 5000) {
        const customerId = await w.insert(t.customer, { name: `customer ${events}` });
        await step();
        for (let i = 0; i < 2 && events < 5000; i++) {
          const invoiceId = await w.insert(t.invoice, {
            customerId,
            issuedAt: "2026-11-26",
            total: 0,
          });
          await step();
          for (let j = 0; j < 2 && events < 5000; j++) {
            await w.insert(t.invoiceLine, {
              invoiceId,
              product: `p${j}`,
              quantity: j + 1,
              price: 2.5,
            });
            await step();
          }
          if (events < 5000) {
            await w.update(t.invoice, invoiceId, { total: 7.5 });
            await step();
          }
        }
      }
    });
    expect((await device.client.events({ status: "pending", limit: 10_000 })).length).toBe(5000);
    const report = await device.client.send();
    expect(report.applied).toBe(5000);
    expect(report.rejected).toBe(0);
    expect(report.batches).toBe(Math.ceil(5000 / 7));
    const serverRows = await syncedRows((sql) => server.rows(sql));
    expect(await syncedRows(device.rows)).toEqual(serverRows);
    expect(serverRows.invoice_line?.length).toBeGreaterThan(1000);
    expect(await device.client.events()).toEqual([]);
  });

  it("carries text that JSON escapes (quotes, backslashes, controls, non-ASCII) byte for byte", async () => {
    const { server, device } = await setup();
    const names = [
      'say "hi"',
      "back\\slash \\u0000 not an escape",
      "tab\tnew\nline\u0001",
      "Grüße, 東京, 🚀",
      '"raw-json-00000000-0000-0000-0000-000000000000-0"',
      "",
    ];
    for (const name of names) await device.client.insert(t.customer, { name, email: `${name}@x` });
    await device.client.send();
    const rows = await server.rows("SELECT name, email FROM customer ORDER BY id");
    expect(rows.map((row) => [row.name, row.email])).toEqual(names.map((n) => [n, `${n}@x`]));
  });

  it("rewrites a rejected event with the mappings that came while it was in flight", async () => {
    const { server, device } = await setup({ maxOperationsPerRequest: 1 });
    await server.rows(
      "CREATE TRIGGER refuse_invoice BEFORE INSERT ON invoice BEGIN SELECT RAISE(ABORT, 'invoices are closed'); END",
    );
    let customerId = 0;
    await device.client.transaction(async (w) => {
      customerId = await w.insert(t.customer, { name: "Ada" });
      await w.insert(t.invoice, { customerId, issuedAt: "2026-11-26", total: 10 });
    });
    expect(customerId).toBeLessThan(0);
    expect(await device.client.send()).toMatchObject({ batches: 2, applied: 1, rejected: 1 });
    // The invoice was in flight, unchanged, when the customer's mapping came; rejected, it waits
    // again and names the customer by its server key.
    const [rejected] = await device.client.events({ status: "rejected" });
    const [customer] = await server.rows("SELECT id FROM customer");
    expect(rejected?.error?.code).toBe("CONSTRAINT_VIOLATION");
    expect(rejected?.data).toMatchObject({ customer_id: Number(customer?.id) });
    await server.rows("DROP TRIGGER refuse_invoice");
    await device.client.retryEvent(rejected?.id ?? 0);
    expect(await device.client.send()).toMatchObject({ applied: 1, rejected: 0 });
    expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
  });

  it("applies mappings broken into many runs by rejections: rows, foreign keys, waiting events", async () => {
    const bodies: string[] = [];
    const recording: typeof fetch = (input, init) => {
      if (isSyncBatchRequest(init)) bodies.push(new TextDecoder().decode(init?.body as Uint8Array));
      return fetch(input, init);
    };
    const { server, device } = await setup({ fetch: recording });
    await server.rows(
      "CREATE TRIGGER refuse_bad BEFORE INSERT ON customer WHEN NEW.name LIKE 'bad%' BEGIN SELECT RAISE(ABORT, 'bad customer'); END",
    );
    const good: number[] = [];
    await device.client.transaction(async (w) => {
      // Every other customer is refused, so the 10 mappings are 10 runs of one key.
      for (let i = 0; i < 20; i++) {
        const id = await w.insert(t.customer, { name: `${i % 2 ? "bad" : "good"} ${i}` });
        if (i % 2 === 0) good.push(id);
      }
      await w.setSendCheckpoint();
      for (const customerId of good) {
        await w.insert(t.invoice, { customerId, issuedAt: "2026-11-26", total: 1 });
      }
      await w.setSendCheckpoint();
      for (const id of good) await w.update(t.customer, id, { email: `${id}@x` });
    });
    const report = await device.client.send();
    expect(report).toMatchObject({ batches: 3, applied: 30, rejected: 10, mappingsApplied: 20 });
    const customers = "SELECT id, name, email FROM customer WHERE id > 0 ORDER BY id";
    const onServer = await server.rows(customers);
    expect(onServer).toHaveLength(10);
    expect(await device.rows(customers)).toEqual(onServer.map((row) => ({ ...row })));
    expect(onServer.map((row) => row.email)).toEqual(good.map((id) => `${id}@x`));
    // The updates waited while the keys were mapped: they went out with the server keys.
    const updates = JSON.parse(bodies[2] ?? "{}").variables.input.operations as Array<{
      key: string;
    }>;
    expect(updates.map((op) => Number(op.key))).toEqual(onServer.map((row) => row.id));
    const invoices = "SELECT id, customer_id FROM invoice ORDER BY id";
    expect(await device.rows(invoices)).toEqual(
      (await server.rows(invoices)).map((row) => ({ ...row })),
    );
    expect(await count(device.rows, "customer WHERE id < 0")).toBe(10);
  });

  it("runs two clients at once, and one client's two concurrent sends one after the other", async () => {
    const { server, device } = await setup({ maxOperationsPerRequest: 50 });
    const second = await fixtures.device(server.endpoint, { maxOperationsPerRequest: 50 });
    await locations(device, 500, 100);
    await locations(second, 500, 100);
    const [a, b, c] = await Promise.all([
      device.client.send(),
      device.client.send(),
      second.client.send(),
    ]);
    expect((a?.applied ?? 0) + (b?.applied ?? 0)).toBe(500);
    expect(c?.applied).toBe(500);
    expect(b?.replayed).toBe(0);
    expect(await count(server.rows, "location")).toBe(1000);
    const [mapped] = await server.rows(
      "SELECT sum(first_client - last_client + 1) AS n FROM sync_key_run",
    );
    expect(Number(mapped?.n)).toBe(1000);
  });

  it("captures writes made while send() runs and sends them in the next call", async () => {
    const { server, device } = await setup({ maxOperationsPerRequest: 10 });
    await locations(device, 100, 10);
    let written = 0;
    const report = await device.client.send({
      onProgress: () => {
        void locations(device, 1, 1, 1000 + written++);
      },
    });
    expect(report.applied).toBe(100);
    await device.client.transaction(async () => undefined); // waits for the writes queued meanwhile
    expect(written).toBe(10);
    const next = await device.client.send();
    expect(next.applied).toBe(10);
    expect(await count(server.rows, "location")).toBe(110);
    expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
  });

  it.each([
    ["the client's own fetch", undefined],
    ["the global fetch", globalThis.fetch],
  ])("takes answers whose reason phrase is not Latin-1, with %s", async (_name, fetch) => {
    const target = await fixtures.server();
    const upstream = new URL(target.endpoint);
    // Rewrites "200 OK" into "200 OK ✓" in UTF-8, as some proxies and servers phrase it.
    const sockets = new Set<{ destroy(): void }>();
    const proxy = createTcpServer((socket) => {
      const up = connect(Number(upstream.port), upstream.hostname);
      sockets.add(socket).add(up);
      socket.pipe(up);
      up.on("data", (chunk: Buffer) => {
        const text = chunk
          .toString("latin1")
          .replaceAll(" 200 OK\r\n", " 200 OK \u00e2\u009c\u0093\r\n");
        socket.write(Buffer.from(text, "latin1"));
      });
      up.on("end", () => socket.end());
      up.on("error", () => socket.destroy());
      socket.on("error", () => up.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = proxy.address() as AddressInfo;
      const device = await fixtures.device(
        `http://127.0.0.1:${port}/graphql`,
        fetch ? { fetch } : {},
      );
      await locations(device, 20, 10);
      expect(await device.client.send()).toMatchObject({ batches: 2, applied: 20, retries: 0 });
      expect(await count(target.rows, "location")).toBe(20);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
