import type { Client } from "@urql/core";
import { classify } from "./classify-failure.ts";
import { graphql } from "./generated/index.ts";
import { SyncClientError } from "./sync-client-error.ts";

/** The server's limits, read before a send to size the batches. */
export const SyncLimitsQuery = graphql(`
  query SyncLimits {
    syncLimits {
      maxOperationsPerRequest
      maxBodyBytes
    }
  }
`);

/** The server's limits, read through the `syncLimits` query. */
export interface ServerLimits {
  readonly maxOperations: number;
  /** The longest request body the server reads, in bytes. */
  readonly maxBodyBytes: number;
}

const positive = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) > 0;

/** The server's limits, through the `syncLimits` query; a {@link SyncClientError} if it fails. */
export async function readLimits(
  urql: Client,
  fetch: typeof globalThis.fetch,
): Promise<ServerLimits> {
  const result = await urql.query(SyncLimitsQuery, {}, { fetch }).toPromise();
  if (result.error) throw classify(result.error);
  const limits = result.data?.syncLimits;
  if (!positive(limits?.maxOperationsPerRequest) || !positive(limits?.maxBodyBytes)) {
    throw new SyncClientError("ANSWER_MISMATCH", "the server's limits are missing from its answer");
  }
  return { maxOperations: limits.maxOperationsPerRequest, maxBodyBytes: limits.maxBodyBytes };
}
