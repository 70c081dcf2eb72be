import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { SyncModel, TableInfo } from "../schema/index.ts";
import type { DeviceTransaction } from "./device-database.ts";
import { createInsertGroup, type InsertGroup } from "./insert-group.ts";
import { createOutboxRecorder, type OutboxRecorder } from "./outbox-recorder.ts";
import { createTempKeyCounter, type TempKeyCounter } from "./temp-key-counter.ts";
import { invalid } from "./write-checks.ts";

/** What the writes of one local transaction share: its statements and what waits for commit. */
export interface WriteContext {
  readonly model: SyncModel;
  readonly tx: DeviceTransaction;
  /** The synced table a drizzle table is, or INVALID_WRITE. */
  infoOf(table: SQLiteTable): TableInfo;
  readonly inserts: InsertGroup;
  readonly tempKeys: TempKeyCounter;
  readonly outbox: OutboxRecorder;
}

const tablesOf = new WeakMap<SyncModel, ReadonlyMap<SQLiteTable, TableInfo>>();

/** The context of the writes of the transaction `tx`. */
export function createWriteContext(model: SyncModel, tx: DeviceTransaction): WriteContext {
  let tables = tablesOf.get(model);
  if (!tables) {
    tables = new Map(model.ordered.map((info) => [info.drizzle, info]));
    tablesOf.set(model, tables);
  }
  const known = tables;
  return {
    model,
    tx,
    infoOf(table) {
      const info = known.get(table);
      if (!info) throw invalid("the table is not part of the synced model");
      return info;
    },
    inserts: createInsertGroup(tx),
    tempKeys: createTempKeyCounter(tx),
    outbox: createOutboxRecorder(tx, model),
  };
}
