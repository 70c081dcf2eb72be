import type { InArgs, InStatement, InValue, ResultSet, Value } from "@libsql/client";
import { LibsqlError } from "@libsql/core/api";
import { ResultSetImpl } from "@libsql/core/util";
import { Mutex } from "async-mutex";
import Database from "libsql";
import type { Writer, WriteTransaction } from "./run-write.ts";

/** Options of {@link createFileWriter}. */
export interface FileWriterOptions {
  /** How long a write waits for another process's lock, in milliseconds. */
  readonly busyTimeoutMs: number;
  /** Prepared statements kept for reuse (the oldest goes first). */
  readonly cachedStatements?: number;
}

/** A {@link Writer} on its own connection, closed with the store. */
export interface FileWriter extends Writer {
  /** Lets the transactions already queued finish, refuses new ones, closes the connection. */
  close(): Promise<void>;
}

type Statement = ReturnType<Database.Database["prepare"]>;

/** Values bound as @libsql/client binds them (its default integer mode). */
function toSql(value: InValue): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new RangeError("Only finite numbers (not Infinity or NaN) can be passed as arguments");
  }
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (value instanceof Date) return value.valueOf();
  if (value === undefined)
    throw new TypeError("undefined cannot be passed as argument to the database");
  return value;
}

function bindArgs(args: InArgs | undefined): unknown[] | Record<string, unknown> {
  if (args === undefined) return [];
  if (Array.isArray(args)) return args.map(toSql);
  const named: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    named[/^[@$:]/.test(name) ? name.slice(1) : name] = toSql(value);
  }
  return named;
}

const minSafe = BigInt(Number.MIN_SAFE_INTEGER);
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/** A value read back, as @libsql/client gives it: integers as numbers, blobs as ArrayBuffers. */
function fromSql(value: unknown): Value {
  if (typeof value === "bigint") {
    if (value < minSafe || value > maxSafe) {
      throw new RangeError(
        "Received integer which cannot be safely represented as a JavaScript number",
      );
    }
    return Number(value);
  }
  if (Buffer.isBuffer(value)) {
    // A blob usually comes in a buffer of its own: handed over as is, not copied.
    const whole = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength;
    return (
      whole
        ? value.buffer
        : value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength)
    ) as ArrayBuffer;
  }
  return value as Value;
}

/** The row shape of @libsql/client: values by column name (enumerable) and by index. */
function toRow(values: readonly unknown[], columns: readonly string[]): ResultSet["rows"][number] {
  const row = {} as ResultSet["rows"][number];
  Object.defineProperty(row, "length", { value: values.length });
  for (let i = 0; i < values.length; i++) {
    const value = fromSql(values[i]);
    Object.defineProperty(row, i, { value });
    const column = columns[i] as string;
    if (!Object.hasOwn(row, column)) {
      Object.defineProperty(row, column, {
        value,
        enumerable: true,
        configurable: true,
        writable: true,
      });
    }
  }
  return row;
}

/** SQLite's errors as @libsql/client reports them, so callers see one kind of error. */
function toLibsqlError(error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  const raw = (error as { rawCode?: number }).rawCode;
  const extended = (error as { code: string }).code;
  const base = extended.replace(/^(SQLITE_[A-Z]+)_[A-Z_]+$/, "$1");
  return new LibsqlError(error.message, base, extended, raw, error);
}

const closedTransaction = () => new LibsqlError("The transaction is closed", "TRANSACTION_CLOSED");

/** How many values a call binds: a cached statement keeps the values of its last call. */
const arityOf = (bound: unknown[] | Record<string, unknown>): number =>
  Array.isArray(bound) ? bound.length : Object.keys(bound).length;

/**
 * A writer on a local libSQL file that keeps its prepared statements: a batch of a thousand rows
 * is one INSERT whose compilation costs more than running it, and @libsql/client prepares every
 * statement anew. Statements run as @libsql/client runs them (same binding, same rows, same
 * errors), on one connection of the writer's own, one transaction at a time. As in a transaction
 * of @libsql/client, a statement after SQLite rolled the transaction back by itself (ON CONFLICT
 * ROLLBACK, a full disk) fails with `TRANSACTION_CLOSED` instead of running on its own. A cached
 * statement must be given as many values on every call as on its first (else a `RangeError`):
 * it would otherwise keep values bound by an earlier call where @libsql/client binds NULL.
 */
export function createFileWriter(
  path: string,
  { busyTimeoutMs, cachedStatements = 64 }: FileWriterOptions,
): FileWriter {
  let db = new Database(path, { timeout: busyTimeoutMs });
  const statements = new Map<string, { statement: Statement; arity: number | undefined }>();
  const prepare = (sql: string) => {
    let cached = statements.get(sql);
    if (cached) {
      // Most recently used last: the map's order is the eviction order.
      statements.delete(sql);
    } else {
      const statement = db.prepare(sql);
      if (statement.reader) statement.raw(true);
      statement.safeIntegers(true);
      cached = { statement, arity: undefined };
    }
    statements.set(sql, cached);
    if (statements.size > cachedStatements) {
      const oldest = statements.keys().next().value;
      if (oldest !== undefined) statements.delete(oldest);
    }
    return cached;
  };
  const execute = (stmt: InStatement): ResultSet => {
    const { sql, args } = typeof stmt === "string" ? { sql: stmt, args: undefined } : stmt;
    try {
      const cached = prepare(sql);
      const { statement } = cached;
      const bound = bindArgs(args);
      const arity = arityOf(bound);
      cached.arity ??= arity;
      if (arity !== cached.arity) {
        throw new RangeError(
          `${arity} values given to a statement that took ${cached.arity}: bind every parameter`,
        );
      }
      if (statement.reader) {
        const columns = statement.columns().map((column) => column.name);
        const types = statement.columns().map((column) => column.type ?? "");
        const rows = (statement.all(bound) as unknown[][]).map((values) => toRow(values, columns));
        return new ResultSetImpl(columns, types, rows, 0, undefined);
      }
      const info = statement.run(bound);
      return new ResultSetImpl([], [], [], info.changes, BigInt(info.lastInsertRowid));
    } catch (error) {
      throw toLibsqlError(error);
    }
  };
  /** A connection whose ROLLBACK failed may still hold its transaction: it is replaced. */
  const reopen = () => {
    statements.clear();
    try {
      db.close();
    } catch {}
    db = new Database(path, { timeout: busyTimeoutMs });
  };
  const mutex = new Mutex();
  let closing = false;
  return {
    run: (work) => {
      if (closing) return Promise.reject(new LibsqlError("The client is closed", "CLIENT_CLOSED"));
      return mutex.runExclusive(async () => {
        if (!db.open) throw new LibsqlError("The client is closed", "CLIENT_CLOSED");
        execute("BEGIN IMMEDIATE");
        // Valid only until this run settles, and only while SQLite keeps the transaction open.
        let open = true;
        const tx: WriteTransaction = {
          execute: async (stmt) => {
            if (!open || !db.inTransaction) {
              open = false;
              throw closedTransaction();
            }
            return execute(stmt);
          },
        };
        try {
          const result = await work(tx);
          if (!db.inTransaction) throw closedTransaction();
          open = false;
          execute("COMMIT");
          return result;
        } catch (error) {
          open = false;
          if (db.open && db.inTransaction) {
            try {
              execute("ROLLBACK");
            } catch {
              reopen();
            }
          }
          throw error;
        }
      });
    },
    drain: () => mutex.runExclusive(() => undefined),
    async close() {
      closing = true;
      // Runs queued before the close finish first.
      await mutex.runExclusive(() => {
        statements.clear();
        if (db.open) db.close();
      });
    },
  };
}
