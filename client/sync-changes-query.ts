import { graphql } from "./generated/index.ts";

/** The query `receive()` reads pages with: the server's changes after a cursor. */
export const SyncChangesQuery = graphql(`
  query SyncChanges($input: SyncChangesInput!) {
    syncChanges(input: $input) {
      changes {
        table
        key
        kind
        version
        data
      }
      cursor
      hasMore
      snapshotStart
      reset
    }
  }
`);
