import { authFromEnv } from "./auth-from-env.ts";
import { createHttpServer } from "./create-http-server.ts";
import { rateLimitFromEnv } from "./rate-limits.ts";
import { createSyncServer } from "./server.ts";
import { shownDatabase } from "./shown-database.ts";
import { startFailureMessage } from "./start-failure.ts";
import { maxReadAheadPages, type SyncServerOptions } from "./sync-server-options.ts";

const portText = process.env.PORT ?? "4000";
const port = Number(portText);
const host = process.env.HOST ?? "127.0.0.1";
const database = process.env.DATABASE_URL ?? "file:data/server.db";

/** Ends a start that failed with one line on stderr (the stack too with SYNC_DEBUG=1), exit code 1. */
function failStart(error: unknown): never {
  console.error(startFailureMessage(error, { host, port }));
  if (process.env.SYNC_DEBUG === "1" && error instanceof Error) console.error(error.stack);
  process.exit(1);
}

/** A positive integer from the environment, or undefined when the variable is not set. */
function limitFromEnv(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got ${text}`);
  return value;
}

/** A count of 0 or more from the environment, or undefined when the variable is not set. */
function countFromEnv(name: string, most: number): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value) || value > most)
    throw new Error(`${name} must be an integer from 0 to ${most}, got ${text}`);
  return value;
}

/** The server's options from the environment; throws, naming the variable, on a value it refuses. */
function optionsFromEnv() {
  if (!/^[0-9]+$/.test(portText) || port > 65535) {
    throw new Error(`PORT must be a port number from 0 to 65535, got ${portText}`);
  }
  const maxOperationsPerRequest = limitFromEnv("SYNC_MAX_OPERATIONS");
  const readAheadPages = countFromEnv("SYNC_READ_AHEAD_PAGES", maxReadAheadPages);
  const poolSize = limitFromEnv("SYNC_PG_POOL_SIZE");
  const maxBodyBytes = limitFromEnv("SYNC_MAX_BODY_BYTES");
  const corsOrigins = (process.env.SYNC_CORS_ORIGINS ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin !== "");
  const started = authFromEnv(process.env, host);
  const perClient = rateLimitFromEnv(process.env, "SYNC_RATE_PER_CLIENT");
  const perSubject = rateLimitFromEnv(process.env, "SYNC_RATE_PER_SUBJECT");
  const options: SyncServerOptions = {
    database,
    ...(poolSize === undefined ? {} : { poolSize }),
    ...(readAheadPages === undefined ? {} : { readAheadPages }),
    ...(started.mode === "token" ? { auth: started.auth } : {}),
    corsOrigins,
    debug: process.env.SYNC_DEBUG === "1",
    ...(process.env.SYNC_CURSOR_SECRET ? { cursorSecret: process.env.SYNC_CURSOR_SECRET } : {}),
    rateLimits: { perClient, perSubject },
    limits: {
      ...(maxOperationsPerRequest === undefined ? {} : { maxOperationsPerRequest }),
      ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
    },
  };
  return { options, started, perClient, perSubject };
}

const { options, started, perClient, perSubject } = await Promise.resolve()
  .then(optionsFromEnv)
  .catch(failStart);
const sync = await createSyncServer(options).catch(failStart);
const server = createHttpServer(sync.yoga);
server.once("error", (error) => {
  void sync.close().finally(() => failStart(error));
});
server.listen(port, host, () => {
  const address = server.address();
  const actual = typeof address === "object" && address ? address.port : port;
  // The line tests and scripts wait for; keep its shape.
  console.log(
    `sync server listening on http://${host}:${actual}${sync.yoga.graphqlEndpoint} (database ${shownDatabase(database)})`,
  );
  console.log(
    started.mode === "open"
      ? "open mode: no authentication, every request is accepted as any client (set SYNC_JWT_SECRET or SYNC_JWKS_URL to require tokens)"
      : `tokens required: ${started.auth.secret ? "HS256 secret" : `JWKS ${started.auth.jwksUrl}`}${started.auth.issuer ? `, issuer ${started.auth.issuer}` : ""}${started.auth.audience ? `, audience ${[started.auth.audience].flat().join(", ")}` : ""}`,
  );
  const rate = (limit: typeof perClient) =>
    limit ? `${limit.requests} per ${limit.perSeconds} s` : "none";
  console.log(
    `rate limits: per clientId ${rate(perClient)}, per subject ${started.mode === "open" && perSubject ? "none (open mode has no subjects)" : rate(perSubject)} (SYNC_RATE_PER_CLIENT, SYNC_RATE_PER_SUBJECT)`,
  );
});

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: finishing requests in flight, refusing new ones`);
  server.close(async () => {
    await sync.close();
    console.log("database closed");
    process.exit(0);
  });
  server.closeIdleConnections();
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
