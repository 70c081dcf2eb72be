import { connect } from "node:net";
import { SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHttpServer } from "../server/create-http-server.ts";
import { nothingWritten, send, snapshotBoth, verdict } from "../test-utils/hostile-checks.ts";
import {
  audience,
  type HostileWorld,
  issuer,
  startHostileWorld,
} from "../test-utils/hostile-world.ts";
import { insert } from "../test-utils/operations.ts";
import { syncBatchDocument } from "../test-utils/test-server.ts";

// Hostile requests of issue 18, tokens: each is refused with HTTP 401 UNAUTHENTICATED before its
// body is read, and neither database changes at all (not even a rate-limit bucket: the refusal
// comes before the clientId is looked at). The body of each would apply with a valid token.

let world: HostileWorld;
beforeAll(async () => {
  world = await startHostileWorld();
}, 30_000);
afterAll(async () => {
  await world?.close();
});
beforeEach(() => world.advance(3600));

let batchNo = 0;
/** A batch `dev` may send: a new project of team t1 from its second device. */
const body = () => ({
  query: syncBatchDocument,
  variables: {
    input: {
      clientId: "dev-laptop",
      batchId: `tokens-${++batchNo}`,
      batchSeq: batchNo,
      operations: [insert("project", -1, { team_id: "t1", name: "should not exist" })],
    },
  },
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const hs256 = (key: string) =>
  new SignJWT({ teams: ["t1"] })
    .setProtectedHeader({ alg: "HS256", kid: "k1" })
    .setSubject("dev")
    .setIssuer(issuer)
    .setAudience(audience)
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(key));
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/** Sends `headers` with a good body and expects 401 UNAUTHENTICATED, nothing written, no token echoed. */
async function refused(headers: Record<string, string>, url?: string) {
  const answer = await nothingWritten(world, () => send(world.server, body(), headers, url));
  expect(verdict(answer)).toEqual([401, "UNAUTHENTICATED"]);
  expect(answer.json.data).toBeUndefined();
  const token = headers.authorization?.slice("Bearer ".length, 60) ?? "";
  if (token.length > 20) expect(answer.text).not.toContain(token);
  return answer;
}

describe("hostile tokens: 401 UNAUTHENTICATED, nothing written", () => {
  it("no token", async () => {
    const answer = await refused({});
    expect(answer.json.errors?.[0]?.message).toMatch(/no Authorization header/);
  });

  it("alg: none", async () => {
    const unsigned = new UnsecuredJWT({ teams: ["t1"] })
      .setSubject("dev")
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime("1h")
      .encode();
    await refused(bearer(unsigned));
  });

  it("HS256 signed with the server's public key (PEM and JWK text)", async () => {
    await refused(bearer(await hs256(world.publicPem)));
    await refused(bearer(await hs256(JSON.stringify(world.publicJwk))));
  });

  it("expired, beyond the clock tolerance", async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const answer = await refused(
      bearer(await world.token("dev", (j) => j.setExpirationTime(past))),
    );
    expect(answer.json.errors?.[0]?.message).toMatch(/expired/);
  });

  it("not yet valid (nbf an hour ahead)", async () => {
    await refused(bearer(await world.token("dev", (j) => j.setNotBefore(inAnHour()))));
  });

  it("wrong issuer", async () => {
    await refused(bearer(await world.token("dev", (j) => j.setIssuer("https://evil.example"))));
  });

  it("wrong audience", async () => {
    await refused(bearer(await world.token("dev", (j) => j.setAudience("another-api"))));
  });

  it("a valid token passed only in the query string", async () => {
    const token = await world.token("dev");
    await refused({}, `http://127.0.0.1/graphql?access_token=${token}&token=${token}`);
  });

  it("a 10 MB token header: 401 through the server's fetch; Node's HTTP server answers 431 unread", async () => {
    const huge = "a".repeat(10 * 1024 * 1024);
    const answer = await refused(bearer(huge));
    expect(answer.json.errors?.[0]?.message).toMatch(/too long to be a token/);

    // Over a socket, Node's HTTP parser refuses the header past its limit (16 KiB) with a bare
    // 431 and closes the connection: no listener code runs, so nothing can be written.
    const http = createHttpServer(world.server.sync.yoga);
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const { port } = http.address() as { port: number };
    try {
      const statusLine = await nothingWritten(world, async () => ({
        line: await firstLine(port, `Bearer ${huge}`),
      }));
      expect(statusLine.line).toBe("HTTP/1.1 431 Request Header Fields Too Large");
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it("the same body with a valid token applies, and the snapshots see it (the checks can fail)", async () => {
    const before = await snapshotBoth(world);
    const answer = await send(world.server, body(), await world.bearer("dev"));
    expect([...verdict(answer), answer.json.errors]).toEqual([200, null, undefined]);
    const after = await snapshotBoth(world);
    expect(after.server.project?.length).toBe((before.server.project?.length ?? 0) + 1);
    expect(after.server.sync_row).not.toEqual(before.server.sync_row);
  });
});

/** The status line Node's server answers to a request with this Authorization header. */
function firstLine(port: number, authorization: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
    });
    // The server may close while the header is still being written: that is its answer.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      const line = received.split("\r\n")[0];
      if (line) resolve(line);
      else reject(new Error("the server closed without an answer"));
    });
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nAuthorization: ${authorization}\r\n\r\n{}`,
    );
  });
}
