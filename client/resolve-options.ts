import { parseUri } from "@libsql/core/uri";
import type { MigrationMeta } from "drizzle-orm/migrator";
import {
  exampleModel,
  type ModelMigrationOptions,
  modelMigrations,
  type SyncModel,
} from "../schema/index.ts";
import type { GetToken } from "./bearer-token.ts";
import { shownValue } from "./call-options.ts";
import { integerOption, invalid, maxTimerMs } from "./option-checks.ts";

/**
 * How `send()` and `receive()` retry a failed request: exponential backoff with jitter, then they
 * stop. A rate-limited request (HTTP 429) is never retried before its `Retry-After` has passed.
 */
export interface RetryOptions {
  /** Retries after the first attempt. Default 4. */
  readonly retries?: number;
  /** The first delay, in milliseconds. Default 250. */
  readonly minDelayMs?: number;
  /** The longest delay, in milliseconds. Default 10,000. */
  readonly maxDelayMs?: number;
  /**
   * The longest `Retry-After` a call waits out before it retries (then the usual backoff
   * follows), in milliseconds. A rate limit that asks for longer fails the call at once with
   * `RATE_LIMITED`, its `retryAfterMs` and `retryAt` saying when to try again (auto-sync waits
   * for it). 0: never wait one out. Default: `maxDelayMs`.
   */
  readonly maxRetryAfterMs?: number;
}

/** Options of `createSyncClient`. */
export interface SyncClientOptions<M extends SyncModel = SyncModel> extends ModelMigrationOptions {
  /** The device database: a libSQL `file:` URL. Its folder is created if missing. */
  readonly database: string;
  /** The sync server's GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  readonly endpoint: string;
  /** The synced tables. Default: the example model. */
  readonly model?: M;
  /**
   * This device's id. Default: the one stored in the database, or a new UUID for a new database.
   * Giving one that differs from the stored one is an error: a client id lives as long as its database.
   */
  readonly clientId?: string;
  /**
   * The fetch to send with (tests, proxies, instrumentation). Default: the client's own fetch over
   * Node's HTTP client with keep-alive sockets (`createNodeFetch()`), closed with the client.
   */
  readonly fetch?: typeof fetch;
  /** Extra HTTP headers of every request (e.g. a static authorization without `getToken`). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The app's current token (a JWT, say), sent as `Authorization: Bearer <token>`: called for
   * every request (answer from a cache), and once more after the server refuses one with HTTP 401.
   * A second 401, or a token that throws, is empty, longer than 8 KiB or not visible ASCII, fails
   * the call with `UNAUTHENTICATED` (not retried; the outbox is untouched).
   */
  readonly getToken?: GetToken;
  /** At most this many operations per request (1 to 1,000,000); a segment is cut further. Default 1,000. */
  readonly maxOperationsPerRequest?: number;
  /** A request that takes longer fails (and is retried). Default 60,000 ms. */
  readonly requestTimeoutMs?: number;
  /**
   * The longest answer body the client reads (1,024 bytes to 256 MiB): a longer one fails the
   * send as `ANSWER_MISMATCH` as soon as its length shows, unread. Default 64 MiB.
   */
  readonly maxAnswerBytes?: number;
  readonly retry?: RetryOptions;
  /** How long a local write waits for another process's lock. Default 10,000 ms. */
  readonly busyTimeoutMs?: number;
}

/** The options with every default filled in. */
export interface ResolvedOptions<M extends SyncModel = SyncModel> {
  /** The device database's file (from the `database` URL): what the Node implementation opens. */
  readonly databasePath: string;
  readonly endpoint: string;
  readonly model: M;
  /** The model's migrations; none when the app creates the tables itself. */
  readonly migrations: readonly MigrationMeta[] | undefined;
  readonly clientId: string | undefined;
  /** Undefined: the client sends with a fetch of its own. */
  readonly fetch: typeof fetch | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly getToken: GetToken | undefined;
  readonly maxOperationsPerRequest: number;
  readonly requestTimeoutMs: number;
  readonly maxAnswerBytes: number;
  readonly retry: Required<RetryOptions>;
  readonly busyTimeoutMs: number;
}

/** Bounds of `maxAnswerBytes`: an answer is decoded to one text, which V8 caps below 512 MiB. */
const answerBytes = { default: 64 * 1024 * 1024, min: 1024, max: 256 * 1024 * 1024 };

/** The request headers the client sets itself: the body is always JSON. */
const ownHeaders = new Set(["content-type", "content-length"]);

function headersOption(headers: unknown): Record<string, string> {
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    throw invalid("headers", "must be an object of strings");
  }
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== "string") {
      throw invalid(
        `headers.${name}`,
        `must be a text, got ${JSON.stringify(value) ?? typeof value}`,
      );
    }
    if (ownHeaders.has(name.toLowerCase())) {
      throw invalid(`headers.${name}`, "is set by the client (the body is application/json)");
    }
    try {
      new Headers([[name, value]]);
    } catch (error) {
      throw invalid(`headers.${name}`, `is not a valid HTTP header: ${(error as Error).message}`);
    }
  }
  return headers as Record<string, string>;
}

/** The token function, which then owns the authorization header: two sources would race. */
function getTokenOption(getToken: unknown, headers: Record<string, string>): GetToken | undefined {
  if (getToken === undefined) return undefined;
  if (typeof getToken !== "function") throw invalid("getToken", "must be a function");
  const conflict = Object.keys(headers).find((name) => name.toLowerCase() === "authorization");
  if (conflict !== undefined) {
    throw invalid(
      `headers.${conflict}`,
      'conflicts with option "getToken", which sets the authorization header of every request: give one of them',
    );
  }
  return getToken as GetToken;
}

/** The file a `file:` URL names (its path, percent-decoded once by `parseUri`). */
function databasePath(database: unknown): string {
  if (typeof database !== "string" || database.length === 0) {
    throw invalid("database", 'is required: a libSQL file URL such as "file:data/device.db"');
  }
  const fileUrl = 'a libSQL file URL such as "file:data/device.db"';
  // No in-memory device: its writes and staged pages would not outlive the process.
  if (database === ":memory:") throw invalid("database", `must be ${fileUrl}, got ":memory:"`);
  let uri: ReturnType<typeof parseUri>;
  try {
    uri = parseUri(database);
  } catch (error) {
    throw invalid("database", `is not ${fileUrl}: ${(error as Error).message}`);
  }
  const { scheme, path } = uri;
  if (scheme !== "file" || path.length === 0 || path === ":memory:") {
    throw invalid("database", `must be a file: URL of the device database, got "${database}"`);
  }
  if (uri.query !== undefined || uri.fragment !== undefined) {
    throw invalid(
      "database",
      `takes no query or fragment (the client opens the file read-write), got "${database}"`,
    );
  }
  return path;
}

function endpointUrl(endpoint: unknown): string {
  if (typeof endpoint !== "string" || endpoint.length === 0) {
    throw invalid(
      "endpoint",
      'is required: the server\'s GraphQL URL such as "http://127.0.0.1:4000/graphql"',
    );
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalid("endpoint", `is not a URL: "${endpoint}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid("endpoint", `must be an http: or https: URL, got "${endpoint}"`);
  }
  return url.toString();
}

/** Validates `unknown` options at the boundary and fills in defaults; throws INVALID_OPTION naming the option. */
export function resolveOptions<M extends SyncModel>(
  options: SyncClientOptions<M>,
): ResolvedOptions<M> {
  if (typeof options !== "object" || options === null) {
    throw invalid("options", "must be an object with at least database and endpoint");
  }
  const model = (options.model ?? exampleModel) as M;
  if (!(model.byName instanceof Map)) throw invalid("model", "must come from defineSyncModel()");
  const { clientId, fetch: givenFetch, headers = {} } = options;
  if (
    clientId !== undefined &&
    (typeof clientId !== "string" || clientId.length === 0 || clientId.length > 200)
  ) {
    throw invalid("clientId", "must be a text of 1 to 200 characters");
  }
  if (givenFetch !== undefined && typeof givenFetch !== "function")
    throw invalid("fetch", "must be a function");
  const checkedHeaders = headersOption(headers);
  const getToken = getTokenOption(options.getToken, checkedHeaders);
  const retry = options.retry ?? {};
  if (typeof retry !== "object" || retry === null || Array.isArray(retry)) {
    throw invalid("retry", `must be an object of retry options, got ${shownValue(retry)}`);
  }
  const minDelayMs = integerOption("retry.minDelayMs", retry.minDelayMs, 250, { max: maxTimerMs });
  const maxDelayMs = Math.max(
    minDelayMs,
    integerOption("retry.maxDelayMs", retry.maxDelayMs, 10_000, { max: maxTimerMs }),
  );
  return {
    databasePath: databasePath(options.database),
    endpoint: endpointUrl(options.endpoint),
    model,
    migrations: modelMigrations(model, options, invalid),
    clientId,
    fetch: givenFetch,
    headers: checkedHeaders,
    getToken,
    maxOperationsPerRequest: integerOption(
      "maxOperationsPerRequest",
      options.maxOperationsPerRequest,
      1000,
      {
        min: 1,
        max: 1_000_000,
      },
    ),
    requestTimeoutMs: integerOption("requestTimeoutMs", options.requestTimeoutMs, 60_000, {
      min: 1,
      max: maxTimerMs,
    }),
    maxAnswerBytes: integerOption("maxAnswerBytes", options.maxAnswerBytes, answerBytes.default, {
      min: answerBytes.min,
      max: answerBytes.max,
    }),
    retry: {
      retries: integerOption("retry.retries", retry.retries, 4, { max: 100 }),
      minDelayMs,
      maxDelayMs,
      maxRetryAfterMs: integerOption("retry.maxRetryAfterMs", retry.maxRetryAfterMs, maxDelayMs, {
        max: maxTimerMs,
      }),
    },
    busyTimeoutMs: integerOption("busyTimeoutMs", options.busyTimeoutMs, 10_000, {
      max: maxTimerMs,
    }),
  };
}
