import { createGraphQLError } from "graphql-yoga";
import type { SyncModel } from "../schema/index.ts";
import { applyBatch } from "./apply-batch.ts";
import type { Resolvers } from "./generated/resolvers-types.ts";
import { hashOperations } from "./hash-operations.ts";
import { jsonScalar } from "./json-scalar.ts";
import type { SyncLimits } from "./limits.ts";
import type { SyncStore } from "./store/sync-store.ts";
import { packAnswer, unpackAnswer } from "./stored-answer.ts";

/** What the resolvers need. */
export interface ResolverOptions {
  readonly model: SyncModel;
  readonly store: SyncStore;
  readonly limits: SyncLimits;
}

const maxIdLength = 200;

function checkId(name: string, value: string): void {
  if (value.length === 0 || value.length > maxIdLength) {
    throw createGraphQLError(`input.${name} must be 1 to ${maxIdLength} characters long`, {
      extensions: { code: "BAD_USER_INPUT" },
    });
  }
}

/**
 * Each operation of a request has its own event id: verdicts are told by it, and a device that
 * gave two operations one id could not tell which verdict is whose.
 */
function checkEventIds(operations: ReadonlyArray<{ readonly eventId: string }>): void {
  const seen = new Map<string, number>();
  for (const [index, { eventId }] of operations.entries()) {
    if (eventId.length === 0 || eventId.length > maxIdLength) {
      throw createGraphQLError(
        `input.operations[${index}].eventId must be 1 to ${maxIdLength} characters long`,
        { extensions: { code: "BAD_USER_INPUT" } },
      );
    }
    const first = seen.get(eventId);
    if (first !== undefined) {
      throw createGraphQLError(
        `input.operations[${index}].eventId ${JSON.stringify(eventId)} repeats input.operations[${first}].eventId: each operation of a request needs its own event id`,
        { extensions: { code: "BAD_USER_INPUT" } },
      );
    }
    seen.set(eventId, index);
  }
}

/** The resolvers of `schema/sync.graphql`. */
export function createResolvers({ model, store, limits }: ResolverOptions): Resolvers {
  return {
    JSON: jsonScalar,
    Query: {
      syncModel: () => [...model.byName.values()],
      syncLimits: () => limits,
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
        })),
    },
    Mutation: {
      async syncBatch(_parent, { input }) {
        const { clientId, batchId, operations } = input;
        checkId("clientId", clientId);
        checkId("batchId", batchId);
        const requestHash = hashOperations(operations);
        return store.writeTransaction(async (tx) => {
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
          // Checked after the replay lookup: a batch applied under a larger limit (or by another
          // server with one) must still get its stored answer, never be cut and applied again.
          if (operations.length > limits.maxOperationsPerRequest) {
            throw createGraphQLError(
              `The request has ${operations.length} operations; the limit is ${limits.maxOperationsPerRequest}. Send it in smaller pieces.`,
              { extensions: { code: "BATCH_TOO_LARGE", limit: limits.maxOperationsPerRequest } },
            );
          }

          // Also after the replay lookup: an earlier version stored batches it did not check so.
          checkEventIds(operations);
          const outcome = await applyBatch({ model, tx, clientId, operations });
          await tx.saveBatch(clientId, batchId, { requestHash, answer: packAnswer(outcome) });
          return { batchId, replayed: false, ...outcome };
        });
      },
    },
  };
}
