import { graphql } from "./generated/index.ts";

/**
 * The one mutation the client sends: a batch of the outbox, answered with verdicts (each applied
 * write with its row's version, and the conflict an operation met) and mappings.
 */
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
        version
        conflict {
          serverVersion
          serverRow
          columns
          resolution
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
