import type { Client } from "@urql/core";
import { classify } from "./classify-failure.ts";
import type { SyncChangesQuery as SyncChangesResult } from "./generated/graphql.ts";
import { graphql } from "./generated/index.ts";
import { SyncClientError } from "./sync-client-error.ts";

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

/** A page of the server's changes, as it came (`receive()` checks it). */
export type SyncChangesAnswer = SyncChangesResult["syncChanges"];

/** Which page of changes to ask for. */
export interface ChangesRequest {
  /** The cursor of the last page received; null: from the start. */
  readonly cursor: string | null;
  /** At most this many changes; undefined: the server's page size. */
  readonly limit: number | undefined;
}

/** One attempt of a page of changes; a {@link SyncClientError} if it fails. */
export async function attemptChanges(
  urql: Client,
  clientId: string,
  { cursor, limit }: ChangesRequest,
  fetch: typeof globalThis.fetch,
): Promise<SyncChangesAnswer> {
  const input = { clientId, cursor, ...(limit === undefined ? {} : { limit }) };
  const result = await urql.query(SyncChangesQuery, { input }, { fetch }).toPromise();
  if (result.error) {
    const failure = classify(result.error);
    if (failure.serverCode !== "INVALID_CURSOR") throw failure;
    throw new SyncClientError("INVALID_CURSOR", failure.message, {
      cause: failure.cause,
      serverCode: failure.serverCode,
    });
  }
  const page = result.data?.syncChanges;
  if (!page) {
    throw new SyncClientError("ANSWER_MISMATCH", "the server's answer has no syncChanges result");
  }
  return page;
}
