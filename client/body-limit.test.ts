import { afterEach, describe, expect, it } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { type HttpTestServer, startHttpServer } from "../test-utils/http-server.ts";
import { bodyBytes, isSyncBatchRequest } from "../test-utils/is-sync-batch-request.ts";
import { openTestDevice, type TestDevice } from "../test-utils/test-device.ts";

const servers: HttpTestServer[] = [];
const devices: TestDevice[] = [];
afterEach(async () => {
  for (const device of devices.splice(0)) await device.close();
  for (const server of servers.splice(0)) await server.close();
});

/**
 * A fetch that records the size of each syncBatch body and the status of its answer. `limits`
 * changes the answers to the `syncLimits` query: "hide" fails them (HTTP 500); a number is the
 * `maxBodyBytes` the first one claims. A body over `refuseOver` bytes gets the server's 413
 * here, unsent (the server answers it before reading the body, and a fetch still sending it
 * may see the connection reset instead).
 */
function recordingFetch(limits?: "hide" | number, refuseOver = Number.POSITIVE_INFINITY) {
  const posts: Array<{ bytes: number; status: number }> = [];
  let limitQueries = 0;
  const recording: typeof fetch = async (input, init) => {
    if (!isSyncBatchRequest(init)) {
      limitQueries += 1;
      if (limits === "hide") return new Response("no limits here", { status: 500 });
      if (typeof limits === "number" && limitQueries === 1) {
        const syncLimits = { maxOperationsPerRequest: 10_000, maxBodyBytes: limits };
        return Response.json({ data: { syncLimits } });
      }
      return fetch(input, init);
    }
    const bytes = bodyBytes(init);
    const response =
      bytes > refuseOver
        ? Response.json(
            { errors: [{ message: "too large", extensions: { code: "BODY_TOO_LARGE" } }] },
            { status: 413 },
          )
        : await fetch(input, init);
    posts.push({ bytes, status: response.status });
    return response;
  };
  return {
    fetch: recording,
    posts,
    get limitQueries() {
      return limitQueries;
    },
  };
}

async function setup(
  serverLimits: { maxBodyBytes?: number },
  options: Parameters<typeof openTestDevice>[1] = {},
) {
  const server = await startHttpServer({ limits: serverLimits });
  servers.push(server);
  const device = await openTestDevice(server.endpoint, options);
  devices.push(device);
  return { server, device };
}

/** Ada, a checkpoint, a note of `bodyLength` characters, a checkpoint, Bob. */
async function bigNoteBetweenCustomers(device: TestDevice, bodyLength: number) {
  await device.client.insert(t.customer, { name: "Ada" });
  await device.client.setSendCheckpoint();
  await device.client.insert(t.note, { body: "x".repeat(bodyLength) });
  await device.client.setSendCheckpoint();
  await device.client.insert(t.customer, { name: "Bob" });
}

/** `count` notes of 1,000 characters with keys the test chooses, so bodies are alike across devices. */
async function notes(device: TestDevice, count: number, length = 1000) {
  await device.client.transaction(async (w) => {
    for (let i = 0; i < count; i++) {
      await w.insert(t.note, { id: `note-${i}`, customerId: null, body: "n".repeat(length) });
    }
  });
}

describe("the server's maxBodyBytes, read ahead", () => {
  it("rejects a 20 MB event on the device without uploading it (server limit 16 MiB), retried too", async () => {
    const recorded = recordingFetch();
    const { server, device } = await setup({}, { fetch: recorded.fetch });
    await bigNoteBetweenCustomers(device, 20_000_000);
    const report = await device.client.send();
    expect(report).toMatchObject({ applied: 2, rejected: 1 });
    expect(report.bytesSent).toBeLessThan(10_000);
    expect(recorded.posts.map((post) => post.status)).toEqual([200, 200]);
    const [rejected] = await device.client.events({ status: "rejected" });
    expect(rejected).toMatchObject({ table: "note", error: { code: "BODY_TOO_LARGE" } });
    expect(rejected?.error?.message).toMatch(
      /^the request of this event alone would be 200\d{5} bytes, larger than the server's limit of 16777216 bytes \(maxBodyBytes\); it was not sent$/,
    );
    expect(await server.rows("SELECT count(*) AS n FROM note")).toEqual([{ n: 0 }]);
    // Put back as it is, it is checked again before anything is sent.
    await device.client.retryEvent(rejected?.id ?? 0);
    expect(await device.client.send()).toMatchObject({ applied: 0, rejected: 1, batches: 0 });
    expect(recorded.posts).toHaveLength(2);
  });

  it("cuts a segment so that each request body fits, measured exactly as it is sent", async () => {
    const clientId = "body-fit-device";
    const measured = recordingFetch();
    const first = await setup({}, { clientId, fetch: measured.fetch });
    await notes(first.device, 10);
    expect(await first.device.client.send()).toMatchObject({ batches: 1, applied: 10 });
    const [size = 0] = measured.posts.map((post) => post.bytes);
    // A limit of exactly the body's size takes it whole; one byte less cuts it, before posting.
    for (const [limit, batches] of [
      [size, [size]],
      [size - 1, [expect.any(Number), expect.any(Number)]],
    ] as const) {
      const recorded = recordingFetch();
      const { server, device } = await setup(
        { maxBodyBytes: limit },
        { clientId, fetch: recorded.fetch },
      );
      await notes(device, 10);
      expect(await device.client.send()).toMatchObject({ applied: 10, rejected: 0 });
      expect(recorded.posts.map((post) => post.bytes)).toEqual(batches);
      expect(recorded.posts.every((post) => post.status === 200 && post.bytes <= limit)).toBe(true);
      expect(await server.rows("SELECT count(*) AS n FROM note")).toEqual([{ n: 10 }]);
    }
  });

  it("still cuts on the server's 413 when it does not tell its limits", async () => {
    const recorded = recordingFetch("hide", 64 * 1024);
    const { device } = await setup({ maxBodyBytes: 64 * 1024 }, { fetch: recorded.fetch });
    await bigNoteBetweenCustomers(device, 100 * 1024);
    expect(await device.client.send()).toMatchObject({ applied: 2, rejected: 1 });
    expect(recorded.posts.map((post) => post.status)).toEqual([200, 413, 200]);
    const [rejected] = await device.client.events({ status: "rejected" });
    expect(rejected).toMatchObject({ table: "note", error: { code: "BODY_TOO_LARGE" } });
  });

  it("reads the limits again after a 413 and cuts what is left to fit them", async () => {
    // The first answer claims 16 MiB; the server reads 64 KiB.
    const recorded = recordingFetch(16 * 1024 * 1024, 64 * 1024);
    const { server, device } = await setup({ maxBodyBytes: 64 * 1024 }, { fetch: recorded.fetch });
    await notes(device, 20, 10 * 1024);
    expect(await device.client.send()).toMatchObject({ applied: 20, rejected: 0 });
    expect(recorded.limitQueries).toBe(2);
    const statuses = recorded.posts.map((post) => post.status);
    expect(statuses[0]).toBe(413);
    expect(statuses.slice(1).every((status) => status === 200)).toBe(true);
    expect(recorded.posts.slice(1).every((post) => post.bytes <= 64 * 1024)).toBe(true);
    expect(await server.rows("SELECT count(*) AS n FROM note")).toEqual([{ n: 20 }]);
  });
});
