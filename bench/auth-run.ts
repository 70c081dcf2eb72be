// Scenario 10 of `npm run bench`: what a verified token costs a request (issue 18). Two server
// processes, started as `npm start` starts one: one with tokens required (SYNC_JWT_SECRET, issuer
// and audience: HS256, and the default subject scope, under which the example model's global tables
// stay writable), one in open mode. They take the same requests of 1,000 location INSERTs,
// alternated request by request (token, open, open, token, …) so both meet the same machine speed
// (see TRAPS.md: it drifts), each server in its own process so that neither is charged the other's
// collections or checkpoints.
import { join } from "node:path";
import { print } from "graphql";
import { SignJWT } from "jose";
import { SyncBatchDocument } from "../client/generated/graphql.ts";
import { type ServerProcess, startServerProcess } from "../test-utils/server-process.ts";
import type { SyncBatchAnswer } from "../test-utils/test-server.ts";
import { processCpuMs } from "./process-cpu-ms.ts";

/** One server's measured requests. */
export interface AuthSide {
  /** Milliseconds of each measured request, as the sender saw it, the pairs' in turn. */
  readonly ms: number[];
  /** CPU milliseconds the server process spent over the measured requests, per request. */
  readonly cpuMsPerRequest: number;
}

/** What one authentication run measured. */
export interface AuthRun {
  readonly token: AuthSide;
  readonly open: AuthSide;
}

/** Options of {@link authRun}. */
export interface AuthRunOptions {
  /** The servers' database folder. */
  readonly dir: string;
  /** Pairs of server processes, one token and one open each, measured one after the other. */
  readonly pairs: number;
  /** Measured requests to each server of a pair. */
  readonly requests: number;
  /**
   * Unmeasured requests to each server first: a server compiles its hot paths over the first few
   * dozen requests.
   */
  readonly warmUp: number;
  /** INSERTs per request. */
  readonly operations: number;
}

// The client's own document: both servers run it compiled (graphql-jit), as they do a device's.
const query = print(SyncBatchDocument);
const secret = "bench-secret-of-at-least-32-characters!";
const issuer = "https://auth.bench.example";
const audience = "checkpoint-sync-bench";

/** The body of request `batch`: `operations` new locations, each with its own temporary key. */
function body(batch: number, operations: number): string {
  return JSON.stringify({
    query,
    variables: {
      input: {
        clientId: "bench-phone",
        batchId: `b${batch}`,
        batchSeq: batch,
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

/** Throws unless every INSERT of the answer was APPLIED with its key mapped. */
function checkAnswer(status: number, text: string, operations: number): void {
  const parsed = JSON.parse(text) as { data?: { syncBatch?: SyncBatchAnswer } };
  const answer = parsed.data?.syncBatch;
  if (!answer) throw new Error(`syncBatch failed (HTTP ${status}): ${text.slice(0, 300)}`);
  const refused = answer.results.find((result) => result.status !== "APPLIED");
  if (refused) throw new Error(`an INSERT answered ${JSON.stringify(refused)}`);
  if (answer.results.length !== operations || answer.keyMappings.length !== operations) {
    throw new Error(
      `${answer.results.length} verdicts and ${answer.keyMappings.length} key mappings for ${operations} INSERTs`,
    );
  }
}

async function post(server: ServerProcess, headers: Record<string, string>, text: string) {
  const response = await fetch(server.endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: text,
  });
  return { status: response.status, text: await response.text() };
}

/** Starts the two servers, the token one first or second. */
async function startPair(
  dir: string,
  tokenFirst: boolean,
): Promise<[ServerProcess, ServerProcess]> {
  const stamp = `${Date.now()}-${tokenFirst ? "t" : "o"}`;
  const start = (withToken: boolean) =>
    startServerProcess(
      `file:${join(dir, `auth-${withToken ? "token" : "open"}-${stamp}.db`)}`,
      withToken
        ? { SYNC_JWT_SECRET: secret, SYNC_JWT_ISSUER: issuer, SYNC_JWT_AUDIENCE: audience }
        : {},
    );
  const first = await start(tokenFirst);
  try {
    const second = await start(!tokenFirst);
    return tokenFirst ? [first, second] : [second, first];
  } catch (error) {
    await first.stop();
    throw error;
  }
}

/** One pair of processes: the same requests to both, alternated. */
async function runPair(options: AuthRunOptions, tokenFirst: boolean): Promise<AuthRun> {
  const { dir, requests, warmUp, operations } = options;
  const [tokenServer, openServer] = await startPair(dir, tokenFirst);
  try {
    // A device's token, made once and sent with every request, as the client's getToken would.
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("bench-user")
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime("2h")
      .sign(new TextEncoder().encode(secret));
    const sides = [
      { server: tokenServer, headers: { authorization: `Bearer ${token}` }, ms: [] as number[] },
      { server: openServer, headers: {}, ms: [] as number[] },
    ] as const;
    const cpuStart: number[] = [];

    for (let batch = 1 - warmUp; batch <= requests; batch++) {
      if (batch === 1) for (const side of sides) cpuStart.push(cpuOf(side.server));
      // Made before the clock starts: only the request is timed.
      const text = body(batch + warmUp, operations);
      const order = batch % 2 === 0 ? sides : ([sides[1], sides[0]] as const);
      for (const side of order) {
        const started = performance.now();
        const answer = await post(side.server, side.headers, text);
        const ms = performance.now() - started;
        checkAnswer(answer.status, answer.text, operations);
        if (batch >= 1) side.ms.push(ms);
      }
    }
    const [tokenSide, openSide] = sides.map((side, i) => ({
      ms: side.ms,
      cpuMsPerRequest: (cpuOf(side.server) - (cpuStart[i] ?? 0)) / requests,
    })) as [AuthSide, AuthSide];

    // The check is live: the same request without a token is refused before it is read.
    const refused = await post(tokenServer, {}, body(requests + warmUp + 1, 1));
    if (refused.status !== 401) {
      throw new Error(`a request without a token answered HTTP ${refused.status}`);
    }
    return { token: tokenSide, open: openSide };
  } finally {
    await tokenServer.stop();
    await openServer.stop();
  }
}

/**
 * Sends the same requests to both servers, alternated, in `pairs` pairs of fresh processes (the
 * token server started first in one, second in the next: a process's own compilation and
 * collection choices differ from start to start), and throws unless every INSERT of every request
 * was APPLIED with its key mapped, and unless the token server refuses a request without a
 * token. The requests of all pairs are pooled; the CPU figures are the pairs' mean.
 */
export async function authRun(options: AuthRunOptions): Promise<AuthRun> {
  const runs: AuthRun[] = [];
  for (let pair = 0; pair < options.pairs; pair++)
    runs.push(await runPair(options, pair % 2 === 0));
  const pool = (side: "token" | "open"): AuthSide => ({
    ms: runs.flatMap((run) => run[side].ms),
    cpuMsPerRequest: runs.reduce((sum, run) => sum + run[side].cpuMsPerRequest, 0) / runs.length,
  });
  return { token: pool("token"), open: pool("open") };
}

function cpuOf(server: ServerProcess): number {
  const ms = processCpuMs(server.child.pid);
  if (ms === undefined) throw new Error("cannot read the server process's CPU time");
  return ms;
}
