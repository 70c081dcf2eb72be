import { rowIdentity } from "../writer/index.ts";
import type { RowRef, SyncStoreTransaction } from "./store/sync-store.ts";

/**
 * The rows of tables with device-made keys whose INSERT this request applied or rejected; the
 * last verdict on a row counts. Saved at the end, so that a later request still tells a row this
 * client failed to insert (DEPENDENCY_REJECTED) from one it never sent (NOT_FOUND).
 */
export interface DeviceRowMarks {
  /** The row's INSERT was written. */
  inserted(row: RowRef): void;
  /** The row's INSERT was rejected. */
  rejected(row: RowRef): void;
  /** Whether the last verdict of this request on the row's INSERT was APPLIED. */
  wasInserted(row: RowRef): boolean;
  /** Whether the last verdict of this request on the row's INSERT was REJECTED. */
  wasRejected(row: RowRef): boolean;
  /** Marks the rows rejected in this request and clears the marks of rows it inserted. */
  save(): Promise<void>;
}

/** The marks of one request of `clientId`, empty at first. */
export function createDeviceRowMarks(tx: SyncStoreTransaction, clientId: string): DeviceRowMarks {
  const insertedRows = new Map<string, RowRef>();
  const rejectedRows = new Map<string, RowRef>();
  const mark = (row: RowRef, to: Map<string, RowRef>, from: Map<string, RowRef>): void => {
    const identity = rowIdentity(row.table, row.key);
    to.set(identity, row);
    from.delete(identity);
  };
  return {
    inserted: (row) => mark(row, insertedRows, rejectedRows),
    rejected: (row) => mark(row, rejectedRows, insertedRows),
    wasInserted: (row) => insertedRows.has(rowIdentity(row.table, row.key)),
    wasRejected: (row) => rejectedRows.has(rowIdentity(row.table, row.key)),
    save: () =>
      tx.saveRejectedRows(clientId, [...rejectedRows.values()], [...insertedRows.values()]),
  };
}
