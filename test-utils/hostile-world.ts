import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { createSyncClient, type SyncClient } from "../client/index.ts";
import type { ScopeGrant, ScopesOf } from "../server/scope-grant.ts";
import { insert } from "./operations.ts";
import { project, type TeamTables, teamModel, teamTablesSql } from "./team-model.ts";
import { seedTeams } from "./team-seed.ts";
import { tempDir } from "./temp-dir.ts";
import { startTestServer, type TestServer, type TestServerOptions } from "./test-server.ts";

// The world of the hostile battery (issue 18): a sync server of the team model with auth (a JWKS
// over loopback, RS256), scopes from the token's `teams` claim and rate limits on a hand-moved
// clock, seeded with two teams' rows by a trusted subject; a real device of subject `dev` (team
// t1) on a database file; and a twin server where team t2's rows were never made, so that a row
// hidden on the first is truly missing on the twin (the leak checks compare the two byte for byte).

export const issuer = "https://auth.example";
export const audience = "checkpoint-sync";
/** The real device's clientId (subject `dev`, team t1). */
export const deviceId = "dev-phone";
/** The subjects' teams: `admin` seeds both, `dev` is t1's, `eve` is t2's. */
export const teamsOf: Record<string, string[]> = { admin: ["t1", "t2"], dev: ["t1"], eve: ["t2"] };

/** Reads and writes the teams the token's `teams` claim lists; a token without one gets none. */
const scopes: ScopesOf = ({ identity }): ScopeGrant => {
  const teams = identity?.claims.teams;
  const list = Array.isArray(teams) ? teams.filter((t): t is string => typeof t === "string") : [];
  return { read: list, write: list };
};

/** Everything a hostile case needs; see the top of this file. */
export interface HostileWorld {
  readonly server: TestServer;
  readonly twin: TestServer;
  readonly device: SyncClient<TeamTables>;
  /** The device's database file (read straight for snapshots). */
  readonly devicePath: string;
  /** The bodies of the device's syncBatch requests, as sent (a replay sends one again). */
  readonly deviceBatches: readonly string[];
  /** The signing key's public half, as the JWKS serves it and as PEM (alg-confusion cases). */
  readonly publicJwk: Record<string, unknown>;
  readonly publicPem: string;
  /** A valid RS256 token of `sub` with its teams, changed by `edit`. */
  token(sub: string, edit?: (jwt: SignJWT) => SignJWT, claims?: JWTPayload): Promise<string>;
  /** `{ authorization: "Bearer …" }` of a valid token of `sub`. */
  bearer(sub: string): Promise<Record<string, string>>;
  /** Moves the rate limits' clock on (a case starts with every bucket full). */
  advance(seconds: number): void;
  close(): Promise<void>;
}

/** Starts a loopback JWKS server serving `jwk`. */
async function startJwks(jwk: Record<string, unknown>): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`, server };
}

/** Starts the {@link HostileWorld}: servers seeded, the device bound to `dev` and synced once. */
export async function startHostileWorld(): Promise<HostileWorld> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const publicJwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  const jwks = await startJwks(publicJwk);
  let now = 1_800_000_000_000;
  const options: TestServerOptions = {
    model: teamModel,
    tables: teamTablesSql,
    auth: { jwksUrl: jwks.url, issuer, audience, maxClientsPerSubject: 4 },
    scopes,
    rateLimits: {
      perClient: { requests: 5, perSeconds: 60 },
      perSubject: { requests: 30, perSeconds: 60 },
      now: () => now,
    },
  };
  const token = (sub: string, edit = (jwt: SignJWT) => jwt, claims?: JWTPayload) =>
    edit(
      new SignJWT(claims ?? { teams: teamsOf[sub] ?? [] })
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setSubject(sub)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime("1h"),
    ).sign(privateKey);
  const bearer = async (sub: string) => ({ authorization: `Bearer ${await token(sub)}` });
  /** The server as `admin` sees it: seedTeams sends through `gql`. */
  const asAdmin = async (server: TestServer): Promise<TestServer> => {
    const headers = await bearer("admin");
    return {
      ...server,
      gql: async (query, variables) =>
        (await server.post(JSON.stringify({ query, variables }), headers)) as never,
    };
  };

  const server = await startTestServer(options);
  await seedTeams(await asAdmin(server));
  // The twin has team t1's rows at the same keys, and nothing of team t2 (project 2, task 3, c3).
  const twin = await startTestServer(options);
  const twinRows = await (await asAdmin(twin)).gql(
    "mutation($input: SyncBatchInput!) { syncBatch(input: $input) { batchId } }",
    {
      input: {
        clientId: "admin",
        batchId: "seed-t1",
        batchSeq: 1,
        operations: [
          insert("tag", -1, { label: "urgent" }),
          insert("project", -1, { team_id: "t1", name: "Apollo" }),
          insert("task", -1, { project_id: -1, tag_id: -1, title: "design" }),
          insert("task", -2, { project_id: -1, tag_id: null, title: "build" }),
        ],
      },
    },
  );
  if (twinRows.errors) throw new Error(`twin: ${twinRows.text}`);

  const folder = tempDir("hostile-device-");
  const devicePath = join(folder.path, "device.db");
  const setup = createClient({ url: `file:${devicePath}` });
  for (const sql of teamTablesSql) await setup.execute(sql);
  setup.close();
  const deviceBatches: string[] = [];
  const device = await createSyncClient<TeamTables>({
    database: `file:${devicePath}`,
    endpoint: "http://sync.invalid/graphql",
    model: teamModel,
    clientId: deviceId,
    fetch: async (input, init) => {
      const body = init?.body;
      const text = body instanceof Uint8Array ? new TextDecoder().decode(body) : body;
      if (typeof text === "string" && text.includes("syncBatch")) deviceBatches.push(text);
      return server.sync.yoga.fetch(String(input), { ...init });
    },
    getToken: () => token("dev"),
    retry: { retries: 0, minDelayMs: 1, maxDelayMs: 5 },
  });
  // One batch of its own (a stored answer another subject will try to replay), then a receive.
  await device.insert(project, { teamId: "t1", name: "from the phone" });
  await device.sync();

  return {
    server,
    twin,
    device,
    devicePath,
    deviceBatches,
    publicJwk,
    publicPem: await exportSPKI(publicKey),
    token,
    bearer,
    advance(seconds) {
      now += seconds * 1000;
    },
    async close() {
      await device.close();
      await server.close();
      await twin.close();
      jwks.server.close();
      folder.remove();
    },
  };
}
