import {
  addToKeyRuns,
  findKeyRuns,
  type KeyRun,
  keyRunsJson,
  serverKeyInRun,
  type WriteTransaction,
} from "../../writer/index.ts";
import type { SyncStoreTransaction, TempKeyEntry } from "./sync-store.ts";

/** Saves mapped keys as runs; a key rejected once and mapped now is no longer rejected. */
async function saveMappedKeys(
  tx: WriteTransaction,
  clientId: string,
  entries: readonly TempKeyEntry[],
): Promise<void> {
  const mapped = entries.filter(
    (entry): entry is TempKeyEntry & { serverKey: number } => entry.serverKey !== null,
  );
  if (mapped.length === 0) return;
  // By table, then from the highest temporary key down: the order in which runs go.
  mapped.sort((a, b) =>
    a.table === b.table ? b.clientKey - a.clientKey : a.table < b.table ? -1 : 1,
  );
  const runs: KeyRun[] = [];
  for (const { table, clientKey, serverKey } of mapped) {
    addToKeyRuns(runs, table, clientKey, serverKey);
  }
  const json = keyRunsJson(runs);
  await tx.execute({
    sql: `INSERT INTO sync_key_run (client_id, table_name, first_client, last_client, first_server)
          SELECT ?, value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)`,
    args: [clientId, json],
  });
  await tx.execute({
    sql: `DELETE FROM sync_rejected_key WHERE client_id = ? AND EXISTS (
            SELECT 1 FROM json_each(?) AS r WHERE r.value ->> 0 = sync_rejected_key.table_name
            AND sync_rejected_key.client_key BETWEEN r.value ->> 2 AND r.value ->> 1)`,
    args: [clientId, json],
  });
}

/**
 * The temporary-key methods of a libSQL store transaction: mapped keys are kept as key runs
 * (`sync_key_run`), rejected keys one row each (`sync_rejected_key`).
 */
export function libsqlTempKeys(
  tx: WriteTransaction,
): Pick<SyncStoreTransaction, "findTempKeys" | "saveTempKeys"> {
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
      const runs = await findKeyRuns(tx, { name: "sync_key_run", clientId }, table, low, high);
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
        // Walk the smaller side: the run's keys or the keys asked for.
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
      if (rejected.length > 0) {
        await tx.execute({
          sql: `INSERT OR IGNORE INTO sync_rejected_key (client_id, table_name, client_key)
                SELECT ?, value ->> 0, value ->> 1 FROM json_each(?)`,
          args: [clientId, JSON.stringify(rejected.map((entry) => [entry.table, entry.clientKey]))],
        });
      }
    },
  };
}
