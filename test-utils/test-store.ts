import { join } from "node:path";
import { exampleMigrations, examplePgMigrations } from "../schema/index.ts";
import { createLibsqlStore, createPostgresStore, type SyncStore } from "../server/index.ts";
import { tempDir } from "./temp-dir.ts";
import { freshPostgresDatabase, postgresUrlForTests } from "./test-postgres.ts";
import { testStoreIsPostgres } from "./test-server.ts";

/** A store of the run's kind on a database of its own, with the example model's tables. */
export interface TestStore {
  readonly store: SyncStore;
  /** Another store over the same database: a second server process. */
  another(): Promise<SyncStore>;
  /** Closes every store opened here and removes the database. */
  close(): Promise<void>;
}

/**
 * Opens a {@link TestStore}: libSQL on a file in a temporary folder, or PostgreSQL on a fresh
 * database when the run's store is PostgreSQL (the vitest project `postgres`).
 */
export async function openTestStore(): Promise<TestStore> {
  const opened: SyncStore[] = [];
  let open: () => Promise<SyncStore>;
  let remove: () => Promise<void>;
  if (testStoreIsPostgres) {
    const database = await freshPostgresDatabase(postgresUrlForTests());
    open = () =>
      createPostgresStore({
        url: database.url,
        modelMigrations: examplePgMigrations,
        poolSize: 3,
      });
    remove = database.drop;
  } else {
    const dir = tempDir("store-");
    const url = `file:${join(dir.path, "server.db")}`;
    open = () => createLibsqlStore({ url, modelMigrations: exampleMigrations });
    remove = async () => dir.remove();
  }
  const another = async () => {
    const store = await open();
    opened.push(store);
    return store;
  };
  const store = await another();
  return {
    store,
    another,
    async close() {
      for (const each of opened) await each.close();
      await remove();
    },
  };
}
