import { SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { insert } from "../test-utils/operations.ts";
import { syncChangesDocument } from "../test-utils/receive.ts";
import {
  startTestServer,
  syncBatchDocument,
  type TestServer,
  type TestServerOptions,
} from "../test-utils/test-server.ts";
import { rateLimitFromEnv } from "./rate-limits.ts";
import type { SyncStore } from "./store/sync-store.ts";
import { commitHeader } from "./use-commit-signal.ts";

// Rate limits (SYNC.md, "Identity and ownership" 4): per clientId and per subject, kept in the
// store so that every server process shares them; over the limit, HTTP 429 RATE_LIMITED with
// Retry-After, and nothing written. The clock is the test's: no assertion rests on timing.

const secret = "a-test-secret-of-at-least-32-characters!";
const minute = { requests: 3, perSeconds: 60 };

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0).reverse()) await server.close();
});

/** A clock the test moves by hand, in Unix milliseconds. */
function testClock(start = 1_800_000_000_000) {
  let at = start;
  return {
    now: () => at,
    advance(seconds: number) {
      at += seconds * 1000;
    },
  };
}

async function start(options: TestServerOptions): Promise<TestServer> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

async function token(sub: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(secret));
}

interface Answer {
  status: number;
  retryAfter: string | null;
  committed: string | null;
  code: unknown;
  message: unknown;
  data: unknown;
}

/** Posts one request through the server's own fetch, keeping the headers the test looks at. */
async function post(
  server: TestServer,
  query: string,
  input: Record<string, unknown>,
  sub?: string,
): Promise<Answer> {
  const response = await server.sync.yoga.fetch("http://127.0.0.1/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(sub === undefined ? {} : { authorization: `Bearer ${await token(sub)}` }),
    },
    body: JSON.stringify({ query, variables: { input } }),
  });
  const json = (await response.json()) as {
    data?: unknown;
    errors?: Array<{ message: string; extensions?: { code?: string } }>;
  };
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    committed: response.headers.get(commitHeader),
    code: json.errors?.[0]?.extensions?.code ?? null,
    message: json.errors?.[0]?.message ?? null,
    data: json.data ?? null,
  };
}

/** Every INSERT its own temporary key (one reused by a client is the same row). */
let tempKey = 0;
/** The batches sent, by clientId and batchId: sending one again is a replay. */
const sent = new Map<string, Record<string, unknown>>();
function batch(server: TestServer, clientId: string, batchId: string, sub?: string) {
  const id = JSON.stringify([clientId, batchId]);
  const input = sent.get(id) ?? {
    clientId,
    batchId,
    batchSeq: server.batchSeq(clientId, batchId),
    operations: [insert("customer", --tempKey, { name: `${clientId} ${batchId}` })],
  };
  sent.set(id, input);
  return post(server, syncBatchDocument, input, sub);
}
const changes = (server: TestServer, clientId: string, sub?: string) =>
  post(server, syncChangesDocument, { clientId }, sub);

/** `[status, code, Retry-After]` of an answer. */
const verdict = (answer: Answer) => [answer.status, answer.code, answer.retryAfter];
const allowed = [200, null, null];
const limited = (seconds: number) => [429, "RATE_LIMITED", String(seconds)];

const count = async (server: TestServer, table: string) =>
  Number((await server.rows(`SELECT count(*) AS n FROM ${table}`))[0]?.n);

describe("rate limits per clientId", () => {
  it("answers 429 RATE_LIMITED with Retry-After over the limit, writes nothing, and lets other clients on", async () => {
    const clock = testClock();
    const s = await start({ rateLimits: { perClient: minute, now: clock.now } });
    for (const id of ["b1", "b2", "b3"])
      expect(verdict(await batch(s, "ada", id))).toEqual(allowed);
    // A replay costs a request too (answered once the bucket has one again, 20 s later).
    clock.advance(20);
    const replay = await batch(s, "ada", "b1");
    expect([...verdict(replay), replay.data]).toEqual([
      ...allowed,
      { syncBatch: expect.objectContaining({ replayed: true }) },
    ]);
    const before = [await count(s, "customer"), await count(s, "sync_batch")];

    // Three per minute: the fourth waits one interval, 20 s.
    const refused = await batch(s, "ada", "b4");
    expect(verdict(refused)).toEqual(limited(20));
    expect(refused.data).toBeNull();
    expect(refused.committed).toBeNull();
    expect(refused.message).toMatch(/Too many requests from client "ada".*3 per 60 s.*20 s/);
    // A flood of refusals (replays too) takes nothing, so the wait stays the same.
    for (let i = 0; i < 10; i++) expect(verdict(await batch(s, "ada", "b1"))).toEqual(limited(20));
    expect(verdict(await changes(s, "ada"))).toEqual(limited(20));
    expect([await count(s, "customer"), await count(s, "sync_batch")]).toEqual(before);

    // Another client is not limited by this one.
    expect(verdict(await batch(s, "bob", "b1"))).toEqual(allowed);

    // The bucket fills again at one request per 20 s.
    clock.advance(19.5);
    expect(verdict(await batch(s, "ada", "b4"))).toEqual(limited(1));
    clock.advance(0.5);
    const retried = await batch(s, "ada", "b4");
    expect([...verdict(retried), retried.committed]).toEqual([...allowed, "b4"]);
    expect(verdict(await batch(s, "ada", "b5"))).toEqual(limited(20));
    // A full bucket again (a minute later) allows three at once.
    clock.advance(60);
    for (const id of ["b5", "b6", "b7"])
      expect(verdict(await batch(s, "ada", id))).toEqual(allowed);
    expect(verdict(await batch(s, "ada", "b8"))).toEqual(limited(20));
    expect(await count(s, "customer")).toBe(8);
  });

  it("counts syncChanges and syncBatch alike", async () => {
    const clock = testClock();
    const s = await start({
      rateLimits: { perClient: { requests: 2, perSeconds: 10 }, now: clock.now },
    });
    expect(verdict(await changes(s, "ada"))).toEqual(allowed);
    expect(verdict(await batch(s, "ada", "b1"))).toEqual(allowed);
    expect(verdict(await changes(s, "ada"))).toEqual(limited(5));
    expect(verdict(await batch(s, "ada", "b2"))).toEqual(limited(5));
    expect(verdict(await changes(s, "bob"))).toEqual(allowed);
  });

  it("holds across two server processes over one database", async () => {
    const clock = testClock();
    const rateLimits = { perClient: { requests: 4, perSeconds: 60 }, now: clock.now };
    const one = await start({ rateLimits });
    const two = await start({ rateLimits, reuseDatabase: one.url });
    const both = [one, two];
    for (let i = 0; i < 4; i++) {
      const s = both[i % 2] as TestServer;
      expect(verdict(await batch(s, "ada", `b${i}`))).toEqual(allowed);
    }
    for (const s of both) {
      expect(verdict(await batch(s, "ada", "b9"))).toEqual(limited(15));
      expect(verdict(await changes(s, "ada"))).toEqual(limited(15));
      expect(verdict(await batch(s, "bob", `from-${both.indexOf(s)}`))).toEqual(allowed);
    }
    expect(await count(one, "customer")).toBe(6);
  });

  it("costs no write transaction for syncChanges in open mode without limits", async () => {
    let writes = 0;
    const counting = (store: SyncStore): SyncStore => ({
      ...store,
      writeTransaction(work) {
        writes += 1;
        return store.writeTransaction(work);
      },
    });
    const open = await start({ wrapStore: counting });
    for (let i = 0; i < 3; i++) expect(verdict(await changes(open, "ada"))).toEqual(allowed);
    expect(writes).toBe(0);
    expect(verdict(await batch(open, "ada", "b1"))).toEqual(allowed);
    expect(writes).toBe(1);
    // A per-subject limit alone does not apply in open mode (no subject): still none.
    const clock = testClock();
    writes = 0;
    const subjectOnly = await start({
      wrapStore: counting,
      rateLimits: { perSubject: { requests: 1, perSeconds: 60 }, now: clock.now },
    });
    for (let i = 0; i < 3; i++) expect(verdict(await changes(subjectOnly, "ada"))).toEqual(allowed);
    expect(writes).toBe(0);
  });
});

describe("rate limits per subject", () => {
  it("limits a subject over all its clientIds (a churn of new ones too), and no other subject", async () => {
    const clock = testClock();
    const s = await start({
      auth: { secret },
      rateLimits: {
        perClient: { requests: 100, perSeconds: 60 },
        perSubject: minute,
        now: clock.now,
      },
    });
    for (const clientId of ["ada-1", "ada-2", "ada-3"]) {
      expect(verdict(await batch(s, clientId, "b1", "ada"))).toEqual(allowed);
    }
    const before = [
      await count(s, "customer"),
      await count(s, "sync_batch"),
      await count(s, "sync_client"),
    ];
    for (const clientId of ["ada-4", "ada-5", "ada-1"]) {
      const refused = await batch(s, clientId, "b2", "ada");
      expect(verdict(refused)).toEqual(limited(20));
      expect(refused.message).toMatch(/this token's subject/);
    }
    expect(verdict(await changes(s, "ada-6", "ada"))).toEqual(limited(20));
    // Nothing written, not even the binding of the refused new clientIds.
    expect([
      await count(s, "customer"),
      await count(s, "sync_batch"),
      await count(s, "sync_client"),
    ]).toEqual(before);
    expect(verdict(await batch(s, "eve-1", "b1", "eve"))).toEqual(allowed);
    clock.advance(20);
    expect(verdict(await batch(s, "ada-4", "b1", "ada"))).toEqual(allowed);
    expect(await count(s, "sync_client")).toBe(5);
    // A bucket full again is no row: those go as requests come (ada-1 to ada-3 were full again
    // 0.6 s after their one request; left are the two subjects' and ada-4's).
    expect(await count(s, "sync_rate")).toBe(3);
    clock.advance(3600);
    expect(verdict(await changes(s, "eve-1", "eve"))).toEqual(allowed);
    expect(await count(s, "sync_rate")).toBe(2);
  });

  it("spends no clientId's requests on another subject's refused ones", async () => {
    const clock = testClock();
    const s = await start({
      auth: { secret },
      rateLimits: { perClient: { requests: 2, perSeconds: 60 }, now: clock.now },
    });
    expect(verdict(await batch(s, "ada-phone", "b1", "ada"))).toEqual(allowed);
    for (let i = 0; i < 5; i++) {
      expect(verdict(await batch(s, "ada-phone", `e${i}`, "eve"))).toEqual([
        200,
        "FORBIDDEN",
        null,
      ]);
    }
    expect(verdict(await changes(s, "ada-phone", "ada"))).toEqual(allowed);
    expect(verdict(await changes(s, "ada-phone", "ada"))).toEqual(limited(30));
  });
});

describe("rate limit options", () => {
  it("refuses limits that are not positive integers, naming them", async () => {
    await expect(
      startTestServer({ rateLimits: { perClient: { requests: 0, perSeconds: 60 } } }),
    ).rejects.toThrow(/rateLimits\.perClient\.requests/);
    await expect(
      startTestServer({ rateLimits: { perSubject: { requests: 5, perSeconds: 0.5 } } }),
    ).rejects.toThrow(/rateLimits\.perSubject\.perSeconds/);
  });

  it("reads requests/seconds from the environment", () => {
    const env = { A: "120/60", B: " 5 / 1 ", C: "", D: "120", E: "0/60", F: "5/0", G: "1.5/60" };
    expect(rateLimitFromEnv(env, "A")).toEqual({ requests: 120, perSeconds: 60 });
    expect(rateLimitFromEnv(env, "B")).toEqual({ requests: 5, perSeconds: 1 });
    expect(rateLimitFromEnv(env, "C")).toBeUndefined();
    expect(rateLimitFromEnv(env, "unset")).toBeUndefined();
    for (const name of ["D", "E", "F", "G"]) {
      expect(() => rateLimitFromEnv(env, name)).toThrow(new RegExp(`${name} must be`));
    }
  });
});
