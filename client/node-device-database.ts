import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  type FileConnection,
  openFileConnection,
  type RawExecute,
} from "../writer/file-connection.ts";
import {
  type DeviceDatabase,
  DeviceDatabaseError,
  type DeviceTransaction,
  type SqlResult,
  type SqlStatement,
  type SqlValue,
} from "./device-database.ts";

/** Options of {@link openNodeDeviceDatabase}. */
export interface NodeDeviceDatabaseOptions {
  /** The database file; it and its folder are created if missing. */
  readonly path: string;
  /** How long a statement waits for another process's lock, in milliseconds. */
  readonly busyTimeoutMs: number;
}

const minSafe = BigInt(Number.MIN_SAFE_INTEGER);
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/** The driver's integers (bigints, so nothing is rounded unseen) as numbers, in place. */
function toValues(row: unknown[]): SqlValue[] {
  for (let i = 0; i < row.length; i++) {
    const value = row[i];
    if (typeof value === "bigint") {
      if (value < minSafe || value > maxSafe) {
        throw new RangeError(
          `the integer ${value} is beyond what a JavaScript number holds exactly`,
        );
      }
      row[i] = Number(value);
    }
  }
  return row as SqlValue[];
}

function run(execute: RawExecute, statement: SqlStatement | string): SqlResult {
  const { sql, args = [] } = typeof statement === "string" ? { sql: statement } : statement;
  for (const value of args) {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new RangeError(`a parameter must be a finite number, got ${value}`);
    }
  }
  const raw = execute(sql, [...args]);
  for (const row of raw.rows) toValues(row);
  return { columns: raw.columns, rows: raw.rows as SqlValue[][], rowsAffected: raw.changes };
}

/** SQLite's errors (the driver's `SqliteError`, whose `code` is the extended result code). */
function fromDriver(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (!(error instanceof Error) || typeof code !== "string" || !code.startsWith("SQLITE_")) {
    return error;
  }
  return new DeviceDatabaseError(code, error.message, { cause: error });
}

const closed = () => new DeviceDatabaseError("DATABASE_CLOSED", "the device database is closed");

function connect(path: string, busyTimeoutMs: number): FileConnection {
  return openFileConnection(path, {
    busyTimeoutMs,
    errors: {
      fromDriver,
      closed,
      transactionClosed: () =>
        new DeviceDatabaseError("TRANSACTION_CLOSED", "the transaction has ended"),
    },
  });
}

/**
 * The device database on a libSQL file in Node, through the `libsql` driver (synchronous, wrapped
 * in promises). Two connections with their own prepared statements: one writes, one transaction at
 * a time; the other reads committed data (WAL), refusing writes (`query_only`), beside a write
 * transaction under way rather than after it.
 */
export async function openNodeDeviceDatabase({
  path,
  busyTimeoutMs,
}: NodeDeviceDatabaseOptions): Promise<DeviceDatabase> {
  mkdirSync(dirname(path), { recursive: true });
  const writes = connect(path, busyTimeoutMs);
  let reads: FileConnection;
  try {
    writes.execute("PRAGMA journal_mode = WAL", []);
    reads = connect(path, busyTimeoutMs);
  } catch (error) {
    await writes.close();
    throw error;
  }
  try {
    reads.execute("PRAGMA query_only = ON", []);
  } catch (error) {
    await Promise.all([reads.close(), writes.close()]);
    throw error;
  }
  let isClosed = false;
  return {
    transaction: (work, options) =>
      writes.transaction((execute) => {
        const tx: DeviceTransaction = {
          execute: async (statement) => run(execute, statement),
          batch: async (statements) => statements.map((statement) => run(execute, statement)),
        };
        return work(tx);
      }, options),
    read: async (statement) => {
      if (isClosed) throw closed();
      return run(reads.execute, statement);
    },
    async close() {
      isClosed = true;
      await writes.close();
      await reads.close();
    },
  };
}
