import { describe, expect, it } from "vitest";
import { syncedRows } from "../test-utils/compare-databases.ts";
import { faultyFetch } from "../test-utils/faulty-fetch.ts";
import { count, locations, sendFixtures } from "../test-utils/send-fixtures.ts";
import { SendError, SyncClientError } from "./index.ts";

const { setup } = sendFixtures();

describe("send() after failures", () => {
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

  it("throws a SendError carrying the report, with the code, message and server code of what stopped it", async () => {
    let request = 0;
    const refusing: typeof fetch = (input, init) =>
      ++request === 3
        ? Promise.resolve(
            Response.json({ errors: [{ message: "no", extensions: { code: "FORBIDDEN" } }] }),
          )
        : fetch(input, init);
    const { device } = await setup({ fetch: refusing, retry: { retries: 0 } });
    await locations(device, 30, 10);
    const failure = await device.client.send().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SendError);
    expect(failure).toBeInstanceOf(SyncClientError);
    const { name, code, serverCode, message, report } = failure as SendError;
    expect({ name, code, serverCode }).toEqual({
      name: "SendError",
      code: "REQUEST_REFUSED",
      serverCode: "FORBIDDEN",
    });
    expect(message).toMatch(/refused the request: no \(FORBIDDEN\)/);
    // The limits query was request 1; batches 1 and 2 were answered before the refusal.
    expect(report).toMatchObject({ batches: 1, applied: 10, rejected: 0, retries: 0 });
    expect(report.bytesSent).toBeGreaterThan(0);
    expect(Object.isFrozen(report)).toBe(true);
  });

  it("throws a SendError with the report when aborted, and when the device database fails", async () => {
    const { device } = await setup();
    await locations(device, 30, 10);
    const abort = new AbortController();
    const aborted = (await device.client
      .send({ signal: abort.signal, onProgress: () => abort.abort() })
      .catch((error: unknown) => error)) as SendError;
    expect(aborted).toBeInstanceOf(SendError);
    expect(aborted).toMatchObject({ code: "ABORTED", report: { batches: 1, applied: 10 } });
    // The answer that arrived while the abort was under way is applied, and counted.
    const pending = await count(device.rows, "sync_outbox WHERE kind != 'checkpoint'");
    expect(aborted.report.applied).toBe(30 - pending);
    await device.rows(
      "CREATE TRIGGER stuck BEFORE DELETE ON sync_outbox BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
    );
    const broken = (await device.client.send().catch((error: unknown) => error)) as SendError;
    expect(broken).toBeInstanceOf(SendError);
    expect(broken).toMatchObject({ code: "LOCAL_DATABASE", report: { batches: 0 } });
    expect(broken.message).toMatch(/disk on fire/);
  });
});
