import type { Client, InArgs } from "@libsql/client";
import type { RawExecute } from "../../writer/index.ts";
import type { SqlValue } from "./sync-store.ts";

/** One SELECT of a read: SQL and its positional arguments. */
export interface ReadQuery {
  readonly sql: string;
  readonly args: Array<string | number>;
}

/**
 * The rows of a {@link ReadQuery}, values by column index. Integers come as bigints from the file
 * reader and as numbers from @libsql/client: read them with `integerValue`, `sqlValue` or `String`.
 */
export type ReadRows = readonly ArrayLike<unknown>[];

/**
 * A read written once for both ways of reading: it yields its queries one by one and gets each
 * one's rows back, then returns its result. It reads the database through its queries only, so a
 * synchronous runner runs it whole without giving way to other work.
 */
export type ReadPlan<T> = Generator<ReadQuery, T, ReadRows>;

/** Runs a plan synchronously on a file reader's statement runner (inside its read transaction). */
export function runPlan<T>(plan: ReadPlan<T>, execute: RawExecute): T {
  let step = plan.next();
  while (!step.done) step = plan.next(execute(step.value.sql, step.value.args).rows);
  return step.value;
}

/** Runs a plan through @libsql/client, query after query, on `database` or one of its transactions. */
export async function runPlanAsync<T>(
  plan: ReadPlan<T>,
  database: Pick<Client, "execute">,
): Promise<T> {
  let step = plan.next();
  while (!step.done) {
    const { rows } = await database.execute({
      sql: step.value.sql,
      args: step.value.args as InArgs,
    });
    step = plan.next(rows);
  }
  return step.value;
}

const minSafe = BigInt(Number.MIN_SAFE_INTEGER);
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/** An integer read back, as @libsql/client gives it: a number, or a RangeError when unsafe. */
export function integerValue(value: unknown): number {
  if (typeof value === "bigint") {
    if (value < minSafe || value > maxSafe) {
      throw new RangeError(
        "Received integer which cannot be safely represented as a JavaScript number",
      );
    }
    return Number(value);
  }
  return Number(value);
}

/** A column value read back, as @libsql/client gives it (a blob as an ArrayBuffer). */
export function sqlValue(value: unknown): SqlValue {
  if (typeof value === "bigint") return integerValue(value);
  if (Buffer.isBuffer(value)) {
    return value.buffer.slice(
      value.byteOffset,
      value.byteOffset + value.byteLength,
    ) as unknown as SqlValue;
  }
  return value as SqlValue;
}
