import type { SyncModel } from "../schema/index.ts";
import type { DeviceTransaction, SqlValue } from "./device-database.ts";

/** Which events a family takes in: rejected ones only, or pending ones too. */
export type FamilyStatuses = "rejected" | "rejected or pending";

/**
 * The event `id` and its family, in outbox order: for an INSERT, the later events of the same row
 * (an update or delete of the row it was to create) and the events that reference that row, by a
 * temporary key (`sync_outbox_ref`) or by a key the device made (in their data only), and theirs
 * in turn; only events of the given statuses.
 */
export async function eventFamily(
  tx: DeviceTransaction,
  model: SyncModel,
  id: number,
  statuses: FamilyStatuses,
): Promise<number[]> {
  const status = statuses === "rejected" ? "= 'rejected'" : "IN ('rejected', 'pending')";
  const byDeviceKey: string[] = [];
  const args: SqlValue[] = [id];
  for (const child of model.ordered) {
    for (const column of child.references) {
      if (model.byName.get(column.references ?? "")?.keyKind !== "client") continue;
      byDeviceKey.push(`
            UNION
            SELECT child.seq FROM family f
            JOIN sync_outbox parent ON parent.seq = f.seq AND parent.kind = 'insert' AND parent.table_name = ?
            JOIN sync_outbox child ON child.table_name = ? AND child.seq > parent.seq
              AND child.status ${status} AND (child.operation -> '$.data') ->> ? = parent.row_key`);
      args.push(column.references ?? "", child.name, column.name);
    }
  }
  const { rows } = await tx.execute({
    sql: `WITH RECURSIVE family(seq) AS (
            SELECT ?
            UNION
            SELECT r.seq FROM family f
            JOIN sync_outbox parent ON parent.seq = f.seq AND parent.kind = 'insert'
            JOIN sync_outbox_ref r ON r.ref_table = parent.table_name AND r.ref_key = CAST(parent.row_key AS INTEGER)
            JOIN sync_outbox child ON child.seq = r.seq AND child.status ${status}
            UNION
            SELECT child.seq FROM family f
            JOIN sync_outbox parent ON parent.seq = f.seq AND parent.kind = 'insert'
            JOIN sync_outbox child ON child.table_name = parent.table_name AND child.row_key = parent.row_key
              AND child.seq > parent.seq AND child.status ${status}${byDeviceKey.join("")}
          )
          SELECT seq FROM family ORDER BY seq`,
    args,
  });
  return rows.map((row) => Number(row[0]));
}
