import type { SyncModel } from "../schema/index.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import type { DeviceTransaction } from "./device-database.ts";

/**
 * True when the device holds nothing a staged run must be weighed against: no synced row, no
 * version known, no change held or staged as rows, no event in its outbox. Pulled rows then need no
 * freshness check, no overlay and no removal, and each can be inserted as it comes.
 */
export async function isEmptyDevice(tx: DeviceTransaction, model: SyncModel): Promise<boolean> {
  const checks = [
    "sync_receive_stage",
    "sync_row_version",
    ...model.ordered.map((table) => quoteIdentifier(table.name)),
  ].map((name) => `NOT EXISTS (SELECT 1 FROM ${name})`);
  checks.push("NOT EXISTS (SELECT 1 FROM sync_outbox WHERE kind != 'checkpoint')");
  const { rows } = await tx.execute(`SELECT ${checks.join(" AND ")}`);
  return Number(rows[0]?.[0]) === 1;
}
