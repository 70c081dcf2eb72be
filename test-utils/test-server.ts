import { join } from "node:path";
import { createClient } from "@libsql/client";
import { exampleMigrations, examplePgMigrations } from "../schema/index.ts";
import {
  createLibsqlStore,
  createPostgresStore,
  createSyncServer,
  isPostgresUrl,
  type SyncOperation,
  type SyncServer,
  type SyncServerOptions,
  type SyncStore,
} from "../server/index.ts";
import { dollarParams, openPostgres } from "../server/store/postgres-connection.ts";
import { type BatchSeqCounter, batchSeqCounter } from "./batch-seq-counter.ts";
import { tempDir } from "./temp-dir.ts";
import { freshPostgresDatabase, postgresUrlForTests } from "./test-postgres.ts";

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

/** A row read back by {@link TestServer.rows}, by column name. */
export type Row = Record<string, unknown>;

/** Whether this run's tests use the PostgreSQL store (the vitest project `postgres`). */
export const testStoreIsPostgres = process.env.SYNC_TEST_STORE === "postgres";

/**
 * A sync server on a database of its own (a file in a temporary folder, or a fresh PostgreSQL
 * database when {@link testStoreIsPostgres}), called in-process through `yoga.fetch`.
 */
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
  /**
   * Runs a statement on the server's database directly (a second connection), `?` placeholders
   * on both stores; its rows by column name (integers as numbers).
   */
  rows(sql: string, args?: Array<string | number | null>): Promise<Row[]>;
  /** The names of every table of the server's database (the app's and the store's), sorted. */
  tableNames(): Promise<string[]>;
  /**
   * A copy of the database as it is now (a backup), for `reuseDatabase`: its URL, and `remove()`
   * to call once no server uses it. Take it between requests.
   */
  copyDatabase(): Promise<{ url: string; remove(): Promise<void> }>;
  close(): Promise<void>;
}

/** Options of {@link startTestServer}: `createSyncServer`'s, plus a wrapper around the store. */
export interface TestServerOptions extends Omit<SyncServerOptions, "database"> {
  readonly wrapStore?: (store: SyncStore) => SyncStore;
  /** A database URL to open instead of a new one (a restart); the caller owns the database. */
  readonly reuseDatabase?: string;
  /**
   * Statements run on the database before the server starts (the tables of a test's model), in
   * SQLite's words; on PostgreSQL `AUTOINCREMENT` is left out (the server numbers rows itself).
   */
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
  const database = await openTestDatabase(dir.path, reuseDatabase);
  const store = await database.open();
  for (const statement of tables) await database.run(database.ddl(statement), []);
  const sync = await createSyncServer({
    database: wrapStore ? wrapStore(store) : store,
    // SYNC_TEST_LOG=1 shows the server's unexpected errors while a test is debugged.
    logging: process.env.SYNC_TEST_LOG === "1",
    ...options,
  });
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
    url: database.url,
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
    rows: (sql, args = []) => database.run(sql, args),
    copyDatabase: () => database.copy(),
    async tableNames() {
      return (await database.run(database.tablesQuery, [])).map(({ name }) => String(name));
    },
    async close() {
      await sync.close();
      await database.close();
      dir.remove();
    },
  };
}

/** A test server's database: its store, a second connection to it, and its removal. */
interface TestDatabase {
  readonly url: string;
  open(): Promise<SyncStore>;
  /** A copy of the database as it is now. */
  copy(): Promise<{ url: string; remove(): Promise<void> }>;
  /** A SELECT of `name`: every table, sorted. */
  readonly tablesQuery: string;
  /** A test's CREATE TABLE, written for SQLite, as this database takes it. */
  ddl(statement: string): string;
  run(sql: string, args: ReadonlyArray<string | number | null>): Promise<Row[]>;
  close(): Promise<void>;
}

/**
 * The database of a test server: `reuse` when given (a restart: the caller owns it), else a new
 * file in `folder`, or a fresh PostgreSQL database dropped at close when the run's store is
 * PostgreSQL.
 */
async function openTestDatabase(folder: string, reuse?: string): Promise<TestDatabase> {
  const postgres = reuse === undefined ? testStoreIsPostgres : isPostgresUrl(reuse);
  if (!postgres) {
    const url = reuse ?? `file:${join(folder, "server.db")}`;
    const reader = createClient({ url });
    return {
      url,
      open: () => createLibsqlStore({ url, modelMigrations: exampleMigrations }),
      ddl: (statement) => statement,
      async copy() {
        const backups = tempDir();
        const path = join(backups.path, "copy.db");
        await reader.execute({ sql: "VACUUM INTO ?", args: [path] });
        return { url: `file:${path}`, remove: async () => backups.remove() };
      },
      tablesQuery: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
      async run(sql, args) {
        const { rows, columns } = await reader.execute({ sql, args: [...args] });
        return rows.map((row) => Object.fromEntries(columns.map((name, i) => [name, row[i]])));
      },
      async close() {
        reader.close();
      },
    };
  }
  const fresh =
    reuse === undefined ? await freshPostgresDatabase(postgresUrlForTests()) : undefined;
  const url = reuse ?? fresh?.url ?? "";
  const reader = openPostgres(url, 2);
  return {
    url,
    open: () => createPostgresStore({ url, modelMigrations: examplePgMigrations, poolSize: 4 }),
    copy: () => copyPostgresDatabase(url),
    tablesQuery:
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
    ddl: (statement) => statement.replace(/\s+AUTOINCREMENT\b/gi, ""),
    async run(sql, args) {
      return [...(await reader.unsafe(dollarParams(sql), args as never[]))];
    },
    async close() {
      await reader.end();
      await fresh?.drop();
    },
  };
}

/**
 * A copy of a PostgreSQL database made with `CREATE DATABASE … TEMPLATE`, which needs the source
 * without sessions: the idle connections of the server are ended first (its pool opens new ones
 * at its next request).
 */
async function copyPostgresDatabase(
  url: string,
): Promise<{ url: string; remove(): Promise<void> }> {
  const source = new URL(url).pathname.slice(1);
  const copy = await freshPostgresDatabase(postgresUrlForTests());
  const target = new URL(copy.url).pathname.slice(1);
  const admin = openPostgres(postgresUrlForTests(), 1);
  try {
    await admin.unsafe(`DROP DATABASE ${target}`);
    for (let attempt = 0; ; attempt++) {
      await admin.unsafe(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        [source],
      );
      try {
        // Names made by freshPostgresDatabase: lower-case letters, digits and underscores.
        await admin.unsafe(`CREATE DATABASE ${target} TEMPLATE ${source}`);
        break;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } finally {
    await admin.end();
  }
  return { url: copy.url, remove: copy.drop };
}
