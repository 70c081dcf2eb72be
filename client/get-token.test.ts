import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { count, locations, sendFixtures } from "../test-utils/send-fixtures.ts";
import { checkToken, maxTokenBytes } from "./bearer-token.ts";
import type { SendError } from "./index.ts";
import { resolveOptions } from "./resolve-options.ts";

const fixtures = sendFixtures();

/** One request as the gate saw it. */
interface Seen {
  readonly kind: string;
  readonly authorization: string | undefined;
}

type Verdict = "pass" | "unauthenticated" | "forbidden";

const gates: Server[] = [];
afterEach(async () => {
  for (const gate of gates.splice(0)) {
    gate.closeAllConnections();
    await new Promise((resolve) => gate.close(resolve));
  }
});

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
};

const errorBody = (message: string, code: string) =>
  JSON.stringify({ errors: [{ message, extensions: { code } }] });

/** Headers not to copy from the sync server's answer: the gate sends the body whole. */
const hopHeaders = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

/**
 * A fake authenticating server: an HTTP server in front of a real sync server that records each
 * request's operation and authorization, and answers as `decide` says (401 as the server will,
 * with `WWW-Authenticate: Bearer`; FORBIDDEN as a GraphQL error), else forwards it.
 */
async function startGate(upstream: string, decide: (seen: Seen, all: Seen[]) => Verdict) {
  const seen: Seen[] = [];
  const gate = createServer(async (req, res) => {
    const body = await readBody(req);
    const request = {
      kind: JSON.parse(body).operationName,
      authorization: req.headers.authorization,
    };
    seen.push(request);
    const verdict = decide(request, seen);
    if (verdict === "unauthenticated") {
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" });
      res.end(errorBody("the token has expired", "UNAUTHENTICATED"));
    } else if (verdict === "forbidden") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(errorBody("this clientId belongs to another subject", "FORBIDDEN"));
    } else {
      const headers = { "content-type": "application/json" };
      const answer = await fetch(upstream, { method: "POST", headers, body });
      const copied = [...answer.headers].filter(([name]) => !hopHeaders.has(name));
      res.writeHead(answer.status, Object.fromEntries(copied));
      res.end(Buffer.from(await answer.arrayBuffer()));
    }
  });
  gates.push(gate);
  await new Promise<void>((resolve) => gate.listen(0, "127.0.0.1", resolve));
  return { endpoint: `http://127.0.0.1:${(gate.address() as AddressInfo).port}/graphql`, seen };
}

/** A sync server behind a gate, and a device on the gate; `getToken` counts its calls. */
async function setup(
  decide: (seen: Seen, all: Seen[]) => Verdict,
  tokens: ((call: number) => unknown) | null = (call) => `token-${call}`,
  options: Parameters<typeof fixtures.device>[1] = {},
) {
  const server = await fixtures.server();
  const gate = await startGate(server.endpoint, decide);
  const calls = { getToken: 0 };
  const getToken = tokens && (() => tokens(++calls.getToken) as string);
  const device = await fixtures.device(gate.endpoint, {
    ...(getToken ? { getToken } : {}),
    ...options,
  });
  await locations(device, 3, 3);
  return { server, gate, device, calls };
}

const pending = (device: Awaited<ReturnType<typeof setup>>["device"]) =>
  count(device.rows, "sync_outbox WHERE kind != 'checkpoint' AND status = 'pending'");

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail("expected a failure"),
    (error: unknown) => error as SendError,
  );

describe("getToken", () => {
  it("sends the token of getToken with every kind of request, asking for it each time", async () => {
    const { gate, device, calls } = await setup(() => "pass");
    await device.client.sync();
    expect(new Set(gate.seen.map((s) => s.kind))).toEqual(
      new Set(["SyncLimits", "SyncBatch", "SyncChanges"]),
    );
    expect(calls.getToken).toBe(gate.seen.length);
    expect(gate.seen.map((s) => s.authorization).sort()).toEqual(
      gate.seen.map((_, i) => `Bearer token-${i + 1}`).sort(),
    );
  });

  it("asks again once after a 401 and sends the batch again with the new token", async () => {
    const revokedFirstBatch = (seen: Seen, all: Seen[]): Verdict =>
      seen.kind === "SyncBatch" && all.filter((s) => s.kind === "SyncBatch").length === 1
        ? "unauthenticated"
        : "pass";
    const { server, gate, device, calls } = await setup(revokedFirstBatch);
    const report = await device.client.send();
    expect(report).toMatchObject({ batches: 1, applied: 3, retries: 0 });
    const batches = gate.seen.filter((s) => s.kind === "SyncBatch");
    expect(batches).toHaveLength(2);
    expect(batches[0]?.authorization).not.toBe(batches[1]?.authorization);
    expect(calls.getToken).toBe(gate.seen.length);
    expect(await count(server.rows, "location")).toBe(3);
    expect(await pending(device)).toBe(0);
  });

  it("fails with UNAUTHENTICATED after a second 401, not retried, nothing lost", async () => {
    let refusing = true;
    const { server, gate, device } = await setup(
      () => (refusing ? "unauthenticated" : "pass"),
      () => "secret-token-1234",
    );
    const failure = await failureOf(device.client.send());
    expect(failure).toMatchObject({ code: "UNAUTHENTICATED", serverCode: "UNAUTHENTICATED" });
    expect(failure.report).toMatchObject({ batches: 0, applied: 0, retries: 0 });
    expect(failure.message).not.toContain("secret-token-1234");
    // The limits query (refused twice, its failure ignored), then the batch: once, then once more.
    expect(gate.seen.filter((s) => s.kind === "SyncBatch")).toHaveLength(2);
    expect(await pending(device)).toBe(3);
    expect(await count(server.rows, "location")).toBe(0);
    refusing = false;
    expect(await device.client.send()).toMatchObject({ applied: 3 });
  });

  it("fails with UNAUTHENTICATED, the thrown error as its cause, when getToken throws", async () => {
    const thrown = new Error("the session has ended");
    const { gate, device } = await setup(
      () => "pass",
      () => {
        throw thrown;
      },
    );
    const failure = await failureOf(device.client.send());
    expect(failure).toMatchObject({ code: "UNAUTHENTICATED", cause: thrown });
    expect(failure.message).toMatch(/getToken\(\) threw: the session has ended/);
    expect(gate.seen).toHaveLength(0);
    expect(await pending(device)).toBe(3);
  });

  it("refuses a token an HTTP header cannot carry before sending anything", async () => {
    const { gate, device } = await setup(
      () => "pass",
      () => "abc\r\nx-injected: 1",
    );
    const failure = await failureOf(device.client.receive());
    expect(failure.code).toBe("UNAUTHENTICATED");
    expect(failure.message).not.toContain("abc");
    expect(gate.seen).toHaveLength(0);
  });

  it("checks the token: a non-empty text of visible ASCII, at most 8 KiB", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl-_";
    expect(checkToken(jwt)).toBe(jwt);
    expect(checkToken("x".repeat(maxTokenBytes))).toHaveLength(maxTokenBytes);
    for (const bad of ["", "a b", "tab\there", "é", "x".repeat(maxTokenBytes + 1), 42, null]) {
      expect(() => checkToken(bad)).toThrow(expect.objectContaining({ code: "UNAUTHENTICATED" }));
    }
  });

  it("fails a 401 without getToken as UNAUTHENTICATED at once", async () => {
    const { gate, device } = await setup(() => "unauthenticated", null, {
      headers: { authorization: "Bearer static" },
    });
    const failure = await failureOf(device.client.send());
    expect(failure.code).toBe("UNAUTHENTICATED");
    expect(gate.seen.filter((s) => s.kind === "SyncBatch")).toHaveLength(1);
    expect(gate.seen[0]?.authorization).toBe("Bearer static");
  });

  it("takes FORBIDDEN as a refusal: REQUEST_REFUSED, not retried", async () => {
    const { gate, device } = await setup((seen) =>
      seen.kind === "SyncBatch" ? "forbidden" : "pass",
    );
    const failure = await failureOf(device.client.send());
    expect(failure).toMatchObject({ code: "REQUEST_REFUSED", serverCode: "FORBIDDEN" });
    expect(failure.report.retries).toBe(0);
    expect(gate.seen.filter((s) => s.kind === "SyncBatch")).toHaveLength(1);
    expect(await pending(device)).toBe(3);
  });

  it("is checked with the options: a function, and the only source of authorization", () => {
    const base = { database: "file:x.db", endpoint: "http://127.0.0.1:1/graphql" };
    expect(() => resolveOptions({ ...base, getToken: "token" as never })).toThrow(
      /option "getToken" must be a function/,
    );
    expect(() =>
      resolveOptions({ ...base, getToken: () => "t", headers: { Authorization: "Bearer x" } }),
    ).toThrow(/option "headers.Authorization" conflicts with option "getToken"/);
    expect(resolveOptions({ ...base, headers: { Authorization: "Bearer x" } }).getToken).toBe(
      undefined,
    );
  });
});
