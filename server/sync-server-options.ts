import type { ModelMigrationOptions, SyncModel } from "../schema/index.ts";
import type { AuthOptions } from "./authenticate.ts";
import type { BatchRetentionOptions } from "./batch-retention.ts";
import type { SyncLimits } from "./limits.ts";
import type { RateLimits } from "./rate-limits.ts";
import type { ScopesOf } from "./scope-grant.ts";
import type { SyncStore } from "./store/sync-store.ts";
import type { SyncRules } from "./sync-rules.ts";

/** Options of {@link createSyncServer}; every one has a default. */
export interface SyncServerOptions extends ModelMigrationOptions {
  /** The synced tables. Default: the example model of the spec. */
  readonly model?: SyncModel;
  /**
   * A libSQL URL (`file:…`, `libsql://…`), a PostgreSQL URL (`postgres://…` or `postgresql://…`:
   * several server processes may share it), or a ready store. Default: `file:data/server.db`. On
   * PostgreSQL, `migrationsFolder` or `migrations` are the model's PostgreSQL migrations (see
   * `toPgTables`); the example model brings its own.
   */
  readonly database?: string | SyncStore;
  /**
   * PostgreSQL only: the connections this process opens at most (default 10). Every process over
   * one database opens its own, so their sum must stay below the server's `max_connections`.
   */
  readonly poolSize?: number;
  readonly limits?: Partial<SyncLimits>;
  /** Show unexpected errors' text to clients. Never in production. Default: false, whatever NODE_ENV says. */
  readonly debug?: boolean;
  /** Serve GraphiQL on GET /graphql. Default: true. */
  readonly graphiql?: boolean;
  /** Log unexpected errors (with their stack) on the server. Default: true. */
  readonly logging?: boolean;
  /**
   * Origins of web pages that may call the API from a browser (`https://app.example`), or `"*"`
   * for every origin; never with credentials. Default: none (pages of other origins cannot call it).
   */
  readonly corsOrigins?: readonly string[];
  /**
   * The scopes a request may read and write (SYNC.md, "Scopes"), from its clientId, HTTP request
   * and verified identity. Default: every scope in open mode, the token subject's own scope (and
   * the global tables) with `auth`. A device whose read scopes change gets a reset.
   */
  readonly scopes?: ScopesOf;
  /**
   * Signs the cursors of `syncChanges` (at least 32 characters). Default: a secret the store makes
   * once. Give one to keep cursors valid across a replaced store: its devices then get a
   * STORE_CHANGED reset rather than INVALID_CURSOR.
   */
  readonly cursorSecret?: string;
  /**
   * The app's business rules (SYNC.md, "Server rules"): `beforeOperation` may change an
   * operation's data or reject it, `beforeBatch`, `afterOperation` and `afterBatch` run in the
   * request's transaction too (a throw fails the request whole), `afterCommit` after it.
   */
  readonly rules?: SyncRules;
  /**
   * Authentication (SYNC.md, "Identity and ownership"): every request needs a JWT verified with
   * this HS256 secret or JWKS, issuer and audience (HTTP 401 UNAUTHENTICATED otherwise, before
   * the body is read); a clientId belongs to the first subject that uses it. Default: none, open
   * mode (every request accepted; for development).
   */
  readonly auth?: AuthOptions;
  /**
   * Request rates (SYNC.md, "Identity and ownership" 4): `perClient` and `perSubject` (with
   * `auth` only), each `{ requests, perSeconds }`, a token bucket of `requests` refilled over
   * `perSeconds`, kept in the store so that every server process over one database shares it.
   * Every `syncBatch` (a replay too) and `syncChanges` costs one; over the limit the request gets
   * HTTP 429 `RATE_LIMITED` with `Retry-After` (whole seconds) and changes nothing. Default: none.
   * Sensible numbers depend on the app (a device's first receive reads page after page, a busy
   * one sends batch after batch), and a limit costs a write per `syncChanges`; a default too low
   * would stall first syncs, one too high would protect nothing. Set them for production, e.g.
   * `{ perClient: { requests: 120, perSeconds: 60 }, perSubject: { requests: 600, perSeconds: 60 } }`.
   */
  readonly rateLimits?: RateLimits;
  /**
   * Stored answers kept for replays (SYNC.md, "Stored answers do not grow forever"): each
   * client's `keepPerClient` newest by `batchSeq` (default and least 16) and every one younger
   * than `seconds` (default 7 days); the rest are pruned in the background in bounded steps, and
   * a batch at or below a client's pruned mark is refused whole with `BATCH_EXPIRED`.
   */
  readonly batchRetention?: BatchRetentionOptions;
  /**
   * Pages of changes read ahead (see `PageReadAhead`): the page after one that says `hasMore` is
   * read while its answer travels, for at most this many devices at once (each page kept at most
   * 5 s, at most 4 read at once); 0 reads every page when asked, 10,000 at most. Behind a load balancer that spreads one device's requests
   * over several processes, a page read ahead by one process is wasted work: use 0 there, or send
   * each device to one process. Default: 32.
   */
  readonly readAheadPages?: number;
}

/**
 * The most pages read ahead a server keeps (`readAheadPages`): each may hold a page of
 * `maxChangesPerPage` changes, and the cache sets up room for all of them when it is made.
 */
export const maxReadAheadPages = 10_000;

/**
 * Refuses options whose type cannot say what is wrong with them (a short cursor secret, a
 * negative or fractional page count, a pool size beside a ready store), before anything is opened.
 */
export function checkServerOptions({
  database,
  poolSize,
  cursorSecret,
  readAheadPages,
}: {
  readonly database: SyncServerOptions["database"] | undefined;
  readonly poolSize: number | undefined;
  readonly cursorSecret: string | undefined;
  readonly readAheadPages: number | undefined;
}): void {
  if (
    cursorSecret !== undefined &&
    (typeof cursorSecret !== "string" || cursorSecret.length < 32)
  ) {
    throw new Error(
      'createSyncServer: option "cursorSecret" must be a text of at least 32 characters',
    );
  }
  if (
    readAheadPages !== undefined &&
    (!Number.isSafeInteger(readAheadPages) ||
      readAheadPages < 0 ||
      readAheadPages > maxReadAheadPages)
  ) {
    throw new Error(
      `createSyncServer: option "readAheadPages" must be an integer from 0 to ${maxReadAheadPages}, got ${String(readAheadPages)}`,
    );
  }
  if (typeof database !== "string" && database !== undefined && poolSize !== undefined) {
    throw new Error(
      'createSyncServer: option "poolSize" applies to a database URL, not a ready store',
    );
  }
}
