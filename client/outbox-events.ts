import type { EventConflict } from "./answer-conflict.ts";
import { isBatchMember } from "./batch-members.ts";
import type { DeviceDatabase } from "./device-database.ts";
import { SyncClientError } from "./sync-client-error.ts";

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
  /**
   * When rejected for a conflict (code CONFLICT): what the server decided and its row, which the
   * device's row takes at its next receive. `retryEvent` sends the event again over it.
   */
  readonly conflict: EventConflict | null;
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
export function eventId(call: string, id: unknown): number {
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
export async function listEvents(
  database: DeviceDatabase,
  query: EventQuery = {},
): Promise<SyncEvent[]> {
  const limit = integerQuery("limit", query.limit, 100, 1, 10_000);
  const after = integerQuery("after", query.after, 0, 0, Number.MAX_SAFE_INTEGER);
  const status = query.status;
  if (status !== undefined && !Object.hasOwn(statusFilters, status)) {
    throw new SyncClientError(
      "INVALID_OPTION",
      `events(): status must be "pending" or "rejected", got ${JSON.stringify(status)}`,
    );
  }
  const { rows } = await database.read({
    sql: `SELECT seq, kind, table_name, row_key, operation -> '$.data', status, error_code, error_message,
                 EXISTS (SELECT 1 FROM sync_batch p WHERE ${isBatchMember("o", "p")}), created_at, conflict
          FROM sync_outbox o WHERE seq > ? AND ${status === undefined ? "1" : statusFilters[status]}
          ORDER BY seq LIMIT ?`,
    args: [after, limit],
  });
  return rows.map(
    ([seq, kind, table, key, data, state, code, message, inFlight, createdAt, conflict]) => ({
      id: Number(seq),
      kind: kind as SyncEvent["kind"],
      table: table === null ? null : String(table),
      key: key === null ? null : String(key),
      data: data === null ? null : (JSON.parse(String(data)) as Record<string, unknown>),
      status: state as EventStatus,
      error: code === null ? null : { code: String(code), message: String(message) },
      conflict: conflict === null ? null : (JSON.parse(String(conflict)) as EventConflict),
      inFlight: Number(inFlight) === 1,
      createdAt: String(createdAt),
    }),
  );
}
