import type { DeviceTransaction, SqlStatement } from "./device-database.ts";

/**
 * Temporary-key numbering within one local transaction. Each autonumbered table has a durable
 * counter (`sync_temp_key`), so a temporary key is never given twice by this device, not even
 * after its row was deleted or mapped. A key is taken only once the row holding it is written:
 * a write that fails leaves the counter where it was.
 */
export interface TempKeyCounter {
  /** The next temporary key of `table` (-1, -2, …), not yet taken. */
  next(table: string): Promise<number>;
  /** Takes `key`, the one {@link next} gave for `table`. */
  take(table: string, key: number): void;
  /**
   * Whether `key` was never given before this transaction (it was given in it, or never): then
   * no event of it was ever sent, and no mapping of it can exist.
   */
  newerThanSent(table: string, key: number): Promise<boolean>;
  /** The statements that store the counters this transaction moved, once; then it starts anew. */
  statements(): SqlStatement[];
}

/** The temporary-key counter of the transaction `tx`; it reads each table's counter once. */
export function createTempKeyCounter(tx: DeviceTransaction): TempKeyCounter {
  /** Each table's counter as stored when this transaction began. */
  const stored = new Map<string, number>();
  const last = new Map<string, number>();
  const moved = new Set<string>();
  const storedLast = async (table: string): Promise<number> => {
    let value = stored.get(table);
    if (value === undefined) {
      const { rows } = await tx.execute({
        sql: "SELECT last FROM sync_temp_key WHERE table_name = ?",
        args: [table],
      });
      value = Number(rows[0]?.[0] ?? 0);
      stored.set(table, value);
    }
    return value;
  };
  return {
    async next(table) {
      return (last.get(table) ?? (await storedLast(table))) - 1;
    },
    async newerThanSent(table, key) {
      return key < (await storedLast(table));
    },
    take(table, key) {
      last.set(table, key);
      moved.add(table);
    },
    statements() {
      const statements = [...moved].map((table) => ({
        sql: "INSERT INTO sync_temp_key (table_name, last) VALUES (?, ?) ON CONFLICT (table_name) DO UPDATE SET last = excluded.last",
        args: [table, last.get(table) ?? 0],
      }));
      moved.clear();
      return statements;
    },
  };
}
