import { graphql } from "./generated/index.ts";

/** The one mutation the client sends: a batch of the outbox, answered with verdicts and mappings. */
export const SyncBatchMutation = graphql(`
  mutation SyncBatch($input: SyncBatchInput!) {
    syncBatch(input: $input) {
      batchId
      replayed
      results {
        eventId
        status
        error {
          code
          message
        }
      }
      keyMappings {
        table
        clientKey
        serverKey
      }
    }
  }
`);
