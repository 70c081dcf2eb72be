import { graphql } from "./generated/index.ts";

/** The server's limits, read before a send to size the batches. */
export const SyncLimitsQuery = graphql(`
  query SyncLimits {
    syncLimits {
      maxOperationsPerRequest
      maxBodyBytes
    }
  }
`);
