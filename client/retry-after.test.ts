import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { count, locations, sendFixtures } from "../test-utils/send-fixtures.ts";
import { createNodeFetch, type ReceiveError, type SendError } from "./index.ts";
import { resolveOptions } from "./resolve-options.ts";
import { longestRetryAfterMs, parseRetryAfter } from "./retry-after.ts";

// A rate-limited request is never retried before its Retry-After has passed (SYNC.md, "Identity
// and ownership" 4): a wait the caller allows is waited out, a longer one fails the call at once
// with the wait in its error. Against a real server whose rate-limit clock is the test's, and the
// client's Retry-After waits (`pause`) made on that clock: a retry that came too early is refused
// again, and no assertion rests on real time.

const clock = { at: 1_800_000_000_000 };
/** The Retry-After waits the client made, in ms. */
const waits: number[] = [];

vi.mock("./retry-after.ts", async (importOriginal) => {
  const actual = await importOriginal<typeof import("./retry-after.ts")>();
  return {
    ...actual,
    // The wait passes on the server's clock, at once.
    pause: async (ms: number) => {
      waits.push(ms);
      clock.at += ms;
    },
  };
});

const fixtures = sendFixtures();
const inner = createNodeFetch();
afterEach(() => {
  waits.length = 0;
});
afterAll(() => inner.close());

/** The client's own fetch, counting the answers by operation and HTTP status. */
function tap() {
  const seen: string[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const body = init?.body;
    const text = body instanceof Uint8Array ? new TextDecoder().decode(body) : String(body);
    const kind = (JSON.parse(text) as { operationName: string }).operationName;
    const response = await inner(input, init);
    seen.push(`${kind} ${response.status}`);
    return response;
  };
  return { fetch, seen };
}

/**
 * A server that takes one request per `perSeconds` from a client, and a device on it (three
 * locations to send) that has spent its request on a first send.
 */
async function limited(
  perSeconds: number,
  retry: { retries?: number; maxRetryAfterMs?: number } = {},
) {
  const server = await fixtures.server({
    rateLimits: { perClient: { requests: 1, perSeconds }, now: () => clock.at },
  });
  const requests = tap();
  const device = await fixtures.device(server.endpoint, {
    fetch: requests.fetch,
    retry: { retries: 2, minDelayMs: 5, maxDelayMs: 20, ...retry },
  });
  await locations(device, 1, 1);
  await device.client.send();
  await locations(device, 3, 3, 3);
  requests.seen.length = 0;
  return { server, device, seen: requests.seen };
}

const failureOf = <E>(promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail("expected a failure"),
    (error: unknown) => error as E,
  );

describe("Retry-After (HTTP 429)", () => {
  it("waits a Retry-After the caller allows, then its retry is taken", async () => {
    const { server, device, seen } = await limited(3, { maxRetryAfterMs: 5000 });
    const report = await device.client.send();
    expect(report).toMatchObject({ batches: 1, applied: 3, retries: 1 });
    expect(waits).toEqual([3000]);
    expect(seen.filter((s) => s.startsWith("SyncBatch"))).toEqual([
      "SyncBatch 429",
      "SyncBatch 200",
    ]);
    expect(await count(server.rows, "location")).toBe(4);
  });

  it("waits it out even when it is longer than maxDelayMs, if maxRetryAfterMs allows", async () => {
    // The old behaviour cut the wait to maxDelayMs (20 ms here): its retry was refused again.
    const { device, seen } = await limited(3, { maxRetryAfterMs: 3000 });
    await expect(device.client.send()).resolves.toMatchObject({ applied: 3, retries: 1 });
    expect(seen.filter((s) => s.startsWith("SyncBatch 429"))).toHaveLength(1);
  });

  it("fails send() at once when the wait is longer than maxRetryAfterMs, saying when", async () => {
    const { server, device, seen } = await limited(120);
    const before = Date.now();
    const failure = await failureOf<SendError>(device.client.send());
    expect(failure).toMatchObject({
      name: "SendError",
      code: "RATE_LIMITED",
      serverCode: "RATE_LIMITED",
      retryAfterMs: 120_000,
      report: { batches: 0, applied: 0, retries: 0 },
    });
    expect(failure.message).toMatch(/asks to wait 120 s, longer than retry.maxRetryAfterMs/);
    expect(failure.retryAt).toBeGreaterThanOrEqual(before + 120_000);
    expect(failure.retryAt).toBeLessThanOrEqual(Date.now() + 120_000);
    expect(waits).toEqual([]);
    expect(seen.filter((s) => s.startsWith("SyncBatch"))).toEqual(["SyncBatch 429"]);
    expect(await count(device.rows, "sync_outbox WHERE status = 'pending'")).toBe(4);
    // Once that time has passed, the same batch goes through.
    clock.at += 120_000;
    await expect(device.client.send()).resolves.toMatchObject({ applied: 3, retries: 0 });
    expect(await count(server.rows, "location")).toBe(4);
  });

  it("fails receive() at once the same way, with its report", async () => {
    const { device } = await limited(120);
    const failure = await failureOf<ReceiveError>(device.client.receive());
    expect(failure).toMatchObject({
      name: "ReceiveError",
      code: "RATE_LIMITED",
      retryAfterMs: 120_000,
      report: { pages: 0, retries: 0 },
    });
    expect(failure.retryAt).toBeGreaterThan(Date.now());
  });

  it("keeps the wait in the error when retries run out", async () => {
    const { device } = await limited(3, { retries: 0, maxRetryAfterMs: 5000 });
    const failure = await failureOf<SendError>(device.client.send());
    expect(failure).toMatchObject({ code: "RATE_LIMITED", retryAfterMs: 3000 });
    expect(failure.retryAt).toBeGreaterThan(Date.now());
    expect(waits).toEqual([]);
  });
});

describe("Retry-After values", () => {
  it("reads a wait longer than a day as a day, and a bad value as none", () => {
    const now = Date.parse("Wed, 21 Oct 2026 07:28:00 GMT");
    expect(parseRetryAfter("86400", now)).toBe(longestRetryAfterMs);
    expect(parseRetryAfter("86401", now)).toBe(longestRetryAfterMs);
    expect(parseRetryAfter("9".repeat(400), now)).toBe(longestRetryAfterMs);
    expect(parseRetryAfter("Fri, 21 Oct 2126 07:28:00 GMT", now)).toBe(longestRetryAfterMs);
    expect(parseRetryAfter("007", now)).toBe(7000);
    for (const bad of ["-5", "+5", "5 s", "0x10", "1e3", "NaN", "Infinity", "5, 7"]) {
      expect(parseRetryAfter(bad, now)).toBeUndefined();
    }
  });

  it("defaults maxRetryAfterMs to maxDelayMs", () => {
    const base = { database: "file:x.db", endpoint: "http://h/graphql" };
    expect(resolveOptions(base).retry.maxRetryAfterMs).toBe(10_000);
    expect(resolveOptions({ ...base, retry: { maxDelayMs: 500 } }).retry.maxRetryAfterMs).toBe(500);
    const own = resolveOptions({ ...base, retry: { maxRetryAfterMs: 0 } });
    expect(own.retry).toMatchObject({ maxDelayMs: 10_000, maxRetryAfterMs: 0 });
  });
});
