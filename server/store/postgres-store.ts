import type { MigrationMeta } from "drizzle-orm/migrator";
import type postgres from "postgres";
import { storePgMigrations } from "../generated/store-pg-migrations.ts";
import { readChangePage } from "./postgres-change-page.ts";
import { openPostgres, rowsOf, sqlState, valuesOf } from "./postgres-connection.ts";
import { postgresKeys } from "./postgres-keys.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { findClientBinding, postgresRequests } from "./postgres-requests.ts";
import { postgresRowStates } from "./postgres-row-states.ts";
import { postgresRows } from "./postgres-rows.ts";
import {
  adoptRows,
  commitMarkOf,
  factsOf,
  initStoreFacts,
  pruneBatches,
  pruneTombstones,
} from "./postgres-upkeep.ts";
import type { SyncStore, SyncStoreTransaction } from "./sync-store.ts";

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (any URL postgres.js takes). */
  readonly url: string;
  /**
   * Connections this process opens at most, shared by its requests (one more is kept for handing
   * out server keys). Default 10: several processes share the database's `max_connections`.
   */
  readonly poolSize?: number;
  /** drizzle-kit migrations of the synced model for PostgreSQL, applied before the store's own. */
  readonly modelMigrations?: readonly MigrationMeta[];
  /** How many times a transaction is run again after a deadlock or serialization failure. */
  readonly retries?: number;
}

/** Deadlock and serialization failure: the transaction did nothing and may simply run again. */
const retryable = new Set(["40001", "40P01"]);

/**
 * Reserves `count` server keys of a table on a connection of its own, committed at once: a key
 * handed out is never handed out again, even when the request that took it rolls back, and no
 * request waits for another's commit to number its rows. The block starts above every key the
 * table holds (rows written by other means included).
 */
function keyBlocks(sql: postgres.Sql) {
  return async (table: string, key: string, count: number): Promise<number> => {
    const above = `(SELECT coalesce(max(${key}), 0) + 1 FROM ${`"${table.replaceAll('"', '""')}"`})`;
    const [row] = await rowsOf(sql, {
      text: `INSERT INTO sync_key_block (table_name, next_key) VALUES ($1, ${above} + $2::bigint)
        ON CONFLICT (table_name) DO UPDATE SET next_key = greatest(sync_key_block.next_key, ${above}) + $2::bigint
        RETURNING next_key - $2::bigint AS first`,
      args: [table, count],
    });
    return Number(row?.first);
  };
}

/**
 * The PostgreSQL store: several server processes over one database. Every guarantee rests on the
 * database: a clientId's requests apply one at a time (an advisory lock), a row's sync state is
 * locked while it is written, change sequence numbers follow commit order (one counter row), and
 * a transaction that meets a deadlock runs again. Applies migrations before it resolves.
 */
export async function createPostgresStore({
  url,
  poolSize = 10,
  modelMigrations,
  retries = 5,
}: PostgresStoreOptions): Promise<SyncStore> {
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) {
    throw new Error(`poolSize must be a positive integer, got ${poolSize}`);
  }
  const sql = openPostgres(url, poolSize);
  const keySql = openPostgres(url, 1);
  try {
    if (modelMigrations) await migratePostgres(sql, modelMigrations, "__drizzle_migrations");
    await migratePostgres(sql, storePgMigrations, "__sync_server_migrations");
    await initStoreFacts(sql);
  } catch (error) {
    await Promise.all([sql.end(), keySql.end()]);
    throw error;
  }
  const reserveKeyBlock = keyBlocks(keySql);
  let closed = false;

  const write = async <T>(work: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> => {
    if (closed) throw new Error("the store is closed");
    for (let attempt = 0; ; attempt++) {
      try {
        return (await sql.begin(work)) as T;
      } catch (error) {
        const state = sqlState(error);
        if (attempt >= retries || state === undefined || !retryable.has(state)) throw error;
      }
    }
  };
  const read = <T>(work: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new Error("the store is closed"));
    return sql.begin("isolation level repeatable read read only", work) as Promise<T>;
  };

  return {
    writeTransaction(work) {
      return write((tx) => {
        const store: SyncStoreTransaction = {
          ...postgresRequests(tx),
          ...postgresKeys(tx, reserveKeyBlock),
          ...postgresRows(tx),
          ...postgresRowStates(tx),
        };
        return work(store);
      });
    },
    adoptRows: (model) => write((tx) => adoptRows(tx, model, Date.now())),
    findClientBinding: (clientId, subject) =>
      closed
        ? Promise.reject(new Error("the store is closed"))
        : findClientBinding(sql, clientId, subject),
    facts: () => (closed ? Promise.reject(new Error("the store is closed")) : factsOf(sql)),
    commitMark: (seq) => read((tx) => commitMarkOf(tx, seq)),
    readChanges: (query) => read((tx) => readChangePage(tx, query)),
    pruneTombstones: (before, max) => write((tx) => pruneTombstones(tx, before, max)),
    pruneBatches: (retention) => write((tx) => pruneBatches(tx, retention)),
    async tableColumns(table) {
      const rows = await valuesOf(sql, {
        text: "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        args: [table],
      });
      return rows.map(([name]) => String(name));
    },
    async close() {
      if (closed) return;
      closed = true;
      // Lets running transactions finish, then closes every connection.
      await Promise.all([sql.end({ timeout: 30 }), keySql.end({ timeout: 30 })]);
    },
  };
}
