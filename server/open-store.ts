// The store a database URL names: libSQL (`file:`, `libsql:`, `http:` …) or PostgreSQL
// (`postgres://`, `postgresql://`).
import { type ModelMigrationOptions, modelMigrations, type SyncModel } from "../schema/index.ts";
import { createLibsqlStore } from "./store/libsql-store.ts";
import { createPostgresStore } from "./store/postgres-store.ts";
import type { SyncStore } from "./store/sync-store.ts";

/** Whether a database URL names a PostgreSQL server. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Opens the store a database URL names (`createSyncServer`'s `database`), with the model's
 * migrations for its dialect; `poolSize` only for PostgreSQL.
 */
export async function openStore(
  url: string,
  model: SyncModel,
  {
    migrationsFolder,
    migrations,
  }: { readonly [K in keyof ModelMigrationOptions]?: ModelMigrationOptions[K] | undefined },
  poolSize: number | undefined,
): Promise<SyncStore> {
  const postgres = isPostgresUrl(url);
  if (poolSize !== undefined && !postgres) {
    throw new Error('createSyncServer: option "poolSize" applies to a PostgreSQL database only');
  }
  const list = modelMigrations(
    model,
    {
      ...(migrationsFolder === undefined ? {} : { migrationsFolder }),
      ...(migrations === undefined ? {} : { migrations }),
    },
    (option, problem) => new Error(`createSyncServer: option "${option}" ${problem}`),
    postgres ? "postgresql" : "sqlite",
  );
  const modelOption = list === undefined ? {} : { modelMigrations: list };
  return postgres
    ? createPostgresStore({ url, ...modelOption, ...(poolSize === undefined ? {} : { poolSize }) })
    : createLibsqlStore({ url, ...modelOption });
}
