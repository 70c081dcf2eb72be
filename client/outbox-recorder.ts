import type { SyncModel, TableInfo } from "../schema/index.ts";
import { multiRowStatements } from "../writer/multi-row-insert.ts";
import type { DeviceTransaction, SqlStatement } from "./device-database.ts";
import { rowsPerDeviceStatement } from "./insert-group.ts";
import { type EventBase, wireOperation } from "./wire-operation.ts";
import type { Value } from "./write-checks.ts";

/** The kind of an event that writes a row. */
export type WriteKind = "insert" | "update" | "delete";

/**
 * Calls `found(column, table, key)` for each foreign key in `data` that holds a temporary key of
 * an autonumbered table: the references `sync_outbox_ref` indexes, so that a key mapping finds
 * the waiting events to rewrite without scanning the outbox.
 */
export function forEachTemporaryReference(
  model: SyncModel,
  info: TableInfo,
  data: Readonly<Record<string, Value>> | null,
  found: (column: string, table: string, key: number) => void,
): void {
  if (data === null) return;
  for (const column of info.references) {
    const value = data[column.name];
    if (typeof value !== "number" || value >= 0) continue;
    const target = model.byName.get(column.references ?? "");
    if (target?.keyKind === "autonumber") found(column.name, target.name, value);
  }
}

/** The events of one local transaction, numbered as they come and written together before commit. */
export interface OutboxRecorder {
  /**
   * Records a write of a row, made already: `data` as the wire carries it (SQL column names), and
   * for an UPDATE or DELETE what the device knew of the row (null: no server version of it).
   */
  record(
    kind: WriteKind,
    info: TableInfo,
    key: Value,
    data: Readonly<Record<string, Value>> | null,
    base?: EventBase | null,
  ): Promise<void>;
  /** Records a checkpoint. */
  checkpoint(): Promise<void>;
  /** The multi-row INSERTs of the events and their references recorded so far, once. */
  statements(): SqlStatement[];
}

/** seq, kind, table, key, operation (the event's wire JSON). */
type EventRow = [number, string, string | null, string | null, string | null];
/** seq, column (null: the event's own key), referenced table, temporary key. */
type RefRow = [number, string | null, string, number];

/** The outbox recorder of the transaction `tx`. */
export function createOutboxRecorder(tx: DeviceTransaction, model: SyncModel): OutboxRecorder {
  const events: EventRow[] = [];
  const refs: RefRow[] = [];
  let nextSeq: number | undefined;
  /** Sequence numbers are taken here, never reused: the transaction holds the write lock. */
  const takeSeq = async (): Promise<number> => {
    if (nextSeq === undefined) {
      const { rows } = await tx.execute(
        `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'sync_outbox'), 0),
                    coalesce((SELECT max(seq) FROM sync_outbox), 0)) + 1`,
      );
      nextSeq = Number(rows[0]?.[0] ?? 1);
    }
    return nextSeq++;
  };
  return {
    async record(kind, info, key, data, base = null) {
      const seq = await takeSeq();
      const rowKey = String(key);
      const operation = wireOperation(info, seq, kind, rowKey, data, base);
      events.push([seq, kind, info.name, rowKey, operation]);
      if (kind !== "insert" && typeof key === "number" && key < 0) {
        refs.push([seq, null, info.name, key]);
      }
      forEachTemporaryReference(model, info, data, (column, table, ref) => {
        refs.push([seq, column, table, ref]);
      });
    },
    async checkpoint() {
      events.push([await takeSeq(), "checkpoint", null, null, null]);
    },
    statements() {
      const statements = [
        ...multiRowStatements(
          "INSERT INTO sync_outbox (seq, kind, table_name, row_key, operation)",
          5,
          events,
          rowsPerDeviceStatement,
        ),
        ...multiRowStatements(
          "INSERT INTO sync_outbox_ref (seq, column_name, ref_table, ref_key)",
          4,
          refs,
          rowsPerDeviceStatement,
        ),
      ];
      events.length = 0;
      refs.length = 0;
      return statements;
    },
  };
}
