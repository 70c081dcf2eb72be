import postgres from "postgres";
import { ConstraintViolation } from "./sync-store.ts";

/** A postgres.js client (a pool) or one of its transactions: what the store's SQL runs on. */
export type PgSql = postgres.Sql | postgres.TransactionSql;

/** One statement with positional parameters (`$1`, `$2`, …). */
export interface PgStatement {
  readonly text: string;
  readonly args?: ReadonlyArray<unknown>;
}

/** A row read back, by column name. */
export type PgRow = Readonly<Record<string, unknown>>;

/** The integer types PostgreSQL sends as text (int8), read back as safe JS numbers. */
const int8 = {
  to: 20,
  from: [20],
  serialize: (value: unknown) => String(value),
  parse: (text: string): number => {
    const value = Number(text);
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(
        `Received integer ${text}, which cannot be safely represented as a JavaScript number`,
      );
    }
    return value;
  },
};

/**
 * Opens a pool of at most `max` connections. Every integer comes back as a number (the store's
 * integers are bigints: keys, versions, change sequences, milliseconds); other types as
 * postgres.js reads them.
 */
export function openPostgres(url: string, max: number): postgres.Sql {
  return postgres(url, {
    max,
    types: { int8 },
    // Notices (e.g. "relation already exists, skipping") are not the operator's business.
    onnotice: () => undefined,
    connection: { application_name: "checkpoint-sync" },
  });
}

/** Runs a statement: its rows by column name. */
export async function rowsOf(sql: PgSql, { text, args = [] }: PgStatement): Promise<PgRow[]> {
  return sql.unsafe(text, args as postgres.ParameterOrJSON<never>[]);
}

/** Runs a statement: its rows as arrays of values, in the order of the SELECT list. */
export async function valuesOf(sql: PgSql, { text, args = [] }: PgStatement): Promise<unknown[][]> {
  return sql.unsafe(text, args as postgres.ParameterOrJSON<never>[]).values();
}

/** Runs a statement: how many rows it wrote. */
export async function countOf(sql: PgSql, statement: PgStatement): Promise<number> {
  const result = await sql.unsafe(statement.text, (statement.args ?? []) as never[]);
  return result.count;
}

/**
 * A value as JSON text for a `$n::text::jsonb` parameter. Lone surrogates become U+FFFD, as in
 * every other text PostgreSQL receives (UTF-8 cannot hold them, and jsonb refuses their `\u`
 * escapes): a key that cannot be stored then simply matches no row, as on libSQL.
 */
export function jsonParam(value: unknown): string {
  return JSON.stringify(value, (_, item: unknown) =>
    typeof item === "string" ? item.toWellFormed() : item,
  );
}

/** `?` placeholders (as the shared SQL builders write them) turned into `$1`, `$2`, …. */
const dollarCache = new Map<string, string>();
export function dollarParams(text: string): string {
  let converted = dollarCache.get(text);
  if (converted === undefined) {
    let n = 0;
    converted = text.replace(/\?/g, () => `$${++n}`);
    // Bounded: the builders' texts repeat (a shape and a row count), but a client varies them.
    if (dollarCache.size >= 512) dollarCache.clear();
    dollarCache.set(text, converted);
  }
  return converted;
}

/** The SQLSTATE of a PostgreSQL error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  return error instanceof postgres.PostgresError ? error.code : undefined;
}

/**
 * A broken constraint told in the words the libSQL store uses (SQLite's), so that a rejection
 * reads the same on both stores: `FOREIGN KEY constraint failed`, `NOT NULL constraint failed:
 * t.c`, `UNIQUE constraint failed: t.c`, `CHECK constraint failed: name`. Other errors: undefined.
 */
export function constraintMessage(error: unknown): string | undefined {
  if (!(error instanceof postgres.PostgresError) || !error.code.startsWith("23")) return undefined;
  const table = error.table_name ?? "";
  switch (error.code) {
    case "23503":
      return "FOREIGN KEY constraint failed";
    case "23502":
      return `NOT NULL constraint failed: ${table}.${error.column_name ?? ""}`;
    case "23505": {
      // "Key (a, b)=(…) already exists.": the columns, as SQLite lists them.
      const columns = /^Key \(([^)]*)\)=/.exec(error.detail ?? "")?.[1]?.split(", ") ?? [];
      return `UNIQUE constraint failed: ${columns.map((column) => `${table}.${column}`).join(", ")}`;
    }
    case "23514":
      return `CHECK constraint failed: ${error.constraint_name ?? ""}`;
    default:
      return `constraint failed: ${error.constraint_name ?? error.code}`;
  }
}

/**
 * Runs write statements inside a savepoint (postgres.js's own, so that a failed statement does not
 * fail the enclosing transaction at its end) and gives how many rows each wrote: a broken
 * constraint undoes them all and is thrown as a {@link ConstraintViolation}, leaving the
 * transaction usable; any other error passes unchanged. The statements are pipelined.
 */
export async function inSavepoint(
  tx: postgres.TransactionSql,
  statements: readonly PgStatement[],
): Promise<number[]> {
  try {
    return await tx.savepoint(async (point) => {
      const results = await Promise.all(
        statements.map(({ text, args = [] }) => point.unsafe(text, args as never[])),
      );
      return results.map((result) => result.count);
    });
  } catch (error) {
    const message = constraintMessage(error);
    if (message === undefined) throw error;
    throw new ConstraintViolation(message);
  }
}
