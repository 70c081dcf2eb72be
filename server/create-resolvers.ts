import { createGraphQLError } from "graphql-yoga";
import type { SyncModel } from "../schema/index.ts";
import { applyBatch } from "./apply-batch.ts";
import type { ResolvedBatchRetention } from "./batch-retention.ts";
import { checkBatchInput } from "./check-batch-input.ts";
import { bindClientOrRefuse } from "./client-binding.ts";
import type { Resolvers } from "./generated/resolvers-types.ts";
import { hashOperations } from "./hash-operations.ts";
import { jsonScalar } from "./json-scalar.ts";
import type { SyncLimits } from "./limits.ts";
import type { PageReadAhead } from "./page-read-ahead.ts";
import { type RateLimits, takeRequestOrRefuse } from "./rate-limits.ts";
import { refuseIfExpired } from "./refuse-expired-batch.ts";
import type { ScopesOf } from "./scope-grant.ts";
import { guardOf } from "./scope-guard.ts";
import type { SyncStore } from "./store/sync-store.ts";
import { packAnswer, unpackAnswer } from "./stored-answer.ts";
import { syncChanges } from "./sync-changes.ts";
import type { SyncRules } from "./sync-rules.ts";

/** A table's conflict policy as the contract names it. */
const policyKinds = {
  mergeColumns: "MERGE_COLUMNS",
  serverWins: "SERVER_WINS",
  none: "NONE",
  custom: "CUSTOM",
} as const;

/** What the resolvers need. */
export interface ResolverOptions {
  readonly model: SyncModel;
  readonly store: SyncStore;
  readonly limits: SyncLimits;
  /** How many stored answers are kept (told by `syncLimits`). */
  readonly batchRetention: ResolvedBatchRetention;
  readonly scopesOf: ScopesOf;
  readonly cursorSecret?: string | undefined;
  /** The app's business rules. */
  readonly rules?: SyncRules | undefined;
  /** How many clientIds one token subject may hold. */
  readonly maxClientsPerSubject?: number;
  /** Request rates per clientId and per subject; none when undefined. */
  readonly rateLimits?: RateLimits | undefined;
  /** Reads the page after one that says `hasMore` ahead of its request. */
  readonly pageReadAhead?: PageReadAhead | undefined;
  /** Where an `afterCommit` rule's error goes (the batch is committed by then). */
  readonly logRuleError?: (error: unknown) => void;
}

/** The resolvers of `schema/sync.graphql`. */
export function createResolvers(options: ResolverOptions): Resolvers {
  const { model, store, limits, batchRetention } = options;
  return {
    JSON: jsonScalar,
    Query: {
      syncModel: () => [...model.byName.values()],
      syncLimits: () => ({
        ...limits,
        batchRetentionSeconds: batchRetention.seconds,
        storedBatchesPerClient: batchRetention.keepPerClient,
      }),
      syncChanges: async (_parent, { input }, context) => {
        context.pagesRead = (context.pagesRead ?? 0) + 1;
        const page = await syncChanges(options, input, context.request, context.identity);
        context.nextCursor = page.hasMore ? page.cursor : undefined;
        return page;
      },
    },
    SyncTable: {
      keyKind: (table) => (table.keyKind === "autonumber" ? "AUTONUMBER" : "CLIENT"),
      keyColumn: (table) => table.key.name,
      columns: (table) =>
        table.columns.map((column) => ({
          name: column.name,
          type: column.type,
          notNull: column.notNull,
          isKey: column.isKey,
          references: column.references ?? null,
          default: column.sqlDefault?.sql ?? null,
        })),
      conflictPolicy: ({ conflicts }) => ({
        kind: policyKinds[conflicts.kind],
        columnWinner:
          conflicts.kind === "mergeColumns"
            ? conflicts.winner === "client"
              ? "CLIENT"
              : "SERVER"
            : null,
      }),
    },
    Mutation: {
      async syncBatch(_parent, { input }, context) {
        const { clientId, batchId, batchSeq, operations } = input;
        checkBatchInput(model, input);
        const { identity } = context;
        const guard = guardOf(
          await options.scopesOf({ clientId, request: context.request, identity }),
        );
        const requestHash = hashOperations(operations);
        const answer = await store.writeTransaction(async (tx) => {
          // Before the stored answer is looked up: a replay of another subject's batch is refused.
          await bindClientOrRefuse(tx, clientId, identity, options.maxClientsPerSubject ?? 16);
          // Then the rate (a replay costs a request too); a refusal rolls back the binding.
          await takeRequestOrRefuse(tx, options.rateLimits, clientId, identity);
          const stored = await tx.findBatch(clientId, batchId);
          if (stored) {
            if (stored.requestHash !== requestHash) {
              throw createGraphQLError(
                `Batch ${batchId} of client ${clientId} was already applied with other operations; a new request needs a new batch id`,
                { extensions: { code: "BATCH_ID_REUSED" } },
              );
            }
            return { batchId, replayed: true, ...unpackAnswer(stored.answer, operations) };
          }
          // No answer stored: at or below the pruned mark it may be one whose answer was pruned,
          // and applying it again could double its writes.
          await refuseIfExpired(tx, clientId, batchId, batchSeq);
          // Checked after the replay lookup: a batch applied under a larger limit (or by another
          // server with one) must still get its stored answer, never be cut and applied again.
          if (operations.length > limits.maxOperationsPerRequest) {
            throw createGraphQLError(
              `The request has ${operations.length} operations; the limit is ${limits.maxOperationsPerRequest}. Send it in smaller batches.`,
              { extensions: { code: "BATCH_TOO_LARGE", limit: limits.maxOperationsPerRequest } },
            );
          }
          const outcome = await applyBatch({
            model,
            tx,
            clientId,
            operations,
            guard,
            batchId,
            rules: options.rules ?? {},
          });
          const answer = packAnswer(outcome);
          await tx.saveBatch(clientId, batchId, { requestHash, answer, batchSeq });
          return { batchId, replayed: false, ...outcome };
        });
        // Reached only when the transaction committed (a replay's batch committed earlier).
        context.committedBatchId = batchId;
        const afterCommit = options.rules?.afterCommit;
        if (afterCommit && !answer.replayed) {
          try {
            const { results, keyMappings } = answer;
            await afterCommit({ clientId, batchId, operations, results, keyMappings });
          } catch (error) {
            options.logRuleError?.(error);
          }
        }
        return answer;
      },
    },
  };
}
