import type { WriteTransaction } from "../../writer/index.ts";
import type { KeyRun } from "../key-runs.ts";

/**
 * The runs of one client and table that can hold a temporary key in `[low, high]`: those starting
 * inside the range, and the one run starting just above it, which may reach down into it (a run
 * goes down from its first key; runs of a client and table never overlap, so no other run can).
 * The one query that finds the run holding a key.
 */
export async function findKeyRuns(
  tx: WriteTransaction,
  clientId: string,
  table: string,
  low: number,
  high: number,
): Promise<KeyRun[]> {
  const { rows } = await tx.execute({
    sql: `SELECT first_client, last_client, first_server FROM sync_key_run
          WHERE client_id = ?1 AND table_name = ?2 AND first_client BETWEEN ?3 AND ?4
          UNION ALL
          SELECT * FROM (SELECT first_client, last_client, first_server FROM sync_key_run
            WHERE client_id = ?1 AND table_name = ?2 AND first_client > ?4
            ORDER BY first_client LIMIT 1)`,
    args: [clientId, table, low, high],
  });
  return rows.map((row) => {
    const firstClient = Number(row.first_client);
    return {
      table,
      firstClient,
      firstServer: Number(row.first_server),
      count: firstClient - Number(row.last_client) + 1,
    };
  });
}
