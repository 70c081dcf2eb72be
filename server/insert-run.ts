import type { SyncModel, TableInfo } from "../schema/index.ts";
import { rowIdentity } from "../writer/index.ts";
import type { ApplyContext } from "./apply-context.ts";
import { explainConstraintViolation } from "./explain-rejection.ts";
import type { Rejection } from "./operation.ts";
import type { InsertKey, PreparedInsert } from "./prepare-operation.ts";
import { type RunScopes, refuseInsert, scopeMatters } from "./refuse-by-scope.ts";
import { restricts } from "./scope-guard.ts";
import type { ServerKeyBlocks } from "./server-key-blocks.ts";
import { ConstraintViolation, type Row, type SqlValue } from "./store/sync-store.ts";
import type { TempKeys } from "./temp-keys.ts";

/**
 * A run of consecutive INSERTs (any tables), buffered and written with one multi-row statement
 * per table. Their key mappings are recorded only once their rows are written: until then a
 * row's server key is known to the run alone, which resolves references to it.
 */
export interface InsertRun {
  /**
   * Whether the run must be written before `insert` joins it: it inserts a temporary key the run
   * already holds (a resend), or into a table that a row of the run refers to by a plain value.
   */
  mustFlushBefore(insert: PreparedInsert): boolean;
  /**
   * Adds `insert` with its server key (`undefined` for a device-made key), or rejects it when a
   * temporary key it refers to does not resolve.
   */
  add(index: number, insert: PreparedInsert, serverKey: number | undefined): void;
  /** Writes the run and answers its INSERTs; the run is empty afterwards. */
  flush(): Promise<void>;
}

/** An INSERT waiting in the run, with its row as it will be written. */
interface Waiting {
  readonly index: number;
  readonly insert: PreparedInsert;
  readonly serverKey: number | undefined;
  readonly row: Row;
}

const insertKeyOf = (insert: PreparedInsert): InsertKey => ({
  table: insert.table.name,
  key: insert.key,
});

/**
 * The row of `insert` with its server key and the temporary keys it refers to replaced, or why
 * it cannot be built. A reference resolves to the row itself (a tree table), to a row waiting in
 * the run (`waiting`: table → temporary key → server key), or to a key mapping `tempKeys` holds.
 */
function buildRow(
  tempKeys: TempKeys,
  waiting: ReadonlyMap<string, ReadonlyMap<number, number>> | undefined,
  insert: PreparedInsert,
  serverKey: number | undefined,
): Row | Rejection {
  const { table, key, operation } = insert;
  const row = [...operation.values];
  if (serverKey !== undefined) row[0] = serverKey;
  for (const ref of operation.refs) {
    const resolved =
      serverKey !== undefined && ref.table === table.name && ref.tempKey === key
        ? serverKey
        : (waiting?.get(ref.table)?.get(ref.tempKey) ?? tempKeys.resolve(ref));
    if (typeof resolved !== "number") return resolved;
    row[table.columns.findIndex((column) => column.name === ref.column)] = resolved;
  }
  return row;
}

/** The tables an INSERT refers to by a plain value: a foreign key set, and not to a temporary key. */
function tablesReferencedByValue(model: SyncModel, insert: PreparedInsert): TableInfo[] {
  const targets: TableInfo[] = [];
  for (const column of insert.table.references) {
    const value = insert.operation.values[insert.table.columns.indexOf(column)];
    if (value === null || value === undefined) continue;
    if (insert.operation.refs.some((ref) => ref.column === column.name)) continue;
    const target = model.byName.get(column.references ?? "");
    if (target) targets.push(target);
  }
  return targets;
}

/**
 * Writes INSERTs one by one in list order, each with a new server key, so that a failed row
 * rejects the rows referring to it exactly as it would alone. The fallback of a run whose
 * multi-row write broke a constraint (nothing of it stayed).
 */
async function insertOneByOne(
  context: ApplyContext,
  keys: ServerKeyBlocks,
  run: readonly Waiting[],
): Promise<void> {
  const { tx, tempKeys } = context;
  for (const { index, insert } of run) {
    const { table } = insert;
    const serverKey =
      typeof insert.key === "number"
        ? (keys.next(table) ?? (await keys.reserve(table)))
        : undefined;
    const row = buildRow(tempKeys, undefined, insert, serverKey);
    if ("code" in row) {
      context.rejected(index, row, insertKeyOf(insert));
      continue;
    }
    try {
      await tx.insertRows([{ table, rows: [row] }]);
      const pending = context.inserted(index, insert, serverKey, row);
      if (pending) await pending;
    } catch (error) {
      if (!(error instanceof ConstraintViolation)) throw error;
      // A column left to its SQL default was not written by the device: nothing to blame on it.
      const values = table.columns.flatMap((column, i): Array<[string, SqlValue]> => {
        const value = row[i];
        return value === undefined ? [] : [[column.name, value]];
      });
      const problem = await explainConstraintViolation(
        context,
        insert,
        row[0] ?? null,
        values,
        error,
      );
      context.rejected(index, problem, insertKeyOf(insert));
    }
  }
}

/**
 * The run's rows the request's scopes allow, in order; the others are answered (see
 * `refuseInsert`), and so are the rows that refer to them by temporary key.
 */
async function withinScopes(context: ApplyContext, run: readonly Waiting[]): Promise<Waiting[]> {
  const scopes: RunScopes = new Map();
  const refused = new Set<string>();
  const accepted: Waiting[] = [];
  for (const waiting of run) {
    const { index, insert, row } = waiting;
    const dependsOn = insert.operation.refs.find((ref) =>
      refused.has(rowIdentity(ref.table, String(ref.tempKey))),
    );
    if (!dependsOn && !scopeMatters(context, insert.table)) {
      accepted.push(waiting);
      continue;
    }
    const rejection = dependsOn
      ? context.tempKeys.resolve(dependsOn)
      : await refuseInsert(context, insert.table, row, scopes);
    if (typeof rejection === "number" || rejection === undefined) {
      accepted.push(waiting);
      continue;
    }
    context.rejected(index, rejection, insertKeyOf(insert));
    if (typeof insert.key === "number")
      refused.add(rowIdentity(insert.table.name, String(insert.key)));
  }
  return accepted;
}

/** An empty run of the request `context` applies, taking server keys from `keys`. */
export function createInsertRun(context: ApplyContext, keys: ServerKeyBlocks): InsertRun {
  const { model, tx, tempKeys } = context;
  let run: Waiting[] = [];
  /** By table, the temporary keys of the run's INSERTs and the server keys they will take. */
  const waiting = new Map<string, Map<number, number>>();
  /**
   * Tables that rows of the run refer to by a plain value (a device-made key, or a server key),
   * not a temporary key. Written per table, parents first, such a reference would find a row
   * that list order inserts only later; so an INSERT into one of these tables starts a new run.
   */
  const referencedByValue = new Set<TableInfo>();

  return {
    mustFlushBefore(insert) {
      return (
        (typeof insert.key === "number" && waiting.get(insert.table.name)?.has(insert.key)) ||
        referencedByValue.has(insert.table)
      );
    },

    add(index, insert, serverKey) {
      const row = buildRow(tempKeys, waiting, insert, serverKey);
      if ("code" in row) {
        context.rejected(index, row, insertKeyOf(insert));
        return;
      }
      run.push({ index, insert, serverKey, row });
      if (typeof insert.key === "number" && serverKey !== undefined) {
        const keys = waiting.get(insert.table.name);
        if (keys) keys.set(insert.key, serverKey);
        else waiting.set(insert.table.name, new Map([[insert.key, serverKey]]));
      }
      for (const target of tablesReferencedByValue(model, insert)) referencedByValue.add(target);
    },

    /**
     * One multi-row statement per table, parents before children (the model's order), which is
     * what list order gives when every row succeeds. If any row breaks a constraint, nothing of
     * the run stays and its rows go again one by one.
     */
    async flush() {
      const written = run;
      run = [];
      waiting.clear();
      referencedByValue.clear();
      // A run whose tables are all global (and refer only to global ones) has nothing to refuse.
      const checked =
        restricts(context.guard) && written.some((w) => scopeMatters(context, w.insert.table));
      const accepted = checked ? await withinScopes(context, written) : written;
      if (accepted.length === 0) return;
      const byTable = new Map<TableInfo, Row[]>();
      for (const { insert, row } of accepted) {
        const rows = byTable.get(insert.table);
        if (rows) rows.push(row);
        else byTable.set(insert.table, [row]);
      }
      const groups = model.ordered.flatMap((table) => {
        const rows = byTable.get(table);
        return rows ? [{ table, rows }] : [];
      });
      try {
        await tx.insertRows(groups);
      } catch (error) {
        if (!(error instanceof ConstraintViolation)) throw error;
        await insertOneByOne(context, keys, accepted);
        return;
      }
      for (const { index, insert, serverKey, row } of accepted) {
        const pending = context.inserted(index, insert, serverKey, row);
        if (pending) await pending;
      }
    },
  };
}
