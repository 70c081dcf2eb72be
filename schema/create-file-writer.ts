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
  close(): void;
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

/** A value read back, as @libsql/client gives it: integers as numbers, blobs as ArrayBuffers. */
function fromSql(value: unknown): Value {
  if (typeof value === "bigint") {
    if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
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

/**
 * A writer on a local libSQL file that keeps its prepared statements: a batch of a thousand rows
 * is one INSERT whose compilation costs more than running it, and @libsql/client prepares every
 * statement anew. Statements run as @libsql/client runs them (same binding, same rows, same
 * errors), on one connection of the writer's own, one transaction at a time.
 */
export function createFileWriter(
  path: string,
  { busyTimeoutMs, cachedStatements = 64 }: FileWriterOptions,
): FileWriter {
  const db = new Database(path, { timeout: busyTimeoutMs });
  const statements = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (statement) {
      // Most recently used last: the map's order is the eviction order.
      statements.delete(sql);
    } else {
      statement = db.prepare(sql);
      if (statement.reader) statement.raw(true);
      statement.safeIntegers(true);
    }
    statements.set(sql, statement);
    if (statements.size > cachedStatements) {
      const oldest = statements.keys().next().value;
      if (oldest !== undefined) statements.delete(oldest);
    }
    return statement;
  };
  const execute = (stmt: InStatement): ResultSet => {
    const { sql, args } = typeof stmt === "string" ? { sql: stmt, args: undefined } : stmt;
    try {
      const statement = prepare(sql);
      const bound = bindArgs(args);
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
  const tx: WriteTransaction = { execute: async (stmt) => execute(stmt) };
  const mutex = new Mutex();
  return {
    run: (work) =>
      mutex.runExclusive(async () => {
        execute("BEGIN IMMEDIATE");
        try {
          const result = await work(tx);
          execute("COMMIT");
          return result;
        } catch (error) {
          // A failed ROLLBACK leaves the connection as SQLite left it; the first error is the one to tell.
          if (db.inTransaction) {
            try {
              execute("ROLLBACK");
            } catch {}
          }
          throw error;
        }
      }),
    drain: () => mutex.runExclusive(() => undefined),
    close() {
      statements.clear();
      db.close();
    },
  };
}
