import { createGraphQLError } from "graphql-yoga";
import type { Identity } from "./authenticate.ts";
import type { SyncStoreTransaction } from "./store/sync-store.ts";

/** A request rate: at most `requests` per `perSeconds`, and that many at once after a pause. */
export interface RateLimit {
  readonly requests: number;
  readonly perSeconds: number;
}

/**
 * The request rates the server allows (SYNC.md, "Identity and ownership" 4), kept in the store so
 * that every server process over one database shares them. Each is a token bucket: a full bucket
 * holds `requests` requests, and it fills again at `requests` per `perSeconds`. Every `syncBatch`
 * (a replay too) and `syncChanges` takes one; a request over the limit gets HTTP 429
 * `RATE_LIMITED` with `Retry-After` (whole seconds until one is allowed) and changes nothing.
 */
export interface RateLimits {
  /** Per clientId, in open mode too. Default: none. */
  readonly perClient?: RateLimit | undefined;
  /**
   * Per token subject, over all its clientIds (a subject making new clientIds is limited too);
   * only with `auth` (open mode has no subject). Default: none.
   */
  readonly perSubject?: RateLimit | undefined;
  /** The clock, in Unix milliseconds (for tests). Default: `Date.now`. */
  readonly now?: (() => number) | undefined;
}

/** Refuses a limit whose numbers are not positive integers, naming it. */
export function checkRateLimits(limits: RateLimits | undefined): void {
  for (const name of ["perClient", "perSubject"] as const) {
    const limit = limits?.[name];
    if (limit === undefined) continue;
    for (const field of ["requests", "perSeconds"] as const) {
      const value = limit[field];
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new TypeError(
          `rateLimits.${name}.${field} must be a positive integer, got ${String(value)}`,
        );
      }
    }
  }
}

/** Whether a request costs anything: false when no limit applies to it. */
export function rateLimited(
  limits: RateLimits | undefined,
  identity: Identity | undefined,
): boolean {
  return (
    limits?.perClient !== undefined || (identity !== undefined && limits?.perSubject !== undefined)
  );
}

/**
 * Takes one request from the clientId's bucket, then from the subject's, inside the request's
 * write transaction (after the clientId's binding, so another subject's requests never spend this
 * clientId's), or refuses the request with HTTP 429 `RATE_LIMITED` and `Retry-After`.
 *
 * The refusal is thrown, so the transaction rolls back whole: a token taken from the clientId's
 * bucket before the subject's refused it is given back, and a clientId bound by this request is
 * not bound. Nothing is lost by that: a token bucket's refusal takes no token, so a flood of
 * refused requests leaves the buckets as they were, and stays refused until they fill.
 */
export async function takeRequestOrRefuse(
  tx: SyncStoreTransaction,
  limits: RateLimits | undefined,
  clientId: string,
  identity: Identity | undefined,
): Promise<void> {
  if (!limits) return;
  const now = (limits.now ?? Date.now)();
  const buckets: Array<[string, RateLimit | undefined, string]> = [
    [`client:${clientId}`, limits.perClient, `client ${JSON.stringify(clientId)}`],
    [`subject:${identity?.subject}`, identity && limits.perSubject, "this token's subject"],
  ];
  for (const [key, limit, who] of buckets) {
    if (!limit) continue;
    const seconds = await tx.takeRateToken(key, limit, now);
    if (seconds === 0) continue;
    throw createGraphQLError(
      `Too many requests from ${who}: the limit is ${limit.requests} per ${limit.perSeconds} s. Retry after ${seconds} s.`,
      {
        extensions: {
          code: "RATE_LIMITED",
          retryAfterSeconds: seconds,
          http: { status: 429, headers: { "Retry-After": String(seconds) } },
        },
      },
    );
  }
}

/**
 * A rate limit from the environment, `requests/seconds` (`120/60`); undefined when the variable
 * is not set or empty.
 */
export function rateLimitFromEnv(env: NodeJS.ProcessEnv, name: string): RateLimit | undefined {
  const text = env[name]?.trim();
  if (!text) return undefined;
  const match = /^(\d+)\s*\/\s*(\d+)$/.exec(text);
  const requests = Number(match?.[1]);
  const perSeconds = Number(match?.[2]);
  if (!match || ![requests, perSeconds].every((n) => Number.isSafeInteger(n) && n > 0)) {
    throw new Error(
      `${name} must be requests/seconds with positive integers (e.g. 120/60), got ${JSON.stringify(text)}`,
    );
  }
  return { requests, perSeconds };
}
