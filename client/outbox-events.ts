import type { Client, InValue } from "@libsql/client";
import type { SyncModel } from "../schema/index.ts";
import { quoteIdentifier, type Writer, type WriteTransaction } from "../writer/index.ts";
import { isBatchMember } from "./batch-members.ts";
import { SyncClientError } from "./sync-client-error.ts";
import { wireOperation } from "./wire-operation.ts";

/** The state of an event in the outbox. */
export type EventStatus = "pending" | "rejected";

/** An event of the outbox, as the app sees it. */
export interface SyncEvent {
  /** The event's id (its position in the outbox). */
  readonly id: number;
  readonly kind: "insert" | "update" | "delete" | "checkpoint";
  readonly table: string | null;
  readonly key: string | null;
  readonly data: Record<string, unknown> | null;
  readonly status: EventStatus;
  /** The server's verdict when rejected. */
  readonly error: { readonly code: string; readonly message: string } | null;
  /** Whether the event is in a batch sent and not yet answered (it cannot be removed now). */
  readonly inFlight: boolean;
  readonly createdAt: string;
}

/** Which events to list: by status, a page at a time. */
export interface EventQuery {
  readonly status?: EventStatus;
  /** At most this many (default 100, at most 10,000). */
  readonly limit?: number;
  /** Only events after this id, to page through the outbox. */
  readonly after?: number;
}

/**
 * The filter of each status, written out: SQLite uses the partial index of rejected events only
 * for a query that names the status itself, not a parameter.
 */
const statusFilters: Record<EventStatus, string> = {
  pending: "status = 'pending' AND kind != 'checkpoint'",
  rejected: "status = 'rejected' AND kind != 'checkpoint'",
};

/** An event id the app gave: a positive integer, or INVALID_EVENT naming the call. */
function eventId(call: string, id: unknown): number {
  if (!Number.isSafeInteger(id) || (id as number) < 1) {
    throw new SyncClientError(
      "INVALID_EVENT",
      `${call}: an event id is a positive integer (SyncEvent.id), got ${JSON.stringify(id) ?? typeof id}`,
    );
  }
  return id as number;
}

function integerQuery(name: string, value: unknown, fallback: number, min: number, max: number) {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw new SyncClientError(
      "INVALID_OPTION",
      `events(): ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value) ?? typeof value}`,
    );
  }
  return value as number;
}

/** Lists outbox events (checkpoints included when no status is given), oldest first. */
export async function listEvents(client: Client, query: EventQuery = {}): Promise<SyncEvent[]> {
  const limit = integerQuery("limit", query.limit, 100, 1, 10_000);
  const after = integerQuery("after", query.after, 0, 0, Number.MAX_SAFE_INTEGER);
  const status = query.status;
  if (status !== undefined && !Object.hasOwn(statusFilters, status)) {
    throw new SyncClientError(
      "INVALID_OPTION",
      `events(): status must be "pending" or "rejected", got ${JSON.stringify(status)}`,
    );
  }
  const { rows } = await client.execute({
    sql: `SELECT seq, kind, table_name, row_key, operation -> '$.data' AS data, status, error_code, error_message,
                 EXISTS (SELECT 1 FROM sync_batch p WHERE ${isBatchMember("o", "p")}) AS in_flight, created_at
          FROM sync_outbox o WHERE seq > ? AND ${status === undefined ? "1" : statusFilters[status]}
          ORDER BY seq LIMIT ?`,
    args: [after, limit],
  });
  return rows.map((row) => ({
    id: Number(row.seq),
    kind: row.kind as SyncEvent["kind"],
    table: row.table_name === null ? null : String(row.table_name),
    key: row.row_key === null ? null : String(row.row_key),
    data: row.data === null ? null : (JSON.parse(String(row.data)) as Record<string, unknown>),
    status: row.status as EventStatus,
    error:
      row.error_code === null
        ? null
        : { code: String(row.error_code), message: String(row.error_message) },
    inFlight: Number(row.in_flight) === 1,
    createdAt: String(row.created_at),
  }));
}

/**
 * Puts a rejected event back to pending, with the rejected events that depend on it, and theirs in
 * turn: for an INSERT, the later events of the same row (an update or delete of the row it was to
 * create) and the events that reference that row, by a temporary key or by a key the device made.
 * Returns the ids put back.
 */
export async function retryEvent(
  writes: Writer,
  model: SyncModel,
  givenId: number,
): Promise<number[]> {
  const id = eventId(`retryEvent(${JSON.stringify(givenId)})`, givenId);
  return writes.run(async (tx) => {
    const { rows } = await tx.execute({
      sql: "SELECT status FROM sync_outbox WHERE seq = ?",
      args: [id],
    });
    if (rows[0]?.status !== "rejected") {
      throw new SyncClientError(
        "INVALID_EVENT",
        `retryEvent(${id}): ${rows[0] ? "the event is not rejected" : "no such event"}`,
      );
    }
    // References to a row whose key the device made are in the event's data only.
    const byClientKey: string[] = [];
    const args: InValue[] = [id];
    for (const child of model.ordered) {
      for (const column of child.references) {
        if (model.byName.get(column.references ?? "")?.keyKind !== "client") continue;
        byClientKey.push(`
              UNION
              SELECT child.seq FROM family f
              JOIN sync_outbox parent ON parent.seq = f.seq AND parent.kind = 'insert' AND parent.table_name = ?
              JOIN sync_outbox child ON child.table_name = ? AND child.seq > parent.seq
                AND child.status = 'rejected' AND (child.operation -> '$.data') ->> ? = parent.row_key`);
        args.push(column.references ?? "", child.name, column.name);
      }
    }
    const { rows: retried } = await tx.execute({
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
                AND child.seq > parent.seq AND child.status = 'rejected'${byClientKey.join("")}
            )
            UPDATE sync_outbox SET status = 'pending', error_code = NULL, error_message = NULL
            WHERE seq IN (SELECT seq FROM family) RETURNING seq`,
      args,
    });
    const seqs = retried.map((row) => Number(row.seq)).sort((a, b) => a - b);
    await refreshFromRows(tx, model, seqs);
    return seqs;
  });
}

/** A column value as the wire carries it. */
const wireValue = (value: unknown): string | number | null =>
  typeof value === "bigint" ? Number(value) : (value as string | number | null);

/**
 * Gives retried inserts and updates the values their rows have now: the app may have fixed a
 * rejected row with a local update, and values the event was refused with would be refused again
 * (an insert) or would overwrite newer ones on the server (an update that later ones overtook).
 * Events of a row that is gone keep their values; its delete follows them.
 */
async function refreshFromRows(
  tx: WriteTransaction,
  model: SyncModel,
  seqs: readonly number[],
): Promise<void> {
  const { rows: events } = await tx.execute({
    sql: `SELECT seq, kind, table_name, row_key, operation -> '$.data' AS data FROM sync_outbox
          WHERE seq IN (SELECT value FROM json_each(?)) AND kind IN ('insert', 'update')`,
    args: [JSON.stringify(seqs)],
  });
  for (const event of events) {
    const info = model.byName.get(String(event.table_name));
    if (!info) continue;
    const rowKey = String(event.row_key);
    const { rows } = await tx.execute({
      sql: `SELECT * FROM ${quoteIdentifier(info.name)} WHERE ${quoteIdentifier(info.key.name)} = ?`,
      args: [info.keyKind === "autonumber" ? Number(rowKey) : rowKey],
    });
    const row = rows[0];
    if (!row) continue;
    const kind = event.kind === "insert" ? "insert" : "update";
    const named =
      kind === "insert"
        ? info.dataColumns.map((column) => column.name)
        : Object.keys(JSON.parse(String(event.data)) as Record<string, unknown>);
    const data: Record<string, string | number | null> = {};
    for (const name of named) data[name] = wireValue(row[name]);
    const seq = Number(event.seq);
    await tx.execute({
      sql: "UPDATE sync_outbox SET operation = ? WHERE seq = ?",
      args: [wireOperation(info, seq, kind, rowKey, data), seq],
    });
    // References by temporary key follow the values (the row key's own reference stays).
    await tx.execute({
      sql: "DELETE FROM sync_outbox_ref WHERE seq = ? AND column_name IS NOT NULL",
      args: [seq],
    });
    for (const column of info.references) {
      const value = data[column.name];
      const target = model.byName.get(column.references ?? "");
      if (typeof value === "number" && value < 0 && target?.keyKind === "autonumber") {
        await tx.execute({
          sql: "INSERT INTO sync_outbox_ref (seq, column_name, ref_table, ref_key) VALUES (?, ?, ?, ?)",
          args: [seq, column.name, target.name, value],
        });
      }
    }
  }
}

/** Drops one event from the outbox; an event in a batch being sent cannot be removed. */
export async function removeEvent(writes: Writer, givenId: number): Promise<void> {
  const id = eventId(`removeEvent(${JSON.stringify(givenId)})`, givenId);
  return writes.run(async (tx) => {
    const { rows } = await tx.execute({
      sql: `SELECT EXISTS (SELECT 1 FROM sync_batch p WHERE ${isBatchMember("o", "p")}) AS in_flight
            FROM sync_outbox o WHERE seq = ?`,
      args: [id],
    });
    const [row] = rows;
    if (!row) throw new SyncClientError("INVALID_EVENT", `removeEvent(${id}): no such event`);
    if (Number(row.in_flight) === 1) {
      throw new SyncClientError(
        "INVALID_EVENT",
        `removeEvent(${id}): the event was sent and its answer has not arrived; send() again first`,
      );
    }
    await tx.execute({ sql: "DELETE FROM sync_outbox_ref WHERE seq = ?", args: [id] });
    await tx.execute({ sql: "DELETE FROM sync_outbox WHERE seq = ?", args: [id] });
  });
}
