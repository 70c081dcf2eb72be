import type { SyncModel, TableInfo } from "../schema/index.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import { isBatchMember } from "./batch-members.ts";
import type { DeviceDatabase, DeviceTransaction } from "./device-database.ts";
import { eventFamily } from "./event-family.ts";
import { eventId } from "./outbox-events.ts";
import { SyncClientError } from "./sync-client-error.ts";

/**
 * Deletes the rows of a rejected INSERT's family (its row, and rows made by the inserts that
 * depend on it), which exist nowhere but on this device, children first. INVALID_EVENT naming the
 * first reference when another row still refers to one of them (one the server has).
 */
async function removeRows(
  tx: DeviceTransaction,
  model: SyncModel,
  call: string,
  inserts: ReadonlyArray<readonly [TableInfo, string]>,
): Promise<void> {
  for (const [table, rowKey] of inserts.toReversed()) {
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
          `${call}: a row of ${child.name} still refers to ${table.name} ${rowKey} (by ${column.name}), a row this rejected INSERT made; remove or retry that row's events first`,
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
}

/**
 * Drops one event from the outbox; an event in a batch being sent cannot be removed. Removing a
 * rejected INSERT removes its family too (the events of its row and of the rows that refer to it,
 * pending or rejected: none of them can apply) and the rows those inserts made, which the server
 * never had, so device and server agree again. Any other event goes alone: a rejected UPDATE's or
 * DELETE's row has taken the server's values at a receive already, and a pending event's write
 * stays made on the device only. Returns the ids removed, in order.
 */
export async function removeEvent(
  database: DeviceDatabase,
  model: SyncModel,
  givenId: number,
): Promise<number[]> {
  const id = eventId(`removeEvent(${JSON.stringify(givenId)})`, givenId);
  const call = `removeEvent(${id})`;
  return database.transaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: "SELECT status, kind FROM sync_outbox WHERE seq = ?",
      args: [id],
    });
    const [row] = rows;
    if (!row) throw new SyncClientError("INVALID_EVENT", `${call}: no such event`);
    const family =
      row[0] === "rejected" && row[1] === "insert"
        ? await eventFamily(tx, model, id, "rejected or pending")
        : [id];
    const { rows: events } = await tx.execute({
      sql: `SELECT o.seq, o.kind, o.table_name, o.row_key,
                   EXISTS (SELECT 1 FROM sync_batch p WHERE ${isBatchMember("o", "p")})
            FROM sync_outbox o WHERE o.seq IN (SELECT value FROM json_each(?)) ORDER BY o.seq`,
      args: [JSON.stringify(family)],
    });
    if (events.some((event) => Number(event[4]) === 1)) {
      throw new SyncClientError(
        "INVALID_EVENT",
        `${call}: the event${family.length > 1 ? " (or one that depends on it)" : ""} was sent and its answer has not arrived; send() again first`,
      );
    }
    if (row[0] === "rejected" && row[1] === "insert") {
      const inserts: Array<readonly [TableInfo, string]> = [];
      for (const [, kind, table, key] of events) {
        const info = model.byName.get(String(table));
        if (kind === "insert" && info) inserts.push([info, String(key)]);
      }
      await removeRows(tx, model, call, inserts);
    }
    const seqs = JSON.stringify(family);
    await tx.batch([
      {
        sql: "DELETE FROM sync_outbox_ref WHERE seq IN (SELECT value FROM json_each(?))",
        args: [seqs],
      },
      {
        sql: "DELETE FROM sync_outbox WHERE seq IN (SELECT value FROM json_each(?))",
        args: [seqs],
      },
    ]);
    return family;
  });
}
