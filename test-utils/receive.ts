import type { SyncOperation } from "../server/index.ts";
import {
  type GraphQLResponse,
  type SyncBatchAnswer,
  syncBatchDocument,
  type TestServer,
} from "./test-server.ts";

/** `syncChanges` with every field of the answer. */
export const syncChangesDocument = /* GraphQL */ `
  query SyncChanges($input: SyncChangesInput!) {
    syncChanges(input: $input) {
      changes { table key kind version data }
      cursor
      hasMore
      snapshotStart
      reset
    }
  }
`;

/** One change of a page, as JSON. */
export interface WireChange {
  table: string;
  key: string;
  kind: "UPSERT" | "DELETE";
  version: number;
  data: Record<string, unknown> | null;
}

/** One page of `syncChanges`, as JSON. */
export interface WirePage {
  changes: WireChange[];
  cursor: string;
  hasMore: boolean;
  snapshotStart: boolean;
  reset: "CURSOR_EXPIRED" | "SCOPE_CHANGED" | "STORE_CHANGED" | null;
}

/** Sends one syncBatch asking for versions; throws when the request failed as a whole. */
export async function sendBatch(
  server: TestServer,
  clientId: string,
  batchId: string,
  operations: readonly SyncOperation[],
): Promise<SyncBatchAnswer> {
  const response = await server.gql<{ syncBatch: SyncBatchAnswer }>(syncBatchDocument, {
    input: { clientId, batchId, batchSeq: server.batchSeq(clientId, batchId), operations },
  });
  if (response.errors || !response.data) {
    throw new Error(`syncBatch ${batchId} failed: ${response.text}`);
  }
  return response.data.syncBatch;
}

/** Asks for one page: the whole GraphQL response (for tests of errors). */
export function requestPage(
  server: TestServer,
  clientId: string,
  cursor: string | null,
  limit?: number | null,
): Promise<GraphQLResponse<{ syncChanges: WirePage }>> {
  return server.gql<{ syncChanges: WirePage }>(syncChangesDocument, {
    input: { clientId, cursor, ...(limit === undefined ? {} : { limit }) },
  });
}

/** Asks for one page; throws when the request failed. */
export async function fetchPage(
  server: TestServer,
  clientId: string,
  cursor: string | null,
  limit?: number,
): Promise<WirePage> {
  const response = await requestPage(server, clientId, cursor, limit);
  if (response.errors || !response.data) {
    throw new Error(`syncChanges failed: ${response.text}`);
  }
  return response.data.syncChanges;
}

/** A run of pages from one cursor up to the page with `hasMore: false`. */
export interface PageRun {
  pages: WirePage[];
  /** Every change of the run, in order. */
  changes: WireChange[];
  /** The cursor of the last page. */
  cursor: string;
}

/** Reads pages from `cursor` until one says `hasMore: false` (at most `maxPages`). */
export async function receiveRun(
  server: TestServer,
  clientId: string,
  cursor: string | null,
  limit?: number,
  maxPages = 1_000,
): Promise<PageRun> {
  const pages: WirePage[] = [];
  let next = cursor;
  for (;;) {
    if (pages.length >= maxPages) throw new Error(`no page with hasMore false in ${maxPages}`);
    const page = await fetchPage(server, clientId, next, limit);
    pages.push(page);
    next = page.cursor;
    if (!page.hasMore) break;
  }
  return { pages, changes: pages.flatMap((page) => page.changes), cursor: next ?? "" };
}

/** A change as a short tuple, for exact comparisons: `[table, key, kind, version]`. */
export const brief = (change: WireChange): [string, string, string, number] => [
  change.table,
  change.key,
  change.kind,
  change.version,
];

/** The keys `table:key` of changes, in order. */
export const keysOf = (changes: readonly WireChange[]): string[] =>
  changes.map((change) => `${change.table}:${change.key}`);
