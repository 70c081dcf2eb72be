import type postgres from "postgres";
import {
  addToKeyRuns,
  type KeyRun,
  keyRunsJson,
  quoteIdentifier,
  rowIdentity,
  serverKeyInRun,
} from "../../writer/index.ts";
import { jsonParam, rowsOf, valuesOf } from "./postgres-connection.ts";
import type { RowRef, SyncStoreTransaction, TempKeyEntry } from "./sync-store.ts";

/** Rows as JSON rows `[table, key]`, read by `jsonb_array_elements`. */
const rowsJson = (rows: readonly RowRef[]): string =>
  jsonParam(rows.map((row) => [row.table, row.key]));

/** The runs of a table and client that can hold a key in `[low, high]` (see `findKeyRuns`). */
async function findRuns(
  tx: postgres.TransactionSql,
  clientId: string,
  table: string,
  low: number,
  high: number,
): Promise<KeyRun[]> {
  const rows = await valuesOf(tx, {
    text: `SELECT first_client, last_client, first_server FROM sync_key_run
        WHERE client_id = $4 AND table_name = $1 AND first_client BETWEEN $2 AND $3
      UNION ALL
      (SELECT first_client, last_client, first_server FROM sync_key_run
        WHERE client_id = $4 AND table_name = $1 AND first_client > $3 ORDER BY first_client LIMIT 1)`,
    args: [table, low, high, clientId],
  });
  return rows.map(([first, last, server]) => ({
    table,
    firstClient: Number(first),
    firstServer: Number(server),
    count: Number(first) - Number(last) + 1,
  }));
}

/** Saves mapped keys as runs; a key rejected once and mapped now is no longer rejected. */
async function saveMappedKeys(
  tx: postgres.TransactionSql,
  clientId: string,
  entries: readonly TempKeyEntry[],
): Promise<void> {
  const mapped = entries.filter(
    (entry): entry is TempKeyEntry & { serverKey: number } => entry.serverKey !== null,
  );
  if (mapped.length === 0) return;
  mapped.sort((a, b) =>
    a.table === b.table ? b.clientKey - a.clientKey : a.table < b.table ? -1 : 1,
  );
  const runs: KeyRun[] = [];
  for (const { table, clientKey, serverKey } of mapped) {
    addToKeyRuns(runs, table, clientKey, serverKey);
  }
  const json = keyRunsJson(runs);
  const runsSql = `SELECT value ->> 0 AS table_name, (value ->> 1)::bigint AS first_client,
      (value ->> 2)::bigint AS last_client, (value ->> 3)::bigint AS first_server
    FROM jsonb_array_elements($2::text::jsonb)`;
  await Promise.all([
    rowsOf(tx, {
      text: `INSERT INTO sync_key_run (client_id, table_name, first_client, last_client, first_server)
        SELECT $1, table_name, first_client, last_client, first_server FROM (${runsSql}) r`,
      args: [clientId, json],
    }),
    rowsOf(tx, {
      text: `DELETE FROM sync_rejected_key k USING (${runsSql}) r WHERE k.client_id = $1
        AND k.table_name = r.table_name AND k.client_key BETWEEN r.last_client AND r.first_client`,
      args: [clientId, json],
    }),
  ]);
}

/**
 * The methods of a PostgreSQL store transaction for device keys: temporary keys (mapped as key
 * runs, rejected one row each), rows with device-made keys whose INSERT failed, and server keys.
 * Invariant: the caller holds the clientId's lock (`findBatch`), so a client's maps change in
 * one transaction at a time.
 */
export function postgresKeys(
  tx: postgres.TransactionSql,
  reserveKeyBlock: (table: string, key: string, count: number) => Promise<number>,
): Pick<
  SyncStoreTransaction,
  "findTempKeys" | "saveTempKeys" | "findRejectedRows" | "saveRejectedRows" | "reserveKeys"
> {
  return {
    async findTempKeys(clientId, table, clientKeys) {
      const found = new Map<number, number | null>();
      if (clientKeys.length === 0) return found;
      let low = Number.POSITIVE_INFINITY;
      let high = Number.NEGATIVE_INFINITY;
      for (const key of clientKeys) {
        if (key < low) low = key;
        if (key > high) high = key;
      }
      const [runs, rejected] = await Promise.all([
        findRuns(tx, clientId, table, low, high),
        valuesOf(tx, {
          text: `SELECT client_key FROM sync_rejected_key
            WHERE client_id = $1 AND table_name = $2 AND client_key BETWEEN $3 AND $4`,
          args: [clientId, table, low, high],
        }),
      ]);
      const wanted = new Set(clientKeys);
      for (const [key] of rejected) if (wanted.has(Number(key))) found.set(Number(key), null);
      for (const run of runs) {
        if (run.count <= wanted.size) {
          for (let i = 0; i < run.count; i++) {
            if (wanted.has(run.firstClient - i))
              found.set(run.firstClient - i, run.firstServer + i);
          }
        } else {
          for (const key of wanted) {
            const serverKey = serverKeyInRun(run, key);
            if (serverKey !== undefined) found.set(key, serverKey);
          }
        }
      }
      return found;
    },

    async saveTempKeys(clientId, entries) {
      await saveMappedKeys(tx, clientId, entries);
      const rejected = entries.filter((entry) => entry.serverKey === null);
      if (rejected.length === 0) return;
      await rowsOf(tx, {
        text: `INSERT INTO sync_rejected_key (client_id, table_name, client_key)
          SELECT $1, value ->> 0, (value ->> 1)::bigint FROM jsonb_array_elements($2::text::jsonb)
          ON CONFLICT DO NOTHING`,
        args: [clientId, jsonParam(rejected.map((entry) => [entry.table, entry.clientKey]))],
      });
    },

    async findRejectedRows(clientId, rows) {
      if (rows.length === 0) return new Set<string>();
      const found = await valuesOf(tx, {
        text: `SELECT r.table_name, r.row_key FROM jsonb_array_elements($1::text::jsonb) j
          JOIN sync_rejected_row r ON r.client_id = $2 AND r.table_name = j.value ->> 0
            AND r.row_key = j.value ->> 1`,
        args: [rowsJson(rows), clientId],
      });
      return new Set(found.map(([table, key]) => rowIdentity(String(table), String(key))));
    },

    async saveRejectedRows(clientId, rejected, inserted) {
      const writes: Promise<unknown>[] = [];
      if (inserted.length > 0) {
        writes.push(
          rowsOf(tx, {
            text: `DELETE FROM sync_rejected_row WHERE client_id = $1 AND (table_name, row_key) IN
              (SELECT value ->> 0, value ->> 1 FROM jsonb_array_elements($2::text::jsonb))`,
            args: [clientId, rowsJson(inserted)],
          }),
        );
      }
      if (rejected.length > 0) {
        writes.push(
          rowsOf(tx, {
            text: `INSERT INTO sync_rejected_row (client_id, table_name, row_key)
              SELECT $1, value ->> 0, value ->> 1 FROM jsonb_array_elements($2::text::jsonb)
              ON CONFLICT DO NOTHING`,
            args: [clientId, rowsJson(rejected)],
          }),
        );
      }
      await Promise.all(writes);
    },

    async reserveKeys(table, count) {
      return reserveKeyBlock(table.name, quoteIdentifier(table.key.name), count);
    },
  };
}
