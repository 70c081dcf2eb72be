import type { SyncModel } from "../schema/index.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import type {
  DeviceDatabase,
  DeviceTransaction,
  SqlStatement,
  SqlValue,
} from "./device-database.ts";
import { eventId } from "./outbox-events.ts";
import { forEachTemporaryReference } from "./outbox-recorder.ts";
import { SyncClientError } from "./sync-client-error.ts";
import { wireOperation } from "./wire-operation.ts";
import { toValue, type Value } from "./write-checks.ts";

/**
 * Puts the rejected event `id` back to pending with its rejected family, and returns their seqs
 * in order: for an INSERT, the later events of the same row (an update or delete of the row it was
 * to create) and the events that reference that row, by a temporary key (`sync_outbox_ref`) or by
 * a key the device made (in their data only), and theirs in turn.
 */
async function putBackFamily(
  tx: DeviceTransaction,
  model: SyncModel,
  id: number,
): Promise<number[]> {
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
              AND child.status = 'rejected' AND (child.operation -> '$.data') ->> ? = parent.row_key`);
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
            JOIN sync_outbox child ON child.seq = r.seq AND child.status = 'rejected'
            UNION
            SELECT child.seq FROM family f
            JOIN sync_outbox parent ON parent.seq = f.seq AND parent.kind = 'insert'
            JOIN sync_outbox child ON child.table_name = parent.table_name AND child.row_key = parent.row_key
              AND child.seq > parent.seq AND child.status = 'rejected'${byDeviceKey.join("")}
          )
          UPDATE sync_outbox SET status = 'pending', error_code = NULL, error_message = NULL
          WHERE seq IN (SELECT seq FROM family) RETURNING seq`,
    args,
  });
  return rows.map((row) => Number(row[0])).sort((a, b) => a - b);
}

/**
 * Gives retried inserts and updates the values their rows have now: the app may have fixed a
 * rejected row with a local update, and values the event was refused with would be refused again
 * (an insert) or would overwrite newer ones on the server (an update that later ones overtook).
 * Their references by temporary key follow the values (the row key's own reference stays).
 * Events of a row that is gone keep their values; its delete follows them.
 */
async function refreshFromRows(
  tx: DeviceTransaction,
  model: SyncModel,
  seqs: readonly number[],
): Promise<void> {
  const { rows: events } = await tx.execute({
    sql: `SELECT seq, kind, table_name, row_key, operation -> '$.data' FROM sync_outbox
          WHERE seq IN (SELECT value FROM json_each(?)) AND kind IN ('insert', 'update')`,
    args: [JSON.stringify(seqs)],
  });
  for (const [seqValue, eventKind, table, key, eventData] of events) {
    const info = model.byName.get(String(table));
    if (!info) continue;
    const rowKey = String(key);
    const { columns, rows } = await tx.execute({
      sql: `SELECT * FROM ${quoteIdentifier(info.name)} WHERE ${quoteIdentifier(info.key.name)} = ?`,
      args: [info.keyKind === "autonumber" ? Number(rowKey) : rowKey],
    });
    const row = rows[0];
    if (!row) continue;
    const kind = eventKind === "insert" ? "insert" : "update";
    const named =
      kind === "insert"
        ? info.dataColumns.map((column) => column.name)
        : Object.keys(JSON.parse(String(eventData)) as Record<string, unknown>);
    const data: Record<string, Value> = {};
    for (const name of named) {
      data[name] = toValue(`${info.name}.${name}`, row[columns.indexOf(name)] ?? null);
    }
    const seq = Number(seqValue);
    const statements: SqlStatement[] = [
      {
        sql: "UPDATE sync_outbox SET operation = ? WHERE seq = ?",
        args: [wireOperation(info, seq, kind, rowKey, data), seq],
      },
      { sql: "DELETE FROM sync_outbox_ref WHERE seq = ? AND column_name IS NOT NULL", args: [seq] },
    ];
    forEachTemporaryReference(model, info, data, (column, target, ref) => {
      statements.push({
        sql: "INSERT INTO sync_outbox_ref (seq, column_name, ref_table, ref_key) VALUES (?, ?, ?, ?)",
        args: [seq, column, target, ref],
      });
    });
    await tx.batch(statements);
  }
}

/**
 * Puts a rejected event back to pending, with the rejected events that depend on it, and theirs in
 * turn, their values refreshed from their rows. Returns the ids put back.
 */
export async function retryEvent(
  database: DeviceDatabase,
  model: SyncModel,
  givenId: number,
): Promise<number[]> {
  const id = eventId(`retryEvent(${JSON.stringify(givenId)})`, givenId);
  return database.transaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: "SELECT status FROM sync_outbox WHERE seq = ?",
      args: [id],
    });
    if (rows[0]?.[0] !== "rejected") {
      throw new SyncClientError(
        "INVALID_EVENT",
        `retryEvent(${id}): ${rows[0] ? "the event is not rejected" : "no such event"}`,
      );
    }
    const seqs = await putBackFamily(tx, model, id);
    await refreshFromRows(tx, model, seqs);
    return seqs;
  });
}
