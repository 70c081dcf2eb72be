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

/** A run of consecutive keys of one table. */
interface Run {
  readonly table: TableInfo;
  readonly firstKey: number;
  lastKey: number;
}

/**
 * An empty set of runs. A request that inserts parents and children in turn (a customer, its
 * invoices, their lines) takes consecutive keys in each table, not across them: each table's newest
 * run is extended on its own, so such a request still makes one run per table, not one per row.
 */
export function createInsertedRuns(): InsertedRuns {
  const runs: Run[] = [];
  const byTable = new Map<TableInfo, Run[]>();
  let count = 0;
  return {
    add(table, key) {
      count += 1;
      let own = byTable.get(table);
      if (!own) {
        own = [];
        byTable.set(table, own);
      }
      const last = own[own.length - 1];
      if (last && last.lastKey + 1 === key) {
        last.lastKey = key;
        return;
      }
      const run = { table, firstKey: key, lastKey: key };
      own.push(run);
      runs.push(run);
    },
    has(table, key) {
      const own = byTable.get(table);
      return own?.some((run) => run.firstKey <= key && key <= run.lastKey) ?? false;
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
