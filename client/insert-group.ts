import { multiRowInsertSql, rowsPerStatement } from "../writer/multi-row-insert.ts";
import type { DeviceTransaction } from "./device-database.ts";
import { asInvalidWrite, type Value } from "./write-checks.ts";

/**
 * Most rows of one multi-row INSERT on the device: far below SQLite's parameter cap, and few
 * enough distinct statement texts (a full group's, and the last one's) to stay prepared.
 */
export const rowsPerDeviceStatement = 500;

/**
 * Consecutive inserts into one table with the same columns, written as one multi-row INSERT: a
 * statement per row is what makes bulk writes slow in libSQL (and, in a web page, a message per
 * row). Rows wait in the group until a row of another shape comes, the group is full, or
 * {@link write} is called, which must happen before any other statement on a synced table (the
 * app may read or reference the rows next) and before commit.
 */
export interface InsertGroup {
  /**
   * Adds a row: `head` is `INSERT INTO table (columns)`, `values` one per column. `table` names
   * the write in a constraint error, which may then surface at a later write or at commit.
   */
  add(table: string, head: string, values: readonly Value[]): Promise<void>;
  /** Writes the rows waiting, if any. */
  write(): Promise<void>;
}

/** The insert group of the transaction `tx`. */
export function createInsertGroup(tx: DeviceTransaction): InsertGroup {
  let group:
    | { table: string; head: string; width: number; args: Value[]; count: number }
    | undefined;
  const write = async (): Promise<void> => {
    const rows = group;
    group = undefined;
    if (!rows || rows.count === 0) return;
    const sql = multiRowInsertSql(rows.head, rows.width, rows.count);
    await asInvalidWrite(`insert into ${rows.table}`, () => tx.execute({ sql, args: rows.args }));
  };
  return {
    async add(table, head, values) {
      if (
        group?.head !== head ||
        group.count >= rowsPerStatement(values.length, rowsPerDeviceStatement)
      ) {
        await write();
        group = { table, head, width: values.length, args: [], count: 0 };
      }
      for (const value of values) group.args.push(value);
      group.count += 1;
    },
    write,
  };
}
