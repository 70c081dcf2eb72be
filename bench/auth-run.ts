// Scenario 10 of `npm run bench`: what a verified token costs a request (issue 18). Two in-process
// servers (as bench/server-probe.ts runs one), one with `auth` (HS256, issuer, audience, and the
// default subject scope, under which the example model's global tables stay writable) and one in
// open mode, take the same requests of 1,000 location INSERTs, alternated, so both meet the same
// machine speed (see TRAPS.md: it drifts).
import { join } from "node:path";
import { print } from "graphql";
import { SignJWT } from "jose";
import { SyncBatchDocument } from "../client/generated/graphql.ts";
import { createSyncServer, type SyncServer } from "../server/index.ts";
import type { SyncBatchAnswer } from "../test-utils/test-server.ts";

/** What one authentication run measured. */
export interface AuthRun {
  /** Milliseconds of each request to the server that verifies a token. */
  readonly tokenMs: number[];
  /** Milliseconds of each request of the same operations to the open server. */
  readonly openMs: number[];
}

/** Options of {@link authRun}. */
export interface AuthRunOptions {
  /** The servers' database folder. */
  readonly dir: string;
  /** Measured requests to each server (after two unmeasured to each). */
  readonly requests: number;
  /** INSERTs per request. */
  readonly operations: number;
}

// The client's own document: both servers run it compiled (graphql-jit), as they do a device's.
const query = print(SyncBatchDocument);
const secret = "bench-secret-of-at-least-32-characters!";
const issuer = "https://auth.bench.example";
const audience = "checkpoint-sync-bench";

/** The body of request `batch`: `operations` new locations, each with its own temporary key. */
function body(clientId: string, batch: number, operations: number): string {
  return JSON.stringify({
    query,
    variables: {
      input: {
        clientId,
        batchId: `b${batch}`,
        batchSeq: batch + 1,
        operations: Array.from({ length: operations }, (_, i) => ({
          eventId: String(i),
          table: "location",
          kind: "INSERT",
          key: String(-(batch * operations + i + 1)),
          data: {
            device_id: "bench-phone",
            latitude: 41.39 + i / 1e5,
            longitude: 2.17,
            recorded_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
          },
        })),
      },
    },
  });
}

/**
 * Runs the requests in the order A B B A …, so neither server always comes first after a
 * collection or a checkpoint of the other, and throws unless every INSERT of every request was
 * APPLIED with its key mapped, and unless the token server refuses a request without a token.
 */
export async function authRun(options: AuthRunOptions): Promise<AuthRun> {
  const { dir, requests, operations } = options;
  const stamp = Date.now();
  const servers: SyncServer[] = [];
  try {
    const withToken = await createSyncServer({
      database: `file:${join(dir, `auth-token-${stamp}.db`)}`,
      logging: false,
      auth: { secret, issuer, audience },
    });
    servers.push(withToken);
    const open = await createSyncServer({
      database: `file:${join(dir, `auth-open-${stamp}.db`)}`,
      logging: false,
    });
    servers.push(open);
    // A device's token, made once and sent with every request, as the client's getToken would.
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("bench-user")
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime("2h")
      .sign(new TextEncoder().encode(secret));

    const post = async (sync: SyncServer, headers: Record<string, string>, text: string) => {
      const started = performance.now();
      const response = await sync.yoga.fetch("http://127.0.0.1/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: text,
      });
      const answerText = await response.text();
      return { ms: performance.now() - started, status: response.status, text: answerText };
    };

    let batch = 0;
    const send = async (authenticated: boolean): Promise<number> => {
      batch += 1;
      const sync = authenticated ? withToken : open;
      const headers: Record<string, string> = authenticated
        ? { authorization: `Bearer ${token}` }
        : {};
      const clientId = authenticated ? "bench-token" : "bench-open";
      const { ms, text } = await post(sync, headers, body(clientId, batch, operations));
      const parsed = JSON.parse(text) as { data?: { syncBatch?: SyncBatchAnswer } };
      const answer = parsed.data?.syncBatch;
      if (!answer) throw new Error(`syncBatch failed: ${text.slice(0, 300)}`);
      const refused = answer.results.find((result) => result.status !== "APPLIED");
      if (refused) throw new Error(`an INSERT answered ${JSON.stringify(refused)}`);
      if (answer.results.length !== operations || answer.keyMappings.length !== operations) {
        throw new Error(
          `${answer.results.length} verdicts and ${answer.keyMappings.length} key mappings for ${operations} INSERTs`,
        );
      }
      return ms;
    };

    const run: AuthRun = { tokenMs: [], openMs: [] };
    for (let i = -2; i < requests; i++) {
      const tokenFirst = (i & 1) === 0;
      const a = await send(tokenFirst);
      const b = await send(!tokenFirst);
      if (i < 0) continue;
      run.tokenMs.push(tokenFirst ? a : b);
      run.openMs.push(tokenFirst ? b : a);
    }

    // The check is live: the same request without a token is refused before it is read.
    const refused = await post(withToken, {}, body("bench-token", batch + 1, 1));
    if (refused.status !== 401) {
      throw new Error(`a request without a token answered HTTP ${refused.status}`);
    }
    return run;
  } finally {
    for (const sync of servers) await sync.close();
  }
}
