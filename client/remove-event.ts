import type { SyncModel, TableInfo } from "../schema/index.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import { isBatchMember } from "./batch-members.ts";
import type { DeviceDatabase, DeviceTransaction } from "./device-database.ts";
import { eventId } from "./outbox-events.ts";
import { SyncClientError } from "./sync-client-error.ts";

/**
 * Deletes the row a rejected INSERT made, which exists nowhere but on this device, once nothing
 * refers to it: INVALID_EVENT naming the first reference otherwise (the app removes or retries the
 * events of the referring rows first; their INSERTs come later in the outbox).
 */
async function removeRejectedRow(
  tx: DeviceTransaction,
  model: SyncModel,
  call: string,
  table: TableInfo,
  rowKey: string,
): Promise<void> {
  const key = table.keyKind === "autonumber" ? Number(rowKey) : rowKey;
  for (const child of model.ordered) {
    for (const column of child.references) {
      if (column.references !== table.name) continue;
      const { rows } = await tx.execute({
        sql: `SELECT 1 FROM ${quoteIdentifier(child.name)} WHERE ${quoteIdentifier(column.name)} = ? LIMIT 1`,
        args: [key],
      });
      if (rows.length === 0) continue;
      throw new SyncClientError(
        "INVALID_EVENT",
        `${call}: a row of ${child.name} still refers to ${table.name} ${rowKey} (by ${column.name}), the row this rejected INSERT made; remove or retry the events of the rows that refer to it first`,
      );
    }
  }
  await tx.batch([
    {
      sql: `DELETE FROM ${quoteIdentifier(table.name)} WHERE ${quoteIdentifier(table.key.name)} = ?`,
      args: [key],
    },
    {
      sql: "DELETE FROM sync_row_version WHERE table_name = ? AND row_key = ?",
      args: [table.name, rowKey],
    },
  ]);
}

/**
 * Drops one event from the outbox; an event in a batch being sent cannot be removed. Removing a
 * rejected INSERT also removes the row it made (the server never had it), so device and server
 * agree again; any other event goes alone (a rejected UPDATE's or DELETE's row has taken the
 * server's values at a receive already, and a pending event's write stays made on the device
 * only).
 */
export async function removeEvent(
  database: DeviceDatabase,
  model: SyncModel,
  givenId: number,
): Promise<void> {
  const call = `removeEvent(${JSON.stringify(givenId)})`;
  const id = eventId(call, givenId);
  return database.transaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `SELECT EXISTS (SELECT 1 FROM sync_batch p WHERE ${isBatchMember("o", "p")}),
                   o.status, o.kind, o.table_name, o.row_key
            FROM sync_outbox o WHERE seq = ?`,
      args: [id],
    });
    const [row] = rows;
    if (!row) throw new SyncClientError("INVALID_EVENT", `removeEvent(${id}): no such event`);
    const [inFlight, status, kind, tableName, rowKey] = row;
    if (Number(inFlight) === 1) {
      throw new SyncClientError(
        "INVALID_EVENT",
        `removeEvent(${id}): the event was sent and its answer has not arrived; send() again first`,
      );
    }
    const table = model.byName.get(String(tableName));
    if (status === "rejected" && kind === "insert" && table) {
      await removeRejectedRow(tx, model, `removeEvent(${id})`, table, String(rowKey));
    }
    await tx.batch([
      { sql: "DELETE FROM sync_outbox_ref WHERE seq = ?", args: [id] },
      { sql: "DELETE FROM sync_outbox WHERE seq = ?", args: [id] },
    ]);
  });
}
