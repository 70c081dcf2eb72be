import type { SyncModel, TableInfo } from "../schema/index.ts";
import type {
  BatchOutcome,
  KeyMapping,
  OperationVerdict,
  Rejection,
  SyncOperation,
  TempKeyRef,
} from "./operation.ts";
import { type Prepared, prepareOperation, type Refused } from "./prepare-operation.ts";
import {
  ConstraintViolation,
  type Row,
  type RowRef,
  type SqlValue,
  type SyncStoreTransaction,
} from "./store/sync-store.ts";
import { loadTempKeys, type TempKeys } from "./temp-keys.ts";

/** Options of {@link applyBatch}. */
export interface ApplyBatchOptions {
  readonly model: SyncModel;
  readonly tx: SyncStoreTransaction;
  readonly clientId: string;
  readonly operations: readonly SyncOperation[];
}

/** An INSERT waiting in a run of INSERTs into one table, written with one statement. */
interface PendingInsert {
  readonly index: number;
  readonly prepared: Prepared & { operation: { kind: "INSERT" } };
  readonly row: Row;
}

const applied = (eventId: string): OperationVerdict => ({
  eventId,
  status: "APPLIED",
  error: null,
});
const rejected = (eventId: string, error: Rejection): OperationVerdict => ({
  eventId,
  status: "REJECTED",
  error,
});

/** Collects every temporary key the request mentions, by table, to load their states at once. */
function mentionedTempKeys(prepared: ReadonlyArray<Prepared | Refused>): Map<string, Set<number>> {
  const keys = new Map<string, Set<number>>();
  const add = (table: string, tempKey: number): void => {
    let set = keys.get(table);
    if (!set) {
      set = new Set();
      keys.set(table, set);
    }
    set.add(tempKey);
  };
  for (const item of prepared) {
    if (!item.ok) {
      if (item.insertKey) add(item.insertKey.table, item.insertKey.tempKey);
      continue;
    }
    if (item.operation.kind === "INSERT" && typeof item.key === "number")
      add(item.table.name, item.key);
    for (const ref of item.operation.refs) add(ref.table, ref.tempKey);
  }
  return keys;
}

/** The rows of tables with device-made keys an operation needs: its own (UPDATE, DELETE) and referenced ones. */
function deviceKeyedRows(model: SyncModel, item: Prepared): RowRef[] {
  const rows: RowRef[] = [];
  const { table, operation } = item;
  if (operation.kind !== "INSERT" && table.keyKind === "client")
    rows.push({ table: table.name, key: String(item.key) });
  const valueIn = (column: string): SqlValue | undefined =>
    operation.kind === "INSERT"
      ? operation.values[table.columns.findIndex((c) => c.name === column)]
      : operation.kind === "UPDATE"
        ? operation.changes.find(([name]) => name === column)?.[1]
        : undefined;
  for (const column of table.references) {
    const target = model.byName.get(column.references ?? "");
    const value = valueIn(column.name);
    if (target?.keyKind === "client" && typeof value === "string")
      rows.push({ table: target.name, key: value });
  }
  return rows;
}

/** The tables an INSERT refers to by a plain value: a foreign key set, and not to a temporary key. */
function tablesReferencedByValue(
  model: SyncModel,
  item: Prepared & { operation: { kind: "INSERT" } },
): TableInfo[] {
  const targets: TableInfo[] = [];
  for (const column of item.table.references) {
    const value = item.operation.values[item.table.columns.indexOf(column)];
    if (value === null || value === undefined) continue;
    if (item.operation.refs.some((ref) => ref.column === column.name)) continue;
    const target = model.byName.get(column.references ?? "");
    if (target) targets.push(target);
  }
  return targets;
}

/** Replaces temporary keys with server keys; the first reference that cannot resolve rejects. */
function resolveRefs(
  tempKeys: TempKeys,
  refs: readonly TempKeyRef[],
  write: (ref: TempKeyRef, serverKey: number) => void,
): Rejection | undefined {
  for (const ref of refs) {
    const resolved = tempKeys.resolve(ref);
    if (typeof resolved !== "number") return resolved;
    write(ref, resolved);
  }
  return undefined;
}

/**
 * Applies a request's operations in list order inside the caller's transaction and returns a
 * verdict per operation plus the key mappings of autonumbered INSERTs.
 *
 * Invariants: a rejected operation writes nothing; the other operations apply as if each ran
 * alone in order; temporary keys (foreign keys, UPDATE/DELETE keys) are rewritten from this
 * request's INSERTs and from every earlier request of the client; an INSERT of an already mapped
 * temporary key is answered with its mapping and writes nothing. Runs of INSERTs into one table
 * are written with one multi-row statement, falling back to row by row only when it fails.
 */
export async function applyBatch({
  model,
  tx,
  clientId,
  operations,
}: ApplyBatchOptions): Promise<BatchOutcome> {
  const prepared = operations.map((operation) => prepareOperation(model, operation));
  const tempKeys = await loadTempKeys(tx, clientId, mentionedTempKeys(prepared));
  const verdicts: OperationVerdict[] = new Array(operations.length);
  const mappings: Array<KeyMapping | undefined> = new Array(operations.length);
  /** Consecutive INSERTs (any tables) waiting to be written together, in list order. */
  let run: PendingInsert[] = [];
  /** By table, the temporary keys of the INSERTs in `run`, whose mappings are not written yet. */
  const runKeys = new Map<TableInfo, Set<number>>();
  /**
   * Tables that INSERTs in `run` refer to by a plain value (a device-made key, or a server key),
   * not a temporary key. Written per table, parents first, such a reference would find a row
   * that list order inserts only later; so an INSERT into one of these tables starts a new run.
   */
  const referencedByValue = new Set<TableInfo>();

  const eventIdOf = (index: number): string => operations[index]?.eventId ?? "";

  // Rows of device-keyed tables this request inserted, or failed to insert.
  const insertedRows = new Map<string, RowRef>();
  const rejectedRows = new Map<string, RowRef>();
  const rowId = (row: RowRef): string => `${row.table}\u0000${row.key}`;
  const markRow = (row: RowRef, inserted: boolean): void => {
    (inserted ? insertedRows : rejectedRows).set(rowId(row), row);
    (inserted ? rejectedRows : insertedRows).delete(rowId(row));
  };

  /** A failure on a device-keyed row this client failed to insert becomes DEPENDENCY_REJECTED. */
  const explain = async (item: Prepared, error: Rejection): Promise<Rejection> => {
    const rows = deviceKeyedRows(model, item).filter((row) => !insertedRows.has(rowId(row)));
    if (rows.length === 0) return error;
    let culprit = rows.find((row) => rejectedRows.has(rowId(row)));
    if (!culprit) {
      const found = await tx.findRejectedRows(clientId, rows);
      culprit = rows.find((row) => found.has(rowId(row)));
    }
    if (!culprit) return error;
    return {
      code: "DEPENDENCY_REJECTED",
      message: `${culprit.table} ${culprit.key} was not created because its INSERT was rejected`,
    };
  };

  /**
   * A foreign-key failure, told with the reference at fault: the database names no column. For an
   * INSERT or UPDATE, the first value whose row is missing; for a DELETE, a row still referring.
   */
  const foreignKeyProblem = async (
    table: TableInfo,
    kind: "INSERT" | "UPDATE" | "DELETE",
    key: SqlValue,
    values: ReadonlyArray<readonly [column: string, value: SqlValue]>,
    error: Error,
  ): Promise<Rejection> => {
    const fallback = { code: "CONSTRAINT_VIOLATION", message: error.message } as const;
    if (!/FOREIGN KEY/i.test(error.message)) return fallback;
    if (kind === "DELETE") {
      for (const child of model.ordered) {
        for (const column of child.references) {
          if (column.references === table.name && (await tx.hasRow(child, column, key))) {
            return {
              code: "CONSTRAINT_VIOLATION",
              message: `${error.message}: ${table.name} ${String(key)} cannot be deleted, ${child.name}.${column.name} still refers to it`,
            };
          }
        }
      }
      return fallback;
    }
    for (const [name, value] of values) {
      const column = table.references.find((candidate) => candidate.name === name);
      const parent = model.byName.get(column?.references ?? "");
      if (!column || !parent || value === null) continue;
      if (!(await tx.hasRow(parent, parent.key, value))) {
        return {
          code: "CONSTRAINT_VIOLATION",
          message: `${error.message}: ${table.name}.${column.name} is ${String(value)}, but ${parent.name} has no row with that key`,
        };
      }
    }
    return fallback;
  };

  const succeed = (item: PendingInsert): void => {
    verdicts[item.index] = applied(eventIdOf(item.index));
    const { table, key } = item.prepared;
    if (typeof key === "string") markRow({ table: table.name, key }, true);
    if (typeof key === "number") {
      mappings[item.index] = {
        table: table.name,
        clientKey: String(key),
        serverKey: String(item.row[0]),
      };
    }
  };

  const fail = (index: number, item: Prepared, error: Rejection): void => {
    verdicts[index] = rejected(eventIdOf(index), error);
    if (item.operation.kind === "INSERT" && typeof item.key === "number") {
      tempKeys.reject(item.table.name, item.key);
    }
    if (item.operation.kind === "INSERT" && typeof item.key === "string") {
      markRow({ table: item.table.name, key: item.key }, false);
    }
  };

  // Server keys are reserved a block per table (as many as the request still inserts there), so
  // that building a row seldom waits on the store.
  const insertsLeft = new Map<TableInfo, number>();
  for (const item of prepared) {
    if (item.ok && item.operation.kind === "INSERT" && typeof item.key === "number") {
      insertsLeft.set(item.table, (insertsLeft.get(item.table) ?? 0) + 1);
    }
  }
  const keyBlocks = new Map<TableInfo, { next: number; end: number }>();
  /** The next reserved key of `table` without waiting, if its block has one left. */
  const reservedKey = (table: TableInfo): number | undefined => {
    const block = keyBlocks.get(table);
    if (!block || block.next >= block.end) return undefined;
    insertsLeft.set(table, Math.max(0, (insertsLeft.get(table) ?? 0) - 1));
    return block.next++;
  };
  /** Reserves the next block of `table` (its block is used up) and takes its first key. */
  const reserveBlock = async (table: TableInfo): Promise<number> => {
    const count = Math.max(1, insertsLeft.get(table) ?? 0);
    const first = await tx.reserveKeys(table, count);
    keyBlocks.set(table, { next: first, end: first + count });
    return reservedKey(table) as number;
  };

  /** Builds the row of an INSERT with its server key (autonumbered tables), or why it cannot be. */
  const rowWith = (
    item: PendingInsert["prepared"],
    serverKey: number | undefined,
  ): Row | Rejection => {
    const row = [...item.operation.values];
    // The own key first, so that a row referring to itself (a tree table) resolves.
    if (typeof item.key === "number" && serverKey !== undefined) {
      row[0] = serverKey;
      tempKeys.map(item.table.name, item.key, serverKey);
    }
    const problem = resolveRefs(tempKeys, item.operation.refs, (ref, resolved) => {
      row[item.table.columns.findIndex((column) => column.name === ref.column)] = resolved;
    });
    if (problem && typeof item.key === "number") tempKeys.unmap(item.table.name, item.key);
    return problem ?? row;
  };
  const rowOf = async (item: PendingInsert["prepared"]): Promise<Row | Rejection> => {
    if (typeof item.key !== "number") return rowWith(item, undefined);
    return rowWith(item, reservedKey(item.table) ?? (await reserveBlock(item.table)));
  };

  const insertOneByOne = async (items: readonly PendingInsert[]): Promise<void> => {
    for (const item of items) {
      if (typeof item.prepared.key === "number")
        tempKeys.unmap(item.prepared.table.name, item.prepared.key);
    }
    for (const item of items) {
      const row = await rowOf(item.prepared);
      if (!Array.isArray(row)) {
        fail(item.index, item.prepared, row as Rejection);
        continue;
      }
      try {
        await tx.insertRows([{ table: item.prepared.table, rows: [row] }]);
        succeed({ ...item, row });
      } catch (error) {
        if (!(error instanceof ConstraintViolation)) throw error;
        if (typeof item.prepared.key === "number")
          tempKeys.unmap(item.prepared.table.name, item.prepared.key);
        const { table } = item.prepared;
        const values = table.columns.map((column, i): [string, SqlValue] => [
          column.name,
          row[i] ?? null,
        ]);
        const problem = await foreignKeyProblem(table, "INSERT", row[0] ?? null, values, error);
        fail(item.index, item.prepared, await explain(item.prepared, problem));
      }
    }
  };

  /**
   * Writes the waiting INSERTs: one multi-row statement per table, parents before children (the
   * model's order), which is what list order gives when every row succeeds. If any row breaks a
   * constraint, nothing of the group stays and the rows go again one by one in list order, so a
   * failed parent rejects its children exactly as it would alone.
   */
  const flush = async (): Promise<void> => {
    const items = run;
    run = [];
    runKeys.clear();
    referencedByValue.clear();
    if (items.length === 0) return;
    const byTable = new Map<TableInfo, Row[]>();
    for (const item of items) {
      const rows = byTable.get(item.prepared.table);
      if (rows) rows.push(item.row);
      else byTable.set(item.prepared.table, [item.row]);
    }
    const groups = model.ordered.flatMap((table) => {
      const rows = byTable.get(table);
      return rows ? [{ table, rows }] : [];
    });
    try {
      await tx.insertRows(groups);
    } catch (error) {
      if (!(error instanceof ConstraintViolation)) throw error;
      await insertOneByOne(items);
      return;
    }
    for (const item of items) succeed(item);
  };

  const writeOne = async (index: number, item: Prepared): Promise<void> => {
    const { table, operation } = item;
    let key: SqlValue = item.key;
    const changes =
      operation.kind === "UPDATE"
        ? operation.changes.map(([c, v]): [string, SqlValue] => [c, v])
        : [];
    const problem = resolveRefs(tempKeys, operation.refs, (ref, serverKey) => {
      if (ref.column === undefined) key = serverKey;
      else for (const change of changes) if (change[0] === ref.column) change[1] = serverKey;
    });
    if (problem) return fail(index, item, problem);
    try {
      const found =
        operation.kind === "UPDATE"
          ? await tx.updateRow(table, key, changes)
          : await tx.deleteRow(table, key);
      if (found) verdicts[index] = applied(eventIdOf(index));
      else {
        // The device named the row by a temporary key: say which, as well as the server's key.
        const named = key === item.key ? "" : ` (the server key of temporary key ${item.key})`;
        const problem = {
          code: "NOT_FOUND",
          message: `${table.name} has no row with key ${String(key)}${named}`,
        } as const;
        fail(index, item, await explain(item, problem));
      }
    } catch (error) {
      if (!(error instanceof ConstraintViolation)) throw error;
      const problem = await foreignKeyProblem(table, operation.kind, key, changes, error);
      fail(index, item, await explain(item, problem));
    }
  };

  for (let index = 0; index < prepared.length; index++) {
    const item = prepared[index] as Prepared | Refused;
    if (!item.ok) {
      await flush();
      const mapped =
        item.insertKey && tempKeys.mapped(item.insertKey.table, item.insertKey.tempKey);
      if (item.insertKey && mapped !== undefined) {
        // Applied before (the model changed since?): the mapping stands, whatever the data says now.
        verdicts[index] = applied(eventIdOf(index));
        mappings[index] = {
          table: item.insertKey.table,
          clientKey: String(item.insertKey.tempKey),
          serverKey: String(mapped),
        };
        continue;
      }
      verdicts[index] = rejected(eventIdOf(index), item.rejection);
      if (item.insertKey) tempKeys.reject(item.insertKey.table, item.insertKey.tempKey);
      if (item.insertRow) markRow(item.insertRow, false);
      continue;
    }
    if (item.operation.kind !== "INSERT") {
      await flush();
      await writeOne(index, item);
      continue;
    }
    const insert = item as PendingInsert["prepared"];
    const inRun = typeof item.key === "number" && runKeys.get(item.table)?.has(item.key) === true;
    if (inRun || referencedByValue.has(item.table)) await flush();
    const existing =
      typeof item.key === "number" ? tempKeys.mapped(item.table.name, item.key) : undefined;
    if (existing !== undefined) {
      // Already mapped: a resend of an INSERT the server applied before. Answer, write nothing.
      verdicts[index] = applied(eventIdOf(index));
      mappings[index] = {
        table: item.table.name,
        clientKey: String(item.key),
        serverKey: String(existing),
      };
      continue;
    }
    // Most rows take a key already reserved: no wait, no promise.
    const reserved = typeof item.key === "number" ? reservedKey(item.table) : undefined;
    const row =
      reserved !== undefined || typeof item.key !== "number"
        ? rowWith(insert, reserved)
        : await rowOf(insert);
    if (!Array.isArray(row)) {
      fail(index, item, row as Rejection);
      continue;
    }
    run.push({ index, prepared: insert, row });
    if (typeof item.key === "number") {
      const keys = runKeys.get(item.table);
      if (keys) keys.add(item.key);
      else runKeys.set(item.table, new Set([item.key]));
    }
    for (const target of tablesReferencedByValue(model, insert)) referencedByValue.add(target);
  }
  await flush();
  await tempKeys.save();
  await tx.saveRejectedRows(clientId, [...rejectedRows.values()], [...insertedRows.values()]);
  return {
    results: verdicts,
    keyMappings: mappings.filter((mapping): mapping is KeyMapping => mapping !== undefined),
  };
}
