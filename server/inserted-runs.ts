import type { TableInfo } from "../schema/index.ts";
import type { InsertedRun } from "./store/sync-store.ts";

/**
 * The rows a request inserted into autonumbered global tables, as runs of consecutive keys: their
 * sync states need no look-up (version 1, scope `''`) and are written by one statement per run,
 * from the rows themselves, instead of one set of values per row.
 */
export interface InsertedRuns {
  /** Records an inserted row. */
  add(table: TableInfo, key: number): void;
  /** Whether this request inserted the row. */
  has(table: TableInfo, key: number): boolean;
  /** How many rows the runs hold. */
  readonly count: number;
  /** The runs, their change sequences numbered from `firstSeq` in run order. */
  numbered(firstSeq: number): InsertedRun[];
}

/** Whether a table's inserts can go into runs: keys made by the server, no scope to work out. */
export const runsApply = (table: TableInfo): boolean =>
  table.keyKind === "autonumber" && table.scope.kind === "global";

/** An empty set of runs. */
export function createInsertedRuns(): InsertedRuns {
  const runs: Array<{ table: TableInfo; firstKey: number; lastKey: number }> = [];
  let count = 0;
  return {
    add(table, key) {
      count += 1;
      const last = runs[runs.length - 1];
      if (last && last.table === table && last.lastKey + 1 === key) last.lastKey = key;
      else runs.push({ table, firstKey: key, lastKey: key });
    },
    has(table, key) {
      return runs.some((run) => run.table === table && run.firstKey <= key && key <= run.lastKey);
    },
    get count() {
      return count;
    },
    numbered(firstSeq) {
      let seq = firstSeq;
      return runs.map((run) => {
        const numbered = { ...run, firstSeq: seq };
        seq += run.lastKey - run.firstKey + 1;
        return numbered;
      });
    },
  };
}
