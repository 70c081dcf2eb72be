import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import type { GraphQLError, ValidationContext } from "graphql";
import {
  createGraphQLError,
  createSchema,
  createYoga,
  type YogaServerInstance,
} from "graphql-yoga";
import { exampleModel, findModelGap, type SyncModel, typeDefs } from "../schema/index.ts";
import { createAuthenticate } from "./authenticate.ts";
import { startBatchPruning } from "./batch-pruning.ts";
import { type ResolvedBatchRetention, resolveBatchRetention } from "./batch-retention.ts";
import { corsPolicy } from "./cors-policy.ts";
import { createResolvers } from "./create-resolvers.ts";
import { graphiqlExampleFor } from "./graphiql-example.ts";
import { resolveLimits, type SyncLimits } from "./limits.ts";
import { openStore } from "./open-store.ts";
import { createPageReadAhead } from "./page-read-ahead.ts";
import { checkRateLimits } from "./rate-limits.ts";
import { renderGraphiQL } from "./render-graphiql.ts";
import { everyScope, subjectScope } from "./scope-grant.ts";
import type { SyncStore } from "./store/sync-store.ts";
import type { SyncContext } from "./sync-context.ts";
import { checkServerOptions, type SyncServerOptions } from "./sync-server-options.ts";
import { startTombstonePruning } from "./tombstone-pruning.ts";
import { trustedDocuments } from "./trusted-documents.ts";
import { useAuthentication } from "./use-authentication.ts";
import { useBodyLimit } from "./use-body-limit.ts";
import { useCommitSignal } from "./use-commit-signal.ts";
import { useJit } from "./use-jit.ts";
import { useNestingLimit } from "./use-nesting-limit.ts";
import { useNextCursor } from "./use-next-cursor.ts";
import { useOneSyncBatch } from "./use-one-sync-batch.ts";
import { useQueryString } from "./use-query-string.ts";
import { useRequestErrorCodes } from "./use-request-error-codes.ts";

/**
 * graphql-armor's limits refuse a document with the code GraphQL's own validation errors carry:
 * a client tells errors apart by `extensions.code`, and armor's own error has none. Still thrown,
 * so that validation stops at the first limit passed.
 */
const refusedWithCode = {
  propagateOnRejection: false,
  onReject: [
    (_context: ValidationContext | null, error: GraphQLError) => {
      throw createGraphQLError(error.message, {
        extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
      });
    },
  ],
};

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
  checkServerOptions({ database, poolSize, cursorSecret, readAheadPages });
  const limits = resolveLimits(partialLimits);
  const cors = corsPolicy(corsOrigins);
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
  const pageReadAhead =
    readAheadPages > 0 ? createPageReadAhead({ maxPages: readAheadPages }) : undefined;
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
        pageReadAhead,
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
      useQueryString(),
      useRequestErrorCodes(),
      useNestingLimit(),
      // Hostile documents (deep, aliased, huge) are refused before they are executed. Operations
      // travel in variables, so the document of a real request stays small.
      maxDepthPlugin({ n: 30, ignoreIntrospection: false, ...refusedWithCode }),
      maxAliasesPlugin({ n: 15, ...refusedWithCode }),
      maxDirectivesPlugin({ n: 20, ...refusedWithCode }),
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
      pageReadAhead?.close();
      await pruning.stop();
      await batchPruning.stop();
      await store.close();
    },
  };
}
