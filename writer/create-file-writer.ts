import type { InArgs, InStatement, InValue, ResultSet, Value } from "@libsql/client";
import { LibsqlError } from "@libsql/core/api";
import { ResultSetImpl } from "@libsql/core/util";
import { Mutex } from "async-mutex";
import Database from "libsql";
import type { Writer, WriteTransaction } from "./create-writer.ts";

/** Options of {@link createFileWriter}. */
export interface FileWriterOptions {
  /** How long a write waits for another process's lock, in milliseconds. */
  readonly busyTimeoutMs: number;
  /** Prepared statements kept for reuse (the oldest goes first). */
  readonly cachedStatements?: number;
}

/** A {@link Writer} on its own connection, closed with the store. */
export interface FileWriter extends Writer {
  /**
   * Lets the transactions already queued finish (so it waits for a work that never settles),
   * refuses new ones with `CLIENT_CLOSED`, and closes the connection.
   */
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
const closedClient = () => new LibsqlError("The client is closed", "CLIENT_CLOSED");

/**
 * A writer on a local libSQL file that keeps its prepared statements: a batch of a thousand rows
 * is one INSERT whose compilation costs more than running it, and @libsql/client prepares every
 * statement anew. Statements run as @libsql/client runs them (same binding, same rows, same
 * errors), on one connection of the writer's own, one transaction at a time. As in a transaction
 * of @libsql/client, a statement after SQLite rolled the transaction back by itself (ON CONFLICT
 * ROLLBACK, a full disk) fails with `TRANSACTION_CLOSED` instead of running on its own.
 */
export function createFileWriter(
  path: string,
  { busyTimeoutMs, cachedStatements = 64 }: FileWriterOptions,
): FileWriter {
  const db = new Database(path, { timeout: busyTimeoutMs });
  /**
   * With its result columns (names and types, for readers) and the most positional values a call
   * ever gave it (see `execute`).
   */
  const statements = new Map<
    string,
    { statement: Statement; columns: string[]; types: string[]; width: number }
  >();
  const prepare = (sql: string) => {
    let cached = statements.get(sql);
    if (cached) {
      // Most recently used last: the map's order is the eviction order.
      statements.delete(sql);
    } else {
      const statement = db.prepare(sql);
      if (statement.reader) statement.raw(true);
      statement.safeIntegers(true);
      const described = statement.reader ? statement.columns() : [];
      cached = {
        statement,
        columns: described.map((column) => column.name),
        types: described.map((column) => column.type ?? ""),
        width: 0,
      };
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
      // A prepared statement keeps the positional values of its last call where a call gives
      // fewer; @libsql/client, preparing anew, binds NULL there. Named values are bound afresh.
      if (Array.isArray(bound)) {
        if (bound.length > cached.width) cached.width = bound.length;
        while (bound.length < cached.width) bound.push(null);
      }
      if (statement.reader) {
        const { columns, types } = cached;
        const rows = (statement.all(bound) as unknown[][]).map((values) => toRow(values, columns));
        return new ResultSetImpl(columns, types, rows, 0, undefined);
      }
      const info = statement.run(bound);
      return new ResultSetImpl([], [], [], info.changes, BigInt(info.lastInsertRowid));
    } catch (error) {
      throw toLibsqlError(error);
    }
  };
  const mutex = new Mutex();
  let closing = false;
  return {
    run: (work) => {
      if (closing) return Promise.reject(closedClient());
      return mutex.runExclusive(async () => {
        // A transaction left open by a ROLLBACK that failed is ended before the next one begins.
        if (db.inTransaction) execute("ROLLBACK");
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
          if (db.inTransaction) {
            try {
              execute("ROLLBACK");
            } catch {
              // The work's error is the one to tell; the next run ends the transaction.
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
