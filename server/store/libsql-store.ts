import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { expandConfig } from "@libsql/core/config";
import type { MigrationMeta } from "drizzle-orm/migrator";
import { type FileReader, openFileReader } from "../../writer/file-reader.ts";
import { createFileWriter, createWriter, type FileWriter } from "../../writer/index.ts";
import { storeMigrations } from "../generated/store-migrations.ts";
import { pruneBatches } from "./libsql-batch-retention.ts";
import { changePagePlan } from "./libsql-change-page.ts";
import {
  adoptRows,
  commitMarkPlan,
  factsPlan,
  initStoreFacts,
  pruneTombstones,
} from "./libsql-changes.ts";
import { clientBindingPlan } from "./libsql-clients.ts";
import { migrateLibsql } from "./libsql-migrate.ts";
import { type ReadPlan, runPlan, runPlanAsync } from "./libsql-reads.ts";
import { libsqlTransaction } from "./libsql-transaction.ts";
import type { SyncStore } from "./sync-store.ts";

/** Options of {@link createLibsqlStore}. */
export interface LibsqlStoreOptions {
  /** Any libSQL URL: `file:data/server.db`, `libsql://…`, `http://…`. */
  readonly url: string;
  readonly authToken?: string;
  /** How long a write waits for another process's lock, in milliseconds. */
  readonly busyTimeoutMs?: number;
  /** drizzle-kit migrations of the synced model, applied before the store's own. */
  readonly modelMigrations?: readonly MigrationMeta[];
}

/** Brings the database to the current model and store tables (drizzle-kit migrations). */
async function migrateDatabase(
  database: Client,
  modelMigrations: readonly MigrationMeta[] | undefined,
): Promise<void> {
  if (database.protocol === "file") {
    // WAL lets readers go on while a batch is written; it is a property of the file, set once.
    await database.execute("PRAGMA journal_mode = WAL");
  }
  if (modelMigrations) await migrateLibsql(database, modelMigrations, "__drizzle_migrations");
  await migrateLibsql(database, storeMigrations, "__sync_server_migrations");
  await initStoreFacts((statement) => database.execute(statement));
}

/**
 * The libSQL store: one database (an embedded file or a libSQL server) holding the synced tables
 * and the server's bookkeeping. Applies migrations before it resolves. Writes are queued inside
 * the process (libSQL's busy wait blocks the event loop) and wait `busyTimeoutMs` for other
 * processes.
 */
export async function createLibsqlStore({
  url,
  authToken,
  busyTimeoutMs = 10_000,
  modelMigrations,
}: LibsqlStoreOptions): Promise<SyncStore> {
  if (/^(file:)?:memory:/.test(url)) {
    throw new Error(
      `database "${url}": an in-memory database loses its tables at the first transaction in @libsql/client; use a file (a temporary folder for tests)`,
    );
  }
  const config = expandConfig({ url }, true);
  // An embedded file's folder is created, as the device's is: a new deployment starts empty.
  if (config.scheme === "file") mkdirSync(dirname(config.path), { recursive: true });
  const database = createClient({
    url,
    ...(authToken === undefined ? {} : { authToken }),
    timeout: busyTimeoutMs,
  });
  // An embedded file is written, and read, through connections that keep their prepared
  // statements; other URLs go through @libsql/client.
  let fileWriter: FileWriter | undefined;
  let fileReader: FileReader | undefined;
  try {
    await migrateDatabase(database, modelMigrations);
    if (database.protocol === "file") {
      fileWriter = createFileWriter(config.path, { busyTimeoutMs });
      fileReader = openFileReader(config.path, { busyTimeoutMs });
    }
  } catch (error) {
    database.close();
    await fileWriter?.close();
    throw error;
  }
  const writer = fileWriter ?? createWriter(database);
  let closed = false;

  /** Runs a read in one read transaction (a consistent snapshot). */
  const read = async <T>(plan: () => ReadPlan<T>): Promise<T> => {
    if (closed) throw new Error("the store is closed");
    // Synchronous from BEGIN to COMMIT: nothing else of this process runs in between.
    if (fileReader) return fileReader.read((execute) => runPlan(plan(), execute));
    const tx = await database.transaction("read");
    try {
      return await runPlanAsync(plan(), tx);
    } finally {
      tx.close();
    }
  };
  /** Runs a read of one statement (consistent by itself). */
  const readOne = async <T>(plan: () => ReadPlan<T>): Promise<T> => {
    if (closed) throw new Error("the store is closed");
    return fileReader
      ? fileReader.read((execute) => runPlan(plan(), execute))
      : runPlanAsync(plan(), database);
  };

  return {
    writeTransaction(work) {
      if (closed) return Promise.reject(new Error("the store is closed"));
      return writer.run((tx) => work(libsqlTransaction(tx)));
    },
    adoptRows(model) {
      if (closed) return Promise.reject(new Error("the store is closed"));
      return writer.run((tx) => adoptRows((statement) => tx.execute(statement), model, Date.now()));
    },
    findClientBinding: (clientId, subject) => readOne(() => clientBindingPlan(clientId, subject)),
    facts: () => readOne(factsPlan),
    commitMark: (seq) => readOne(() => commitMarkPlan(seq)),
    readChanges: (query) => read(() => changePagePlan(query)),
    pruneTombstones(before, max) {
      if (closed) return Promise.reject(new Error("the store is closed"));
      return writer.run((tx) => pruneTombstones((statement) => tx.execute(statement), before, max));
    },
    pruneBatches(retention) {
      if (closed) return Promise.reject(new Error("the store is closed"));
      return writer.run((tx) => pruneBatches((statement) => tx.execute(statement), retention));
    },
    async tableColumns(table) {
      const { rows } = await database.execute({
        sql: "SELECT name FROM pragma_table_info(?)",
        args: [table],
      });
      return rows.map((row) => String(row[0]));
    },
    async close() {
      if (closed) return;
      closed = true;
      await writer.drain();
      await fileWriter?.close();
      await fileReader?.close();
      // Fold the write-ahead log into the database file, so a stopped server leaves one file.
      if (database.protocol === "file") {
        await database.execute("PRAGMA wal_checkpoint(TRUNCATE)").catch(() => undefined);
      }
      database.close();
    },
  };
}
