import { drizzle, type SqliteRemoteDatabase } from "drizzle-orm/sqlite-proxy";
import type { DeviceDatabase, SqlValue } from "./device-database.ts";

/** drizzle over the device database, for reads: `SyncClient.db`. */
export type DeviceReads = SqliteRemoteDatabase;

/** A parameter drizzle built (from a column's driver value) as a device database value. */
function toSqlValue(value: unknown): SqlValue {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "bigint" && Number.isSafeInteger(Number(value))) return Number(value);
  if (
    value === null ||
    typeof value === "number" ||
    typeof value === "string" ||
    value instanceof Uint8Array
  ) {
    return value;
  }
  throw new TypeError(
    `a value of type ${typeof value} cannot be a parameter of the device database`,
  );
}

/**
 * drizzle's `sqlite-proxy` over {@link DeviceDatabase.read}: the same on every platform, since
 * the proxy takes rows as arrays, which is what `read` gives. Its queries see committed data and
 * never write (writes go through the client, or the outbox misses them).
 */
export function drizzleReads(database: DeviceDatabase): DeviceReads {
  const query = async (sql: string, params: readonly unknown[], method: string) => {
    const { rows } = await database.read({ sql, args: params.map(toSqlValue) });
    // `get` wants the row itself, or undefined when there is none.
    return { rows: (method === "get" ? rows[0] : rows) as unknown[] };
  };
  return drizzle(
    (sql, params, method) => query(sql, params, method),
    async (batch) => {
      const results: Array<{ rows: unknown[] }> = [];
      for (const { sql, params, method } of batch) results.push(await query(sql, params, method));
      return results;
    },
  );
}
