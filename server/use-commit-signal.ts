import type { Plugin } from "graphql-yoga";
import type { SyncContext } from "./sync-context.ts";

/** The response header that names the batch a `syncBatch` request committed. */
export const commitHeader = "x-sync-committed";

/**
 * Sets {@link commitHeader} to the batch id on the answer to a `syncBatch` whose transaction
 * committed, or whose answer is the stored one of a batch that committed earlier (the resolver
 * records it in `SyncContext.committedBatchId`); on no other answer. A client may then post its
 * next batch before it has read this answer: that batch may refer to the keys this one mapped.
 * The header is a hint for that only; what the client applies comes from the answer itself.
 */
export function useCommitSignal(): Plugin<SyncContext> {
  // Keyed by the request: the execution sees it in the context, the response hook as its own.
  const committed = new WeakMap<Request, string>();
  return {
    onExecute() {
      return {
        onExecuteDone({ args }) {
          const { committedBatchId, request } = args.contextValue;
          if (committedBatchId !== undefined) committed.set(request, committedBatchId);
        },
      };
    },
    onResponse({ request, response }) {
      const batchId = committed.get(request);
      if (batchId !== undefined) response.headers.set(commitHeader, batchId);
    },
  };
}
