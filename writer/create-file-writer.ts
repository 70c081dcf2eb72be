import type { InArgs, InStatement, InValue, ResultSet, Value } from "@libsql/client";
import { LibsqlError } from "@libsql/core/api";
import { ResultSetImpl } from "@libsql/core/util";
import type { Writer, WriteTransaction } from "./create-writer.ts";
import { openFileConnection, type RawExecute, type RawResult } from "./file-connection.ts";
import { toLibsqlError } from "./libsql-error.ts";

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

/** A raw result as @libsql/client's `ResultSet`. */
function toResultSet(raw: RawResult): ResultSet {
  const rows = raw.rows.map((values) => toRow(values, raw.columns));
  const lastInsertRowid = raw.columns.length > 0 ? undefined : raw.lastInsertRowid;
  return new ResultSetImpl([...raw.columns], [...raw.types], rows, raw.changes, lastInsertRowid);
}

/** Runs one statement given as @libsql/client takes it (the connection reports its errors so). */
function executeStatement(execute: RawExecute, stmt: InStatement): ResultSet {
  const { sql, args } = typeof stmt === "string" ? { sql: stmt, args: undefined } : stmt;
  return toResultSet(execute(sql, bindArgs(args)));
}

/**
 * A writer on a local libSQL file that keeps its prepared statements (`openFileConnection`).
 * Statements run as @libsql/client runs them (same binding, same rows, same errors), one
 * transaction at a time. As in a transaction of @libsql/client, a statement after SQLite rolled
 * the transaction back by itself (ON CONFLICT ROLLBACK, a full disk) fails with
 * `TRANSACTION_CLOSED` instead of running on its own.
 */
export function createFileWriter(
  path: string,
  { busyTimeoutMs, cachedStatements = 64 }: FileWriterOptions,
): FileWriter {
  const connection = openFileConnection(path, {
    busyTimeoutMs,
    cachedStatements,
    errors: {
      fromDriver: toLibsqlError,
      closed: () => new LibsqlError("The client is closed", "CLIENT_CLOSED"),
      transactionClosed: () => new LibsqlError("The transaction is closed", "TRANSACTION_CLOSED"),
    },
  });
  return {
    run: (work) =>
      connection.transaction((execute) => {
        const tx: WriteTransaction = {
          execute: async (stmt) => executeStatement(execute, stmt),
        };
        return work(tx);
      }),
    drain: connection.drain,
    close: connection.close,
  };
}
