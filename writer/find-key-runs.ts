import type { KeyRun } from "./key-runs.ts";

/** Runs one statement: what the server's write transactions and the device database both offer. */
export interface StatementRunner {
  execute(statement: {
    readonly sql: string;
    readonly args: Array<string | number>;
  }): Promise<{ readonly rows: ReadonlyArray<ArrayLike<unknown>> }>;
}

/**
 * Where key runs are kept, with the columns `table_name`, `first_client`, `last_client` and
 * `first_server`: on the server `sync_key_run`, a row set per client; on the device
 * `sync_mapped_run`, the mappings it applied.
 */
export type KeyRunTable =
  | { readonly name: "sync_key_run"; readonly clientId: string }
  | { readonly name: "sync_mapped_run" };

/**
 * The runs of one table that can hold a temporary key in `[low, high]`, in ascending order of
 * their first temporary key: those starting inside the range, and the one run starting just above
 * it, which may reach down into it (a run goes down from its first key; runs of a table, and of a
 * client on the server, never overlap, so no other run can). With `serverKeyIn` they map a key;
 * `low` = `high` finds the run of one key. The one query that finds the run holding a key.
 */
export async function findKeyRuns(
  tx: StatementRunner,
  runs: KeyRunTable,
  table: string,
  low: number,
  high: number,
): Promise<KeyRun[]> {
  const owner = runs.name === "sync_key_run" ? "client_id = ?4 AND " : "";
  const { rows } = await tx.execute({
    sql: `SELECT first_client, last_client, first_server FROM ${runs.name}
          WHERE ${owner}table_name = ?1 AND first_client BETWEEN ?2 AND ?3
          UNION ALL
          SELECT * FROM (SELECT first_client, last_client, first_server FROM ${runs.name}
            WHERE ${owner}table_name = ?1 AND first_client > ?3 ORDER BY first_client LIMIT 1)`,
    args: runs.name === "sync_key_run" ? [table, low, high, runs.clientId] : [table, low, high],
  });
  const found = rows.map((row): KeyRun => {
    const firstClient = Number(row[0]);
    return {
      table,
      firstClient,
      firstServer: Number(row[2]),
      count: firstClient - Number(row[1]) + 1,
    };
  });
  // Usually in order already (the index's), which costs the sort one pass.
  return found.sort((a, b) => a.firstClient - b.firstClient);
}
