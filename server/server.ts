import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { createSchema, createYoga, type YogaServerInstance } from "graphql-yoga";
import {
  exampleModel,
  findModelGap,
  type ModelMigrationOptions,
  type SyncModel,
  typeDefs,
} from "../schema/index.ts";
import { type AuthOptions, createAuthenticate } from "./authenticate.ts";
import { startBatchPruning } from "./batch-pruning.ts";
import {
  type BatchRetentionOptions,
  type ResolvedBatchRetention,
  resolveBatchRetention,
} from "./batch-retention.ts";
import { corsPolicy } from "./cors-policy.ts";
import { createResolvers } from "./create-resolvers.ts";
import { graphiqlExampleFor } from "./graphiql-example.ts";
import { resolveLimits, type SyncLimits } from "./limits.ts";
import { openStore } from "./open-store.ts";
import { createPageReadAhead } from "./page-read-ahead.ts";
import { checkRateLimits, type RateLimits } from "./rate-limits.ts";
import { renderGraphiQL } from "./render-graphiql.ts";
import { everyScope, type ScopesOf, subjectScope } from "./scope-grant.ts";
import type { SyncStore } from "./store/sync-store.ts";
import type { SyncContext } from "./sync-context.ts";
import type { SyncRules } from "./sync-rules.ts";
import { startTombstonePruning } from "./tombstone-pruning.ts";
import { trustedDocuments } from "./trusted-documents.ts";
import { useAuthentication } from "./use-authentication.ts";
import { useBodyLimit } from "./use-body-limit.ts";
import { useCommitSignal } from "./use-commit-signal.ts";
import { useJit } from "./use-jit.ts";
import { useNestingLimit } from "./use-nesting-limit.ts";
import { useNextCursor } from "./use-next-cursor.ts";
import { useOneSyncBatch } from "./use-one-sync-batch.ts";

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
   * 5 s); 0 reads every page when asked. Behind a load balancer that spreads one device's requests
   * over several processes, a page read ahead by one process is wasted work: use 0 there, or send
   * each device to one process. Default: 32.
   */
  readonly readAheadPages?: number;
}

/** A running sync server: a Yoga instance to mount anywhere (Node's http, `yoga.fetch` in tests). */
export interface SyncServer {
  readonly yoga: YogaServerInstance<Record<string, unknown>, SyncContext>;
  readonly store: SyncStore;
  readonly limits: SyncLimits;
  /** How long and how many stored answers are kept. */
  readonly batchRetention: ResolvedBatchRetention;
  readonly model: SyncModel;
  /** Waits for running transactions, then closes the database. */
  close(): Promise<void>;
}

/** Builds the sync server: opens (and migrates) the database, then the GraphQL endpoint. */
export async function createSyncServer({
  model = exampleModel,
  database = "file:data/server.db",
  poolSize,
  migrationsFolder,
  migrations,
  limits: partialLimits,
  debug = false,
  graphiql = true,
  logging = true,
  corsOrigins = [],
  scopes,
  cursorSecret,
  rules,
  auth,
  rateLimits,
  batchRetention: batchRetentionOptions,
  readAheadPages = 32,
}: SyncServerOptions = {}): Promise<SyncServer> {
  checkRateLimits(rateLimits);
  const batchRetention = resolveBatchRetention(batchRetentionOptions);
  const authenticate = auth === undefined ? undefined : createAuthenticate(auth);
  if (
    cursorSecret !== undefined &&
    (typeof cursorSecret !== "string" || cursorSecret.length < 32)
  ) {
    throw new Error(
      'createSyncServer: option "cursorSecret" must be a text of at least 32 characters',
    );
  }
  if (!Number.isSafeInteger(readAheadPages) || readAheadPages < 0) {
    throw new Error(
      `createSyncServer: option "readAheadPages" must be an integer of 0 or more, got ${String(readAheadPages)}`,
    );
  }
  const limits = resolveLimits(partialLimits);
  const cors = corsPolicy(corsOrigins);
  if (typeof database !== "string" && poolSize !== undefined) {
    throw new Error(
      'createSyncServer: option "poolSize" applies to a database URL, not a ready store',
    );
  }
  const store =
    typeof database === "string"
      ? await openStore(database, model, { migrationsFolder, migrations }, poolSize)
      : database;
  const gap = await findModelGap(model, (table) => store.tableColumns(table));
  if (gap) {
    if (typeof database === "string") await store.close();
    throw new Error(
      `createSyncServer: the database does not hold the model: ${gap}. Give migrationsFolder or migrations (the model's drizzle-kit migrations) or create its tables first.`,
    );
  }
  await store.adoptRows(model);
  const pruning = startTombstonePruning(store, limits.tombstoneRetentionSeconds);
  const batchPruning = startBatchPruning(store, batchRetention);
  const yoga = createYoga<Record<string, unknown>, SyncContext>({
    schema: createSchema<Record<string, unknown> & SyncContext>({
      typeDefs,
      resolvers: createResolvers({
        model,
        store,
        limits,
        batchRetention,
        scopesOf: scopes ?? (auth ? subjectScope : everyScope),
        cursorSecret,
        rules,
        maxClientsPerSubject: auth?.maxClientsPerSubject ?? 16,
        rateLimits,
        pageReadAhead:
          readAheadPages > 0 ? createPageReadAhead({ maxPages: readAheadPages }) : undefined,
        logRuleError: (error) => {
          if (logging) console.error("afterCommit rule failed:", error);
        },
      }),
    }),
    maskedErrors: { isDev: debug },
    graphiql: graphiql
      ? { title: "Checkpoint sync", defaultQuery: graphiqlExampleFor(model) }
      : false,
    renderGraphiQL,
    landingPage: false,
    logging,
    batching: false,
    // useBodyLimit enforces the server's own limit, with the code the client and docs know.
    maxRequestBodySize: false,
    cors,
    // graphql-jit compiles the client's own operations once, variable coercion included: the
    // large list of operations of a syncBatch is coerced several times faster (useJit).
    plugins: [
      useAuthentication(authenticate),
      useBodyLimit(limits),
      useNestingLimit(),
      // Hostile documents (deep, aliased, huge) are refused before they are executed. Operations
      // travel in variables, so the document of a real request stays small.
      maxDepthPlugin({ n: 30, ignoreIntrospection: false }),
      maxAliasesPlugin({ n: 15 }),
      maxDirectivesPlugin({ n: 20 }),
      maxTokensPlugin({ n: 20_000 }),
      useOneSyncBatch(),
      useJit({ trusted: trustedDocuments }),
      // Tells the client a batch committed: it may post the next one before reading the answer.
      useCommitSignal(),
      useNextCursor(),
    ],
  });
  return {
    yoga,
    store,
    limits,
    batchRetention,
    model,
    async close() {
      await pruning.stop();
      await batchPruning.stop();
      await store.close();
    },
  };
}
