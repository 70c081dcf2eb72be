import { join } from "node:path";
import { type Client, createClient, type Row } from "@libsql/client";
import { exampleMigrations } from "../schema/index.ts";
import {
  createLibsqlStore,
  createSyncServer,
  type SyncOperation,
  type SyncServer,
  type SyncServerOptions,
  type SyncStore,
} from "../server/index.ts";
import { type BatchSeqCounter, batchSeqCounter } from "./batch-seq-counter.ts";
import { tempDir } from "./temp-dir.ts";

/** The mutation as an app sends it, with every field of the answer. */
export const syncBatchDocument = /* GraphQL */ `
  mutation SyncBatch($input: SyncBatchInput!) {
    syncBatch(input: $input) {
      batchId
      replayed
      results {
        eventId status error { code message } version
        conflict { serverVersion serverRow columns resolution }
      }
      keyMappings { table clientKey serverKey }
    }
  }
`;

/** The answer of `syncBatch` as JSON. */
export interface SyncBatchAnswer {
  batchId: string;
  replayed: boolean;
  results: Array<{
    eventId: string;
    status: string;
    error: { code: string; message: string } | null;
    /** The row's version after an applied write; null when rejected. */
    version: number | null;
    conflict: {
      serverVersion: number;
      serverRow: Record<string, unknown> | null;
      columns: string[];
      resolution: string;
    } | null;
  }>;
  keyMappings: Array<{ table: string; clientKey: string; serverKey: string }>;
}

/** A GraphQL response as JSON. */
export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  text: string;
}

/** A sync server on a database file in a temporary folder, called in-process through `yoga.fetch`. */
export interface TestServer {
  readonly sync: SyncServer;
  readonly url: string;
  readonly dir: string;
  /** Posts a raw body (any text) with the given content type. */
  post(body: string, headers?: Record<string, string>): Promise<GraphQLResponse>;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<T>>;
  /**
   * Sends one syncBatch; `answer` is set when the request succeeded as a whole. Its `batchSeq` is
   * `batchSeq` when given, else the one this helper gave the same clientId and batchId before (a
   * repeat is a replay, as a device's), else one more than the highest it gave that clientId.
   */
  syncBatch(
    clientId: string,
    batchId: string,
    operations: readonly SyncOperation[],
    batchSeq?: number,
  ): Promise<GraphQLResponse<{ syncBatch: SyncBatchAnswer }> & { answer: SyncBatchAnswer }>;
  /**
   * The `batchSeq` to send with a batch of `clientId` built by hand (see {@link BatchSeqCounter}):
   * the same for a repeated batchId, else above every one given to that clientId.
   */
  readonly batchSeq: BatchSeqCounter;
  /** Reads the server's database directly (a second connection to the file). */
  rows(sql: string, args?: Array<string | number | null>): Promise<Row[]>;
  close(): Promise<void>;
}

/** Options of {@link startTestServer}: `createSyncServer`'s, plus a wrapper around the store. */
export interface TestServerOptions extends Omit<SyncServerOptions, "database"> {
  readonly wrapStore?: (store: SyncStore) => SyncStore;
  /** A database URL to open instead of a new file (a restart); the caller owns its files. */
  readonly reuseDatabase?: string;
  /** Statements run on the database before the server starts (the tables of a test's model). */
  readonly tables?: readonly string[];
}

/** Starts a {@link TestServer}. */
export async function startTestServer({
  wrapStore,
  reuseDatabase,
  tables = [],
  ...options
}: TestServerOptions = {}): Promise<TestServer> {
  const dir = tempDir();
  const url = reuseDatabase ?? `file:${join(dir.path, "server.db")}`;
  const store = await createLibsqlStore({ url, modelMigrations: exampleMigrations });
  if (tables.length > 0) {
    const setup = createClient({ url });
    for (const sql of tables) await setup.execute(sql);
    setup.close();
  }
  const sync = await createSyncServer({
    database: wrapStore ? wrapStore(store) : store,
    logging: false,
    ...options,
  });
  let reader: Client | undefined;
  const batchSeqs = batchSeqCounter();

  const post = async (
    body: string,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse> => {
    const response = await sync.yoga.fetch("http://127.0.0.1/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
    const text = await response.text();
    let json: Partial<GraphQLResponse> = {};
    try {
      json = JSON.parse(text) as Partial<GraphQLResponse>;
    } catch {
      // A non-JSON answer is returned as text for the test to inspect.
    }
    return { ...json, status: response.status, text };
  };
  const gql = async <T>(query: string, variables?: Record<string, unknown>) =>
    (await post(JSON.stringify({ query, variables }))) as GraphQLResponse<T>;

  return {
    sync,
    url,
    dir: dir.path,
    post,
    gql,
    batchSeq: batchSeqs,
    async syncBatch(clientId, batchId, operations, batchSeq) {
      const input = {
        clientId,
        batchId,
        batchSeq: batchSeqs(clientId, batchId, batchSeq),
        operations,
      };
      const response = await gql<{ syncBatch: SyncBatchAnswer }>(syncBatchDocument, { input });
      return { ...response, answer: response.data?.syncBatch as SyncBatchAnswer };
    },
    async rows(sql, args = []) {
      reader ??= createClient({ url });
      return (await reader.execute({ sql, args })).rows;
    },
    async close() {
      reader?.close();
      await sync.close();
      dir.remove();
    },
  };
}
