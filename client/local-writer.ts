import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { SyncModel } from "../schema/index.ts";
import { deleteRow, updateRow } from "./change-row.ts";
import type { DeviceTransaction } from "./device-database.ts";
import { insertRow } from "./insert-row.ts";
import type { InsertValues, RowKey, UpdateValues } from "./typed-tables.ts";
import { invalid } from "./write-checks.ts";
import { createWriteContext } from "./write-context.ts";

/** Writes to synced tables, each recorded in the outbox in the same transaction. */
export interface LocalWriter<TTables extends Record<string, SQLiteTable>> {
  /**
   * Inserts a row and returns its key: the next temporary key (negative) for autonumbered tables.
   * Inside `transaction()`, consecutive inserts into one table are written together, so a
   * constraint error of one of them may surface at a later write or at commit; the transaction
   * then fails whole, as always.
   */
  insert<T extends TTables[keyof TTables]>(table: T, values: InsertValues<T>): Promise<RowKey<T>>;
  /** Changes columns of a row; records only the columns whose value changes. */
  update<T extends TTables[keyof TTables]>(
    table: T,
    key: RowKey<T>,
    changes: UpdateValues<T>,
  ): Promise<void>;
  delete<T extends TTables[keyof TTables]>(table: T, key: RowKey<T>): Promise<void>;
  /** Appends a checkpoint: a request boundary for `send()`. */
  setSendCheckpoint(): Promise<void>;
}

/** A writer of one transaction, whose outbox events are written by `flush()` before commit. */
export interface TransactionWriter<TTables extends Record<string, SQLiteTable>>
  extends LocalWriter<TTables> {
  /**
   * Writes the rows still grouped, the buffered outbox events and the temporary-key counters.
   * Call once, before commit, when the callback returned; fails if a write is still under way.
   * The writer refuses writes after.
   */
  flush(): Promise<void>;
  /** Refuses every later write: the transaction failed. */
  end(): void;
}

/**
 * The writer of one local transaction (capture). Each write is a short list of steps (check the
 * values, find the row's current key, write the row, record its event: `insert-row.ts`,
 * `change-row.ts`). Rows are written at once, or grouped into multi-row INSERTs that are written
 * before any other statement on a synced table; their outbox events and the temporary-key
 * counters are buffered and written with a few multi-row statements at `flush()`, in the same
 * transaction. Writes run one after another, also when the app does not await each one before
 * the next (`Promise.all`), so their keys and events come in the order they were called.
 */
export function createLocalWriter<TTables extends Record<string, SQLiteTable>>(
  model: SyncModel<TTables>,
  tx: DeviceTransaction,
): TransactionWriter<TTables> {
  const context = createWriteContext(model, tx);
  // The transaction ends with its callback: a write called after that, or still under way then (a
  // write not awaited, a forEach with an async callback), would be lost or land without its event.
  let ended = false;
  let underWay = 0;
  let tail: Promise<void> = Promise.resolve();
  const serial =
    <A extends unknown[], R>(name: string, method: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      if (ended) {
        return Promise.reject(
          invalid(
            `${name}: the transaction has ended; use its writer only inside transaction()'s callback, and await each write`,
          ),
        );
      }
      const start = () => method(...args);
      const result = underWay === 0 ? start() : tail.then(start);
      underWay += 1;
      const done = () => {
        underWay -= 1;
      };
      tail = result.then(done, done);
      return result;
    };

  return {
    insert: serial("insert", (table, values) =>
      insertRow(context, table, values),
    ) as LocalWriter<TTables>["insert"],
    update: serial("update", (table, key, changes) => updateRow(context, table, key, changes)),
    delete: serial("delete", (table, key) => deleteRow(context, table, key)),
    setSendCheckpoint: serial("setSendCheckpoint", () => context.outbox.checkpoint()),
    end() {
      ended = true;
    },
    async flush() {
      ended = true;
      if (underWay > 0) {
        throw invalid(
          `transaction(): ${underWay} write${underWay === 1 ? " was" : "s were"} still under way when the callback returned; await each write (a forEach with an async callback does not), nothing was committed`,
        );
      }
      await context.inserts.write();
      await tx.batch([...context.outbox.statements(), ...context.tempKeys.statements()]);
    },
  };
}
