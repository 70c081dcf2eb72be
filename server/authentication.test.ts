import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { insert } from "../test-utils/operations.ts";
import { syncChangesDocument } from "../test-utils/receive.ts";
import {
  type GraphQLResponse,
  startTestServer,
  syncBatchDocument,
  type TestServer,
} from "../test-utils/test-server.ts";
import type { AuthOptions } from "./authenticate.ts";
import type { SyncStore } from "./store/sync-store.ts";

// Tokens (SYNC.md, "Identity and ownership", 1 and 2): a request without a valid JWT is refused
// with HTTP 401 before its body is read, nothing applied; a clientId belongs to the first subject
// that uses it.

const secret = "a-test-secret-of-at-least-32-characters!";
const issuer = "https://auth.example";
const audience = "checkpoint-sync";

let server: TestServer | undefined;
let jwks: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  jwks?.close();
  jwks = undefined;
});

async function start(
  auth: AuthOptions = { secret, issuer, audience },
  wrapStore?: (store: SyncStore) => SyncStore,
): Promise<TestServer> {
  server = await startTestServer({ auth, ...(wrapStore ? { wrapStore } : {}) });
  return server;
}

/** An HS256 token for `sub`, valid for an hour unless `edit` changes it. */
async function token(
  sub: string,
  edit: (jwt: SignJWT) => SignJWT = (jwt) => jwt,
  key: string = secret,
): Promise<string> {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime("1h");
  return edit(jwt).sign(new TextEncoder().encode(key));
}

const body = (clientId: string, batchId = "b1") =>
  JSON.stringify({
    query: syncBatchDocument,
    variables: {
      input: {
        clientId,
        batchId,
        batchSeq: 1,
        operations: [insert("customer", -1, { name: "Ada" })],
      },
    },
  });

const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
const customers = async (s: TestServer) =>
  (await s.rows("SELECT count(*) AS n FROM customer"))[0]?.n;

describe("authentication", () => {
  it("accepts a valid token and refuses, with 401 UNAUTHENTICATED and nothing applied, every bad one", async () => {
    const s = await start();
    const cases: Array<[string, Record<string, string>]> = [
      ["no token", {}],
      ["alg none", bearer(new UnsecuredJWT({ sub: "ada" }).setExpirationTime("1h").encode())],
      [
        "expired",
        bearer(
          await token("ada", (jwt) => jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 3600)),
        ),
      ],
      ["not yet valid", bearer(await token("ada", (jwt) => jwt.setNotBefore("2h")))],
      ["wrong issuer", bearer(await token("ada", (jwt) => jwt.setIssuer("https://evil.example")))],
      ["wrong audience", bearer(await token("ada", (jwt) => jwt.setAudience("other")))],
      [
        "another secret",
        bearer(await token("ada", undefined, "another-secret-of-at-least-32-chars!!")),
      ],
      ["no sub", bearer(await token("", (jwt) => jwt.setSubject("")))],
      ["not Bearer", { authorization: `Basic ${btoa("ada:pw")}` }],
      ["garbled", bearer("a.b")],
      ["10 MB header", bearer("a".repeat(10 * 1024 * 1024))],
    ];
    for (const [name, headers] of cases) {
      const response = await s.post(body("dev"), headers);
      expect([name, response.status, response.errors?.[0]?.extensions?.code]).toEqual([
        name,
        401,
        "UNAUTHENTICATED",
      ]);
      expect(response.text).not.toContain("a.b");
    }
    // A token in the query string does not count.
    const url = `http://127.0.0.1/graphql?access_token=${await token("ada")}`;
    const viaUrl = await s.sync.yoga.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body("dev"),
    });
    expect(viaUrl.status).toBe(401);
    expect(viaUrl.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await customers(s)).toBe(0);
    const ok = await s.post(body("dev"), bearer(await token("ada")));
    expect([ok.status, ok.errors]).toEqual([200, undefined]);
    expect(await customers(s)).toBe(1);
    // The scheme's name is case-insensitive (RFC 9110, 11.1).
    const lower = await s.post(body("dev-2"), { authorization: `bearer ${await token("ada")}` });
    expect([lower.status, lower.errors]).toEqual([200, undefined]);
    expect(await customers(s)).toBe(2);
  });

  it("verifies tokens from a JWKS; an HS256 token signed with the public key is refused", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256" };
    jwks = createServer((_request, response) => {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks?.listen(0, "127.0.0.1", resolve));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    const s = await start({ jwksUrl, issuer, audience });
    const signed = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setSubject("ada")
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime("1h")
      .sign(privateKey);
    expect((await s.post(body("dev"), bearer(signed))).status).toBe(200);
    const confused = await token("ada", (jwt) => jwt, await exportSPKI(publicKey));
    const refused = await s.post(body("dev", "b2"), bearer(confused));
    expect([refused.status, refused.errors?.[0]?.extensions?.code]).toEqual([
      401,
      "UNAUTHENTICATED",
    ]);
  });

  it("refuses options that cannot be right, naming them", async () => {
    await expect(startTestServer({ auth: { secret: "short" } })).rejects.toThrow(/secret/);
    await expect(startTestServer({ auth: {} })).rejects.toThrow(
      /exactly one of secret and jwksUrl/,
    );
    await expect(
      startTestServer({ auth: { jwksUrl: "http://keys.example/jwks.json" } }),
    ).rejects.toThrow(/https/);
  });

  it("serves GraphiQL's page without a token (its requests need one)", async () => {
    const s = await start();
    const page = await s.sync.yoga.fetch("http://127.0.0.1/graphql", {
      headers: { accept: "text/html" },
    });
    expect(page.status).toBe(200);
  });
});

describe("a clientId belongs to one subject", () => {
  it("is bound at its first request; another subject is FORBIDDEN for syncBatch (replays too) and syncChanges", async () => {
    const s = await start();
    const ada = bearer(await token("ada"));
    const eve = bearer(await token("eve"));
    const first = body("ada-phone");
    expect((await s.post(first, ada)).errors).toBeUndefined();
    for (const request of [
      first,
      body("ada-phone", "b2"),
      JSON.stringify({
        query: '{ syncChanges(input: { clientId: "ada-phone" }) { cursor } }',
      }),
    ]) {
      const refused = await s.post(request, eve);
      expect([refused.status, refused.errors?.[0]?.extensions?.code]).toEqual([200, "FORBIDDEN"]);
      expect(refused.data).toBeNull();
    }
    expect(await customers(s)).toBe(1);
    // The owner goes on: its replay is answered from the stored answer.
    const replay = await s.post(first, ada);
    expect((replay.data as { syncBatch: { replayed: boolean } }).syncBatch.replayed).toBe(true);
  });

  it("holds at most maxClientsPerSubject clientIds per subject, and a revoked one is refused", async () => {
    const s = await start({ secret, issuer, audience, maxClientsPerSubject: 2 });
    const ada = bearer(await token("ada"));
    expect((await s.post(body("one"), ada)).errors).toBeUndefined();
    expect((await s.post(body("two"), ada)).errors).toBeUndefined();
    const third = await s.post(body("three"), ada);
    expect(third.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/more clientId/),
      extensions: { code: "FORBIDDEN" },
    });
    await s.sync.store.writeTransaction((tx) => tx.revokeClient("two"));
    const revoked = await s.post(body("two", "b2"), ada);
    expect(revoked.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await customers(s)).toBe(2);
  });

  it("pages syncChanges of a bound clientId with no write transaction; a first use binds durably", async () => {
    let writes = 0;
    const s = await start(undefined, (store) => ({
      ...store,
      writeTransaction(work) {
        writes += 1;
        return store.writeTransaction(work);
      },
    }));
    const [ada, eve] = [bearer(await token("ada")), bearer(await token("eve"))];
    type Page = { data: { syncChanges: { cursor: string; hasMore: boolean } } | null };
    const page = async (who: Record<string, string>, cursor: string | null = null) => {
      const input = { clientId: "ada-phone", cursor, limit: 1 };
      const answer = await s.post(
        JSON.stringify({ query: syncChangesDocument, variables: { input } }),
        who,
      );
      return { ...answer, page: (answer as Page).data?.syncChanges };
    };
    // The first use writes the binding, durably (read back on a connection of its own).
    expect((await page(ada)).errors).toBeUndefined();
    const bound = await s.rows("SELECT subject FROM sync_client WHERE client_id = 'ada-phone'");
    expect([writes, bound]).toEqual([1, [{ subject: "ada" }]]);
    for (const seed of ["seed-1", "seed-2"])
      expect((await s.post(body(seed), ada)).errors).toBeUndefined();
    writes = 0;
    let answer = await page(ada);
    let pages = 1;
    for (; answer.page?.hasMore; pages++) answer = await page(ada, answer.page.cursor);
    expect([answer.errors, answer.page?.hasMore, pages, writes]).toEqual([undefined, false, 2, 0]);
    // Another subject, then the revoked owner: refused by the read as the write refuses them.
    const refusal = async (request: Promise<GraphQLResponse>) => {
      const { data, errors } = await request;
      return [data, errors?.[0]?.message, errors?.[0]?.extensions];
    };
    const taken = [null, 'clientId "ada-phone" belongs to another subject', { code: "FORBIDDEN" }];
    expect(await refusal(page(eve))).toEqual(taken);
    expect(await refusal(s.post(body("ada-phone", "b9"), eve))).toEqual(taken);
    await s.sync.store.writeTransaction((tx) => tx.revokeClient("ada-phone"));
    writes = 0;
    const revoked = [null, 'clientId "ada-phone" was revoked', { code: "FORBIDDEN" }];
    expect(await refusal(page(ada, answer.page?.cursor))).toEqual(revoked);
    expect(writes).toBe(0);
  });
});
