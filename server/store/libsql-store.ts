import { fileURLToPath } from "node:url";
import { type Client, createClient, type InValue } from "@libsql/client";
import { expandConfig } from "@libsql/core/config";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import type { ColumnInfo, TableInfo } from "../../schema/index.ts";
import {
  createFileWriter,
  createWriter,
  type FileWriter,
  quoteIdentifier,
  type WriteTransaction,
} from "../../schema/index.ts";
import {
  ConstraintViolation,
  type Row,
  type RowGroup,
  type SqlValue,
  type StoredBatch,
  type SyncStore,
  type SyncStoreTransaction,
  type TempKeyEntry,
} from "./sync-store.ts";

/** Options of {@link createLibsqlStore}. */
export interface LibsqlStoreOptions {
  /** Any libSQL URL: `file:data/server.db`, `libsql://…`, `http://…`. */
  readonly url: string;
  readonly authToken?: string;
  /** How long a write waits for another process's lock, in milliseconds. */
  readonly busyTimeoutMs?: number;
  /** drizzle-kit migrations of the synced model, applied before the store's own. */
  readonly modelMigrationsFolder?: string;
}

const storeMigrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));

/** SQLite caps bound parameters per statement (32,766); stay well below. */
const maxParametersPerStatement = 30_000;

function isConstraintError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("SQLITE_CONSTRAINT");
}

/** The constraint message without SQL text: SQLite's own wording names the column, not the query. */
function constraintMessage(error: Error): string {
  return error.message.replace(/^SQLITE_CONSTRAINT[A-Z_]*:\s*/, "");
}

const insertSqlCache = new WeakMap<TableInfo, Map<number, string>>();

/** `INSERT INTO table (columns) VALUES (?, …), …` for `count` rows; kept per table, as a batch's sizes repeat. */
function insertSql(table: TableInfo, count: number): string {
  let byCount = insertSqlCache.get(table);
  if (!byCount) {
    byCount = new Map();
    insertSqlCache.set(table, byCount);
  }
  let sql = byCount.get(count);
  if (sql === undefined) {
    const columns = table.columns.map((column) => quoteIdentifier(column.name)).join(", ");
    const tuple = `(${table.columns.map(() => "?").join(", ")})`;
    sql = `INSERT INTO ${quoteIdentifier(table.name)} (${columns}) VALUES ${new Array(count).fill(tuple).join(", ")}`;
    if (byCount.size >= 64) byCount.clear();
    byCount.set(count, sql);
  }
  return sql;
}

function libsqlTransaction(tx: WriteTransaction): SyncStoreTransaction {
  const nextKeys = new Map<string, number>();
  let savepoints = 0;

  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (isConstraintError(error)) throw new ConstraintViolation(constraintMessage(error));
      throw error;
    }
  };

  return {
    async findBatch(clientId, batchId) {
      const { rows } = await tx.execute({
        sql: "SELECT request_hash, answer FROM sync_batch WHERE client_id = ? AND batch_id = ?",
        args: [clientId, batchId],
      });
      const [row] = rows;
      if (!row) return undefined;
      return { requestHash: String(row.request_hash), answer: String(row.answer) } as StoredBatch;
    },

    async saveBatch(clientId, batchId, batch) {
      await tx.execute({
        sql: "INSERT INTO sync_batch (client_id, batch_id, request_hash, answer, created_at) VALUES (?, ?, ?, ?, ?)",
        args: [clientId, batchId, batch.requestHash, batch.answer, new Date().toISOString()],
      });
    },

    async findTempKeys(clientId, table, clientKeys) {
      const found = new Map<number, number | null>();
      if (clientKeys.length === 0) return found;
      let low = Number.POSITIVE_INFINITY;
      let high = Number.NEGATIVE_INFINITY;
      for (const key of clientKeys) {
        if (key < low) low = key;
        if (key > high) high = key;
      }
      // The runs that can hold a key in [low, high]: those starting inside it, and the one run
      // starting above it, which may reach down into it (runs never overlap).
      const { rows: runs } = await tx.execute({
        sql: `SELECT first_client, last_client, first_server FROM sync_key_run
              WHERE client_id = ?1 AND table_name = ?2 AND first_client BETWEEN ?3 AND ?4
              UNION ALL
              SELECT * FROM (SELECT first_client, last_client, first_server FROM sync_key_run
                WHERE client_id = ?1 AND table_name = ?2 AND first_client > ?4
                ORDER BY first_client LIMIT 1)`,
        args: [clientId, table, low, high],
      });
      const { rows: rejected } = await tx.execute({
        sql: `SELECT client_key FROM sync_rejected_key
              WHERE client_id = ? AND table_name = ? AND client_key BETWEEN ? AND ?`,
        args: [clientId, table, low, high],
      });
      if (runs.length === 0 && rejected.length === 0) return found;
      const wanted = new Set(clientKeys);
      for (const row of rejected) {
        const key = Number(row.client_key);
        if (wanted.has(key)) found.set(key, null);
      }
      for (const run of runs) {
        const first = Number(run.first_client);
        const last = Number(run.last_client);
        const server = Number(run.first_server);
        // Walk the smaller side: the run's keys or the keys asked for.
        if (first - last + 1 <= wanted.size) {
          for (let key = first; key >= last; key--) {
            if (wanted.has(key)) found.set(key, server + (first - key));
          }
        } else {
          for (const key of wanted) {
            if (key <= first && key >= last) found.set(key, server + (first - key));
          }
        }
      }
      return found;
    },

    async saveTempKeys(clientId, entries: readonly TempKeyEntry[]) {
      const mapped = entries
        .filter((entry) => entry.serverKey !== null)
        .toSorted((a, b) =>
          a.table === b.table ? b.clientKey - a.clientKey : a.table < b.table ? -1 : 1,
        );
      const runs: Array<[table: string, first: number, last: number, server: number]> = [];
      let run: (typeof runs)[number] | undefined;
      for (const { table, clientKey, serverKey } of mapped) {
        const server = serverKey as number;
        if (
          run &&
          run[0] === table &&
          clientKey === run[2] - 1 &&
          server === run[3] + (run[1] - clientKey)
        ) {
          run[2] = clientKey;
        } else {
          run = [table, clientKey, clientKey, server];
          runs.push(run);
        }
      }
      if (runs.length > 0) {
        await tx.execute({
          sql: `INSERT INTO sync_key_run (client_id, table_name, first_client, last_client, first_server)
                SELECT ?, value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)`,
          args: [clientId, JSON.stringify(runs)],
        });
        // A key rejected once and applied now is no longer a rejected key.
        await tx.execute({
          sql: `DELETE FROM sync_rejected_key WHERE client_id = ? AND EXISTS (
                  SELECT 1 FROM json_each(?) AS r WHERE r.value ->> 0 = sync_rejected_key.table_name
                  AND sync_rejected_key.client_key BETWEEN r.value ->> 2 AND r.value ->> 1)`,
          args: [clientId, JSON.stringify(runs)],
        });
      }
      const rejected = entries.filter((entry) => entry.serverKey === null);
      if (rejected.length > 0) {
        await tx.execute({
          sql: `INSERT OR IGNORE INTO sync_rejected_key (client_id, table_name, client_key)
                SELECT ?, value ->> 0, value ->> 1 FROM json_each(?)`,
          args: [clientId, JSON.stringify(rejected.map((entry) => [entry.table, entry.clientKey]))],
        });
      }
    },

    async findRejectedRows(clientId, rows) {
      if (rows.length === 0) return new Set<string>();
      const { rows: found } = await tx.execute({
        sql: `SELECT r.table_name, r.row_key FROM json_each(?) AS j CROSS JOIN sync_rejected_row r
              ON r.client_id = ? AND r.table_name = j.value ->> 0 AND r.row_key = j.value ->> 1`,
        args: [JSON.stringify(rows.map((row) => [row.table, row.key])), clientId],
      });
      return new Set(found.map((row) => `${String(row.table_name)}\u0000${String(row.row_key)}`));
    },

    async saveRejectedRows(clientId, rejected, inserted) {
      if (inserted.length > 0) {
        await tx.execute({
          sql: `DELETE FROM sync_rejected_row WHERE client_id = ? AND (table_name, row_key) IN
                (SELECT value ->> 0, value ->> 1 FROM json_each(?))`,
          args: [clientId, JSON.stringify(inserted.map((row) => [row.table, row.key]))],
        });
      }
      if (rejected.length > 0) {
        await tx.execute({
          sql: `INSERT OR IGNORE INTO sync_rejected_row (client_id, table_name, row_key)
                SELECT ?, value ->> 0, value ->> 1 FROM json_each(?)`,
          args: [clientId, JSON.stringify(rejected.map((row) => [row.table, row.key]))],
        });
      }
    },

    async reserveKeys(table, count) {
      let next = nextKeys.get(table.name);
      if (next === undefined) {
        const { rows } = await tx.execute({
          sql: `SELECT max(
                  coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0),
                  coalesce((SELECT max(${quoteIdentifier(table.key.name)}) FROM ${quoteIdentifier(table.name)}), 0)
                ) + 1 AS next`,
          args: [table.name],
        });
        next = Number(rows[0]?.next ?? 1);
      }
      nextKeys.set(table.name, next + count);
      return next;
    },

    async insertRows(groups: readonly RowGroup[]) {
      const statements = [];
      for (const { table, rows } of groups) {
        const width = table.columns.length;
        const perStatement = Math.max(1, Math.floor(maxParametersPerStatement / width));
        for (let start = 0; start < rows.length; start += perStatement) {
          const count = Math.min(perStatement, rows.length - start);
          const args = new Array<InValue>(count * width);
          for (let i = 0; i < count; i++) {
            const row = rows[start + i] as Row;
            for (let j = 0; j < width; j++) args[i * width + j] = row[j] ?? null;
          }
          statements.push({ sql: insertSql(table, count), args });
        }
      }
      if (statements.length === 0) return;
      const [only] = statements;
      if (statements.length === 1 && only) {
        // SQLite undoes a failed statement by itself, so one statement needs no savepoint.
        await guard(() => tx.execute(only));
        return;
      }
      const name = `insert_rows_${++savepoints}`;
      await tx.execute(`SAVEPOINT ${name}`);
      try {
        for (const statement of statements) await guard(() => tx.execute(statement));
        await tx.execute(`RELEASE ${name}`);
      } catch (error) {
        await tx.execute(`ROLLBACK TO ${name}`);
        await tx.execute(`RELEASE ${name}`);
        throw error;
      }
    },

    async updateRow(table, key: SqlValue, changes) {
      const assignments = changes.map(([column]) => `${quoteIdentifier(column)} = ?`).join(", ");
      const result = await guard(() =>
        tx.execute({
          sql: `UPDATE ${quoteIdentifier(table.name)} SET ${assignments} WHERE ${quoteIdentifier(table.key.name)} = ?`,
          args: [...changes.map(([, value]) => value), key],
        }),
      );
      return result.rowsAffected > 0;
    },

    async hasRow(table: TableInfo, column: ColumnInfo, value: SqlValue) {
      const { rows } = await tx.execute({
        sql: `SELECT EXISTS (SELECT 1 FROM ${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(column.name)} = ?) AS found`,
        args: [value],
      });
      return Number(rows[0]?.found) === 1;
    },

    async deleteRow(table: TableInfo, key: SqlValue) {
      const result = await guard(() =>
        tx.execute({
          sql: `DELETE FROM ${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(table.key.name)} = ?`,
          args: [key],
        }),
      );
      return result.rowsAffected > 0;
    },
  };
}

async function prepare(client: Client, modelMigrationsFolder: string | undefined): Promise<void> {
  if (client.protocol === "file") {
    // WAL lets readers go on while a batch is written; it is a property of the file, set once.
    await client.execute("PRAGMA journal_mode = WAL");
  }
  const db = drizzle(client);
  if (modelMigrationsFolder) await migrate(db, { migrationsFolder: modelMigrationsFolder });
  await migrate(db, {
    migrationsFolder: storeMigrationsFolder,
    migrationsTable: "__sync_server_migrations",
  });
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
  modelMigrationsFolder,
}: LibsqlStoreOptions): Promise<SyncStore> {
  if (/^(file:)?:memory:/.test(url)) {
    throw new Error(
      `database "${url}": an in-memory database loses its tables at the first transaction in @libsql/client; use a file (a temporary folder for tests)`,
    );
  }
  const client = createClient({
    url,
    ...(authToken === undefined ? {} : { authToken }),
    timeout: busyTimeoutMs,
  });
  // An embedded file is written through a connection that keeps its prepared statements.
  let fileWriter: FileWriter | undefined;
  try {
    await prepare(client, modelMigrationsFolder);
    if (client.protocol === "file") {
      fileWriter = createFileWriter(expandConfig({ url }, true).path, { busyTimeoutMs });
    }
  } catch (error) {
    client.close();
    throw error;
  }
  const writer = fileWriter ?? createWriter(client);
  let closed = false;

  return {
    writeTransaction(work) {
      if (closed) return Promise.reject(new Error("the store is closed"));
      return writer.run((tx) => work(libsqlTransaction(tx)));
    },
    async close() {
      if (closed) return;
      closed = true;
      await writer.drain();
      await fileWriter?.close();
      // Fold the write-ahead log into the database file, so a stopped server leaves one file.
      if (client.protocol === "file") {
        await client.execute("PRAGMA wal_checkpoint(TRUNCATE)").catch(() => undefined);
      }
      client.close();
    },
  };
}
