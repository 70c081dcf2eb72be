import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { count, locations, sendFixtures } from "../test-utils/send-fixtures.ts";
import { createNodeFetch, type SendError } from "./index.ts";
import { parseRetryAfter } from "./retry-after.ts";

const fixtures = sendFixtures();
const inner = createNodeFetch();
afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(() => inner.close());

/** The operation a request body posts. */
function kindOf(init: RequestInit | undefined): string {
  const body = init?.body;
  const text = body instanceof Uint8Array ? new TextDecoder().decode(body) : String(body);
  return (JSON.parse(text) as { operationName: string }).operationName;
}

/**
 * A fetch in front of a real sync server that answers the requests `limit` picks (by operation and
 * number among those of that operation, from 1) with HTTP 429, as the server will, and the
 * `Retry-After` value `limit` gives (none for null); the others go through (over the client's own
 * fetch: the global one keeps timers of its own, which the assertions on timers would see).
 */
function rateLimiting(limit: (kind: string, n: number) => string | null | false) {
  const seen: string[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const kind = kindOf(init);
    seen.push(kind);
    const retryAfter = limit(kind, seen.filter((k) => k === kind).length);
    if (retryAfter === false) return inner(input, init);
    const body = {
      errors: [{ message: "too many requests", extensions: { code: "RATE_LIMITED" } }],
    };
    const headers = new Headers({ "content-type": "application/json" });
    if (retryAfter !== null) headers.set("retry-after", retryAfter);
    return new Response(JSON.stringify(body), { status: 429, headers });
  };
  return { fetch, seen, batches: () => seen.filter((k) => k === "SyncBatch").length };
}

/** Timer delays asked for from now on; `onDelay` sees each as it is asked for. */
function watchTimers(onDelay: (ms: number) => void = () => undefined): number[] {
  const delays: number[] = [];
  const real = globalThis.setTimeout;
  vi.spyOn(globalThis, "setTimeout").mockImplementation(((
    callback: () => void,
    ms?: number,
    ...rest: unknown[]
  ) => {
    delays.push(ms ?? 0);
    onDelay(ms ?? 0);
    return real(callback, ms, ...rest);
  }) as typeof setTimeout);
  return delays;
}

async function setup(fetch: typeof globalThis.fetch, retry = { retries: 2, minDelayMs: 5 }) {
  const server = await fixtures.server();
  const device = await fixtures.device(server.endpoint, {
    fetch,
    retry: { ...retry, maxDelayMs: 60_000 },
  });
  await locations(device, 3, 3);
  return { server, device };
}

const pending = (device: Awaited<ReturnType<typeof setup>>["device"]) =>
  count(device.rows, "sync_outbox WHERE kind != 'checkpoint' AND status = 'pending'");

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail("expected a failure"),
    (error: unknown) => error as SendError,
  );

describe("rate limits (HTTP 429)", () => {
  it("waits what Retry-After asks, then sends again, counted as a retry", async () => {
    const limiter = rateLimiting((kind, n) => (kind === "SyncBatch" && n === 1 ? "1" : false));
    const { server, device } = await setup(limiter.fetch);
    const delays = watchTimers();
    const report = await device.client.send();
    expect(report).toMatchObject({ batches: 1, applied: 3, retries: 1 });
    expect(limiter.batches()).toBe(2);
    expect(delays.some((ms) => ms >= 1000)).toBe(true);
    expect(await count(server.rows, "location")).toBe(3);
  });

  it("stops as ABORTED when the send is aborted during the wait, the outbox untouched", async () => {
    const limiter = rateLimiting((kind) => (kind === "SyncBatch" ? "30" : false));
    const { device } = await setup(limiter.fetch);
    const abort = new AbortController();
    watchTimers((ms) => {
      if (ms === 30_000) queueMicrotask(() => abort.abort());
    });
    const failure = await failureOf(device.client.send({ signal: abort.signal }));
    expect(failure.code).toBe("ABORTED");
    expect(limiter.batches()).toBe(1);
    expect(await pending(device)).toBe(3);
  });

  it("stops as ABORTED when the client is closed during the wait", async () => {
    const limiter = rateLimiting((kind) => (kind === "SyncBatch" ? "30" : false));
    const { device } = await setup(limiter.fetch);
    let closed: Promise<void> | undefined;
    watchTimers((ms) => {
      if (ms === 30_000) queueMicrotask(() => (closed = device.client.close()));
    });
    const failure = await failureOf(device.client.send());
    expect(failure).toMatchObject({ code: "ABORTED", message: "the client is closed" });
    await closed;
    expect(limiter.batches()).toBe(1);
  });

  it("backs off as usual without a readable Retry-After; RATE_LIMITED once retries run out", async () => {
    const limiter = rateLimiting((kind, n) =>
      kind === "SyncBatch" ? ([null, "soon", "-1"][n - 1] ?? null) : false,
    );
    const { device } = await setup(limiter.fetch);
    const failure = await failureOf(device.client.send());
    expect(failure).toMatchObject({ code: "RATE_LIMITED", serverCode: "RATE_LIMITED" });
    expect(failure.report).toMatchObject({ retries: 2, batches: 0 });
    expect(limiter.batches()).toBe(3);
    expect(await pending(device)).toBe(3);
  });

  it("retries a rate-limited page of changes in receive()", async () => {
    const limiter = rateLimiting((kind, n) => (kind === "SyncChanges" && n === 1 ? "0" : false));
    const { device } = await setup(limiter.fetch);
    await device.client.send();
    const report = await device.client.receive();
    expect(report.retries).toBe(1);
    expect(limiter.seen.filter((k) => k === "SyncChanges")).toHaveLength(2);
  });

  it("reads Retry-After as delay-seconds or an HTTP date", () => {
    const now = Date.parse("Wed, 21 Oct 2026 07:28:00 GMT");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Wed, 21 Oct 2026 07:28:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 21 Oct 2026 07:27:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("Wednesday, 21-Oct-26 07:28:01 GMT", now)).toBe(1000);
    expect(parseRetryAfter("Wed Oct 21 07:28:02 2026", now)).toBe(2000);
    for (const bad of [null, undefined, "", "-1", "1.5", "soon", "Someday 99"]) {
      expect(parseRetryAfter(bad, now)).toBeUndefined();
    }
  });
});
