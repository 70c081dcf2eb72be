import type { SyncModel } from "../schema/index.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import type { DeviceDatabase, DeviceTransaction, SqlStatement } from "./device-database.ts";
import { eventFamily } from "./event-family.ts";
import { eventId } from "./outbox-events.ts";
import { forEachTemporaryReference } from "./outbox-recorder.ts";
import { SyncClientError } from "./sync-client-error.ts";
import { wireOperation } from "./wire-operation.ts";
import { toValue, type Value } from "./write-checks.ts";

/**
 * Puts the rejected event `id` back to pending with its rejected family (see `eventFamily`), and
 * returns their seqs in order.
 */
async function putBackFamily(
  tx: DeviceTransaction,
  model: SyncModel,
  id: number,
): Promise<number[]> {
  const seqs = await eventFamily(tx, model, id, "rejected");
  await tx.execute({
    sql: `UPDATE sync_outbox SET status = 'pending', error_code = NULL, error_message = NULL, conflict = NULL
          WHERE seq IN (SELECT value FROM json_each(?))`,
    args: [JSON.stringify(seqs)],
  });
  return seqs;
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
    sql: `SELECT seq, kind, table_name, row_key, operation -> '$.data', operation ->> '$.baseVersion',
                 operation -> '$.base' FROM sync_outbox
          WHERE seq IN (SELECT value FROM json_each(?)) AND kind IN ('insert', 'update')`,
    args: [JSON.stringify(seqs)],
  });
  for (const [seqValue, eventKind, table, key, eventData, baseVersion, baseValues] of events) {
    const info = model.byName.get(String(table));
    if (!info) continue;
    const rowKey = String(key);
    // The change was made on that base, whatever values it now carries.
    const base =
      baseVersion === null
        ? null
        : {
            version: Number(baseVersion),
            values:
              baseValues === null
                ? null
                : (JSON.parse(String(baseValues)) as Record<string, Value>),
          };
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
        args: [wireOperation(info, seq, kind, rowKey, data, base), seq],
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
 * The version of a row this device knows (`sync_row_version`), or null; null too for one it forgot
 * (negative), which a retry must not go on: it overwrites the server's row, taken or not.
 */
async function knownVersion(tx: DeviceTransaction, table: string, key: string) {
  const { rows } = await tx.execute({
    sql: "SELECT version FROM sync_row_version WHERE table_name = ? AND row_key = ? AND version > 0",
    args: [table, key],
  });
  const version = rows[0]?.[0];
  return version === undefined || version === null ? null : Number(version);
}

/**
 * Rebases events the server rejected for a conflict on the row as the device holds it now (it
 * took the server's values at a receive): the app retries to overwrite them. An UPDATE is made
 * again on the row, with the version the device knows and the columns' current values as its
 * base; a DELETE deletes the row again (when nothing refers to it). Then the server sees the
 * change as one made on its version, and applies it.
 */
async function rebaseOnCurrent(
  tx: DeviceTransaction,
  model: SyncModel,
  seqs: readonly number[],
): Promise<void> {
  const { rows: events } = await tx.execute({
    sql: `SELECT seq, kind, table_name, row_key, operation -> '$.data' FROM sync_outbox
          WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq`,
    args: [JSON.stringify(seqs)],
  });
  for (const [seqValue, eventKind, table, key, eventData] of events) {
    const info = model.byName.get(String(table));
    if (!info || (eventKind !== "update" && eventKind !== "delete")) continue;
    const rowKey = String(key);
    const typedKey = info.keyKind === "autonumber" ? Number(rowKey) : rowKey;
    const byKey = `${quoteIdentifier(info.name)} WHERE ${quoteIdentifier(info.key.name)} = ?`;
    const version = await knownVersion(tx, info.name, rowKey);
    const seq = Number(seqValue);
    if (eventKind === "delete") {
      const base = version === null ? null : { version, values: null };
      await tx.execute({
        sql: "UPDATE sync_outbox SET operation = ? WHERE seq = ?",
        args: [wireOperation(info, seq, "delete", rowKey, null, base), seq],
      });
      await tx.execute({ sql: `DELETE FROM ${byKey}`, args: [typedKey] }).catch(() => undefined);
      continue;
    }
    const data = JSON.parse(String(eventData)) as Record<string, Value>;
    const { columns, rows } = await tx.execute({ sql: `SELECT * FROM ${byKey}`, args: [typedKey] });
    const row = rows[0];
    if (!row) continue;
    const names = Object.keys(data).filter((name) => info.columnsByName.has(name));
    const values = Object.fromEntries(
      names.map((name) => [
        name,
        toValue(`${info.name}.${name}`, row[columns.indexOf(name)] ?? null),
      ]),
    );
    const base = version === null ? null : { version, values };
    await tx.batch([
      {
        sql: "UPDATE sync_outbox SET operation = ? WHERE seq = ?",
        args: [wireOperation(info, seq, "update", rowKey, data, base), seq],
      },
      {
        sql: `UPDATE ${quoteIdentifier(info.name)} SET ${names.map((name) => `${quoteIdentifier(name)} = ?`).join(", ")} WHERE ${quoteIdentifier(info.key.name)} = ?`,
        args: [...names.map((name) => data[name] ?? null), typedKey],
      },
    ]);
  }
}

/**
 * Puts a rejected event back to pending, with the rejected events that depend on it, and theirs in
 * turn, their values refreshed from their rows; those rejected for a conflict are rebased on the
 * row as the device holds it now instead (see {@link rebaseOnCurrent}). Returns the ids put back.
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
    const { rows: conflicted } = await tx.execute(
      "SELECT seq FROM sync_outbox WHERE status = 'rejected' AND error_code = 'CONFLICT'",
    );
    const overwrite = new Set(conflicted.map((row) => Number(row[0])));
    const seqs = await putBackFamily(tx, model, id);
    await refreshFromRows(
      tx,
      model,
      seqs.filter((seq) => !overwrite.has(seq)),
    );
    await rebaseOnCurrent(
      tx,
      model,
      seqs.filter((seq) => overwrite.has(seq)),
    );
    return seqs;
  });
}
