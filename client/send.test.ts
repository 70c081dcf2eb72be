import type { AddressInfo } from "node:net";
import { connect, createServer as createTcpServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { syncedRows } from "../test-utils/compare-databases.ts";
import { startFaultProxy } from "../test-utils/fault-proxy.ts";
import { faultyFetch } from "../test-utils/faulty-fetch.ts";
import { type HttpTestServer, startHttpServer } from "../test-utils/http-server.ts";
import { isSyncBatchRequest } from "../test-utils/is-sync-batch-request.ts";
import { openTestDevice, type TestDevice } from "../test-utils/test-device.ts";
import type { SendError } from "./index.ts";

let server: HttpTestServer | undefined;
const devices: TestDevice[] = [];
afterEach(async () => {
  for (const device of devices.splice(0)) await device.close();
  await server?.close();
  server = undefined;
});

async function setup(options: Parameters<typeof openTestDevice>[1] = {}) {
  server = await startHttpServer();
  const device = await openTestDevice(server.endpoint, options);
  devices.push(device);
  return { server, device };
}

/** `count` location fixes, with a checkpoint after every `every`. */
async function locations(device: TestDevice, count: number, every: number, from = 0) {
  await device.client.transaction(async (w) => {
    for (let i = from; i < from + count; i++) {
      await w.insert(t.location, {
        deviceId: "phone",
        latitude: 40 + i / 1e4,
        longitude: -3,
        recordedAt: `t${i}`,
      });
      if ((i + 1) % every === 0) await w.setSendCheckpoint();
    }
  });
}

const count = async (rows: TestDevice["rows"] | HttpTestServer["rows"], table: string) =>
  Number((await rows(`SELECT count(*) AS n FROM ${table}`))[0]?.n);

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

  it("survives a lost answer: the failed send leaves the batch pending, the next one replays it", async () => {
    const faults = faultyFetch((n) => (n === 2 ? "drop-answer" : "ok"));
    const { server, device } = await setup({ fetch: faults.fetch, retry: { retries: 0 } });
    await locations(device, 40, 10);
    const failure = (await device.client.send().catch((e: unknown) => e)) as SendError;
    expect(failure.code).toBe("NETWORK");
    expect(failure.report.batches).toBe(1);
    expect(await count(server.rows, "location")).toBe(20);
    expect(await count(device.rows, "sync_outbox WHERE kind != 'checkpoint'")).toBe(30);
    const report = await device.client.send();
    expect(report).toMatchObject({ batches: 3, replayed: 1, applied: 30 });
    expect(await count(server.rows, "location")).toBe(40);
    expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
  });

  it("retries a lost answer within one send() and replays it", async () => {
    const faults = faultyFetch((n) => (n === 2 ? "drop-answer" : "ok"));
    const { server, device } = await setup({ fetch: faults.fetch });
    await locations(device, 40, 10);
    const report = await device.client.send();
    expect(report).toMatchObject({ batches: 4, retries: 1, replayed: 1, applied: 40 });
    expect(await count(server.rows, "location")).toBe(40);
  });

  it("stops at a connection failure on the 3rd request and resumes there later", async () => {
    let down = false;
    const faults = faultyFetch((n) => {
      if (n === 3) down = true;
      return down ? "refuse" : "ok";
    });
    const { server, device } = await setup({
      fetch: faults.fetch,
      retry: { retries: 1, minDelayMs: 1 },
    });
    await locations(device, 50, 10);
    const failure = (await device.client.send().catch((e: unknown) => e)) as SendError;
    expect(failure.code).toBe("NETWORK");
    expect(failure.report).toMatchObject({ batches: 2, applied: 20, retries: 1 });
    expect(await count(device.rows, "location WHERE id > 0")).toBe(20);
    expect(await count(device.rows, "location WHERE id < 0")).toBe(30);
    expect(await count(server.rows, "location")).toBe(20);
    const pending = await device.client.events({ status: "pending" });
    expect(pending.map((e) => e.key)).toEqual(
      Array.from({ length: 30 }, (_, i) => String(-(i + 21))),
    );
    down = false;
    const report = await device.client.send();
    expect(report).toMatchObject({ batches: 3, applied: 30, replayed: 0 });
    expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
  });

  it("keeps a batch's batch id across an app restart, so the resend is a replay", async () => {
    const faults = faultyFetch((n) => (n === 1 ? "drop-answer" : "ok"));
    const { server, device } = await setup({ fetch: faults.fetch, retry: { retries: 0 } });
    await locations(device, 10, 10);
    await expect(device.client.send()).rejects.toMatchObject({ code: "NETWORK" });
    const inFlight = await device.client.events();
    expect(inFlight.filter((e) => e.inFlight)).toHaveLength(10);
    await device.closeClient();
    const reopened = await device.reopen({ fetch });
    const report = await reopened.send();
    expect(report).toMatchObject({ batches: 1, replayed: 1, applied: 10, mappingsApplied: 10 });
    expect(await count(server.rows, "location")).toBe(10);
    expect(await count(device.rows, "location WHERE id < 0")).toBe(0);
  });

  it("leaves the outbox untouched when the server answers garbage", async () => {
    const faults = faultyFetch((n) => (n === 1 ? "garbage" : "ok"));
    const { server, device } = await setup({ fetch: faults.fetch });
    await locations(device, 5, 5);
    const outbox =
      "SELECT seq, kind, table_name, row_key, operation, status FROM sync_outbox ORDER BY seq";
    const before = await device.rows(outbox);
    const failure = (await device.client.send().catch((e: unknown) => e)) as SendError;
    expect(failure.code).toBe("ANSWER_MISMATCH");
    expect(failure.message).toMatch(/not a GraphQL result/);
    expect(await device.rows(outbox)).toEqual(before);
    // Its batch id was fixed before the first attempt and stays, so the resend is a replay.
    expect((await device.client.events()).every((e) => e.inFlight || e.kind === "checkpoint")).toBe(
      true,
    );
    expect(await count(device.rows, "location WHERE id < 0")).toBe(5);
    // The server did apply it: the next send gets the stored answer.
    const report = await device.client.send();
    expect(report).toMatchObject({ replayed: 1, applied: 5 });
    expect(await count(server.rows, "location")).toBe(5);
  });

  it("posts a batch only after the server committed the one before, retries included", async () => {
    const log: string[] = [];
    let request = 0;
    const ordered: typeof fetch = async (input, init) => {
      if (!isSyncBatchRequest(init)) return fetch(input, init);
      const n = ++request;
      const batch = /"batchId":"([^"]+)"/.exec(new TextDecoder().decode(init?.body as Uint8Array));
      log.push(`post ${batch?.[1]}`);
      // The 3rd request never reaches the server and is retried.
      if (n === 3) throw new TypeError("fetch failed: connection refused (injected)");
      const response = await fetch(input, init);
      const text = await response.text();
      log.push(`answer ${batch?.[1]}`);
      return new Response(text, { status: response.status, headers: response.headers });
    };
    const { server, device } = await setup({
      fetch: ordered,
      retry: { retries: 2, minDelayMs: 1 },
    });
    await locations(device, 50, 10);
    const report = await device.client.send();
    expect(report).toMatchObject({ batches: 5, applied: 50, retries: 1 });
    // Every post but a retry follows the answer to the post before it.
    const batches = log.filter((line) => line.startsWith("post")).map((line) => line.slice(5));
    expect(new Set(batches).size).toBe(5);
    const expected: string[] = [];
    for (const [i, batch] of batches.entries()) {
      if (batches[i - 1] === batch) continue;
      expected.push(`post ${batch}`);
      if (batches[i + 1] === batch) expected.push(`post ${batch}`);
      expected.push(`answer ${batch}`);
    }
    expect(log).toEqual(expected);
    expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
  });

  it("recovers when a committed answer breaks off after the next batch went out", async () => {
    const faults = faultyFetch((n) => (n === 1 ? "truncated" : "ok"));
    const { server, device } = await setup({ fetch: faults.fetch, retry: { retries: 0 } });
    await locations(device, 30, 10);
    const failure = (await device.client.send().catch((e: unknown) => e)) as SendError;
    expect(failure.code).toBe("ANSWER_MISMATCH");
    expect(failure.report.batches).toBe(0);
    // The answer began as a commit, so the second batch was already on its way, in order; the
    // failed send cancelled it, before or after the server applied it.
    expect(faults.requests).toBe(2);
    const applied = await count(server.rows, "location");
    expect([10, 20]).toContain(applied);
    expect(await count(device.rows, "location WHERE id < 0")).toBe(30);
    const report = await device.client.send();
    expect(report).toMatchObject({ batches: 3, applied: 30 });
    // The server finishes a request whose client went away: the second batch may commit after the
    // failed send returned, and then comes back replayed too.
    expect([applied / 10, 2]).toContain(report.replayed);
    expect(await count(server.rows, "location")).toBe(30);
    expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
  });

  it.each([
    ["the client's own fetch", undefined],
    ["the global fetch", globalThis.fetch],
  ])("retries an answer cut in its body after the commit showed, with %s", async (_name, fetch) => {
    const target = await startHttpServer();
    server = target;
    const proxy = await startFaultProxy(target.endpoint, (n) =>
      n === 1 ? "cut-answer" : "forward",
    );
    try {
      const device = await openTestDevice(proxy.endpoint, {
        ...(fetch ? { fetch } : {}),
        retry: { retries: 2, minDelayMs: 5, maxDelayMs: 10 },
      });
      devices.push(device);
      await locations(device, 30, 10);
      const report = await device.client.send();
      expect(proxy.counts["cut-answer"]).toBe(1);
      expect(report).toMatchObject({ batches: 3, applied: 30, retries: 1, replayed: 1 });
      expect(await count(target.rows, "location")).toBe(30);
      expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => target.rows(sql)));
    } finally {
      await proxy.close();
    }
  });

  it.each([
    ["the client's own fetch", undefined],
    ["the global fetch", globalThis.fetch],
  ])("takes answers whose reason phrase is not Latin-1, with %s", async (_name, fetch) => {
    const target = await startHttpServer();
    server = target;
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
      const device = await openTestDevice(
        `http://127.0.0.1:${port}/graphql`,
        fetch ? { fetch } : {},
      );
      devices.push(device);
      await locations(device, 20, 10);
      expect(await device.client.send()).toMatchObject({ batches: 2, applied: 20, retries: 0 });
      expect(await count(target.rows, "location")).toBe(20);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
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

  it("cuts a batch the server finds too large and sends it in smaller batches", async () => {
    server = await startHttpServer({ limits: { maxOperationsPerRequest: 30 } });
    const device = await openTestDevice(server.endpoint, { maxOperationsPerRequest: 100 });
    devices.push(device);
    await locations(device, 100, 1000);
    const progress: Array<Record<string, number>> = [];
    const report = await device.client.send({ onProgress: (p) => progress.push({ ...p }) });
    expect(report.applied).toBe(100);
    expect(report.batches).toBe(4);
    expect(await count(server.rows, "location")).toBe(100);
    // The totals follow the cut: progress never runs past them, and ends on them.
    expect(
      progress.map((p) => [p.batchesDone, p.batchesTotal, p.operationsDone, p.operationsTotal]),
    ).toEqual([
      [1, 4, 30, 100],
      [2, 4, 60, 100],
      [3, 4, 90, 100],
      [4, 4, 100, 100],
    ]);
  });

  it("stops as an abort when the onProgress callback throws, with the answer applied and no retry counted", async () => {
    const { server, device } = await setup();
    await locations(device, 30, 10);
    const failure = await device.client
      .send({
        onProgress: () => {
          throw new Error("UI crashed");
        },
      })
      .catch(
        (error: unknown) =>
          error as { code: string; message: string; report: { retries: number; applied: number } },
      );
    expect(failure).toMatchObject({
      code: "ABORTED",
      message: "send() stopped: the onProgress callback threw: UI crashed",
      report: { retries: 0, applied: 10 },
    });
    expect(await device.client.send()).toMatchObject({ applied: 20, replayed: 1 });
    expect(await count(server.rows, "location")).toBe(30);
  });

  it("resends open batches in the order they were posted: a committed one is never cut and sent anew", async () => {
    server = await startHttpServer({ limits: { maxOperationsPerRequest: 2 } });
    const spoiled = new Set([1, 2, 3]);
    let loseAnswer = false;
    /** Batch ids that applied each event. */
    const appliedBy = new Map<number, Set<string>>();
    // Spoils the events in `spoiled` (an unknown column, so the server rejects them), records what
    // each answer applied, and loses an answer after the server committed it when told to.
    const fetchWith: typeof fetch = async (input, init) => {
      if (!isSyncBatchRequest(init)) return fetch(input, init);
      const body = init?.body;
      const request = JSON.parse(
        typeof body === "string" ? body : Buffer.from(body as Uint8Array).toString(),
      );
      const { batchId, operations } = request.variables.input;
      for (const operation of operations) {
        if (spoiled.has(Number(operation.eventId)))
          operation.data = { ...operation.data, spoiled: 1 };
      }
      const response = await fetch(input, { ...init, body: JSON.stringify(request) });
      const text = await response.text();
      for (const result of JSON.parse(text).data?.syncBatch?.results ?? []) {
        if (result.status !== "APPLIED") continue;
        const id = Number(result.eventId);
        appliedBy.set(id, new Set([...(appliedBy.get(id) ?? []), batchId]));
      }
      if (loseAnswer) {
        loseAnswer = false;
        throw new TypeError("fetch failed: connection reset (test)");
      }
      return new Response(text, { status: response.status, headers: response.headers });
    };
    const device = await openTestDevice(server.endpoint, {
      fetch: fetchWith,
      maxOperationsPerRequest: 10,
      retry: { retries: 0 },
    });
    devices.push(device);
    const note = (body: string) => device.client.insert(t.note, { customerId: null, body });
    for (const body of ["n1", "n2", "n3", "n4"]) await note(body);
    await device.client.send();
    expect((await device.client.events({ status: "rejected" })).map((e) => e.id)).toEqual([
      1, 2, 3,
    ]);
    // The batch of events 5 and 6 commits on the server; its answer is lost.
    await note("n5");
    await note("n6");
    loseAnswer = true;
    await expect(device.client.send()).rejects.toMatchObject({ code: "NETWORK" });
    // The app fixes 1-3 and puts them back. The next send replays 5-6 and forms the batch of 1-3
    // ahead of it (below it by seq); that answer is lost too, so both batches stay open.
    spoiled.clear();
    for (const id of [1, 2, 3]) await device.client.retryEvent(id);
    loseAnswer = true;
    await expect(device.client.send()).rejects.toMatchObject({ code: "NETWORK" });
    // Now 5-6 must go first (a replay), then 1-3, too large for the server, in smaller batches.
    await device.client.send();
    const twice = [...appliedBy].filter(([, batches]) => batches.size > 1).map(([id]) => id);
    expect(twice).toEqual([]);
    expect([...appliedBy.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await device.client.events()).toEqual([]);
    expect((await server.rows("SELECT body FROM note ORDER BY body")).map((r) => r.body)).toEqual([
      "n1",
      "n2",
      "n3",
      "n4",
      "n5",
      "n6",
    ]);
  });

  it("runs two clients at once, and one client's two concurrent sends one after the other", async () => {
    const { server, device } = await setup({ maxOperationsPerRequest: 50 });
    const second = await openTestDevice(server.endpoint, { maxOperationsPerRequest: 50 });
    devices.push(second);
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
});
