import type { SyncModel, TableInfo } from "../schema/index.ts";
import { multiRowInserts, multiRowStatements } from "../writer/multi-row-insert.ts";
import {
  DeviceDatabaseError,
  type DeviceTransaction,
  type SqlStatement,
  type SqlValue,
} from "./device-database.ts";
import { isEmptyDevice } from "./empty-device.ts";
import type { ChangeShape, StagedChange } from "./staged-page.ts";
import { applyTypedStage } from "./typed-stage.ts";
import { eachStagedPage } from "./unpack-pages.ts";
import type { UpsertRow } from "./upsert-rows.ts";

/** Rows one statement writes. */
const rowsPerStatement = 500;

/** For a shape's columns, where each of `table`'s columns is among them (-1: left out). */
function positionsOf(table: TableInfo, columns: readonly string[]): number[] {
  return table.columns.map((column) => columns.indexOf(column.name));
}

/** The row an UPSERT writes, in `table.columns` order (a column the change lacks left out). */
function rowOf(table: TableInfo, positions: readonly number[], change: StagedChange): UpsertRow {
  return table.columns.map((column, j) => {
    if (column.isKey) return table.keyKind === "autonumber" ? Number(change[1]) : change[1];
    const at = positions[j] as number;
    return at < 0 ? undefined : (change[at + 3] as SqlValue);
  });
}

/**
 * The statements that insert one page's UPSERTs and their versions; null when the page has a
 * change the fast path does not make (a DELETE, a table the model no longer has).
 */
function pageStatements(
  model: SyncModel,
  shapes: readonly ChangeShape[],
  changes: readonly StagedChange[],
): SqlStatement[] | null {
  const byTable = new Map<TableInfo, UpsertRow[]>();
  const positions = shapes.map(([name, columns]) => {
    const table = model.byName.get(name);
    return table && columns ? { table, at: positionsOf(table, columns) } : null;
  });
  const versions: SqlValue[][] = [];
  for (const change of changes) {
    const shape = positions[change[0]];
    if (!shape) return null;
    let rows = byTable.get(shape.table);
    if (!rows) {
      rows = [];
      byTable.set(shape.table, rows);
    }
    rows.push(rowOf(shape.table, shape.at, change));
    versions.push([shape.table.name, change[1], change[2]]);
  }
  const statements: SqlStatement[] = [];
  for (const [table, rows] of byTable) {
    statements.push(...multiRowInserts(table, rows, { maxRows: rowsPerStatement }));
  }
  statements.push(
    ...multiRowStatements(
      "INSERT INTO sync_row_version (table_name, row_key, version)",
      3,
      versions,
      rowsPerStatement,
    ),
  );
  return statements;
}

/** True when no row of a table with references lacks its parent (checks deferred until now). */
async function referencesHold(tx: DeviceTransaction, model: SyncModel): Promise<boolean> {
  for (const table of model.ordered) {
    if (table.references.length === 0) continue;
    const { rows } = await tx.execute({
      sql: "SELECT EXISTS (SELECT 1 FROM pragma_foreign_key_check(?))",
      args: [table.name],
    });
    if (Number(rows[0]?.[0]) === 1) return false;
  }
  return true;
}

const isConstraint = (error: unknown): boolean =>
  error instanceof DeviceDatabaseError && error.code.startsWith("SQLITE_CONSTRAINT");

/** Writes the staged pages as they come; null when a page holds a change this cannot write. */
async function applyPages(tx: DeviceTransaction, model: SyncModel): Promise<number | null> {
  let applied = 0;
  const whole = await eachStagedPage(tx, async ({ shapes, changes }) => {
    const statements = pageStatements(model, shapes, changes);
    if (!statements) return false;
    await tx.batch(statements);
    applied += changes.length;
    return true;
  });
  return whole ? applied : null;
}

/**
 * Runs `write` under a savepoint: keeps what it wrote when it returns a count, no key failed (a row
 * staged twice, changed again while the run was read) and every reference finds its parent;
 * otherwise undoes it and returns null.
 */
async function attempt(
  tx: DeviceTransaction,
  model: SyncModel,
  write: () => Promise<number | null>,
): Promise<number | null> {
  await tx.execute("SAVEPOINT receive_snapshot");
  try {
    const applied = await write();
    if (applied !== null && (await referencesHold(tx, model))) {
      await tx.execute("RELEASE receive_snapshot");
      return applied;
    }
  } catch (error) {
    if (!isConstraint(error)) throw error;
  }
  await tx.batch(["ROLLBACK TO receive_snapshot", "RELEASE receive_snapshot"]);
  return null;
}

/** Where a staged run's rows are read from: the run's typed stage, or its staged pages. */
export type SnapshotSource = "typed stage" | "pages";

/**
 * Applies a staged run to an empty device (see `isEmptyDevice`) in the caller's transaction: the
 * result the full apply gives, without staging every row again. From `source`: the typed stage
 * (the run's rows staged as table rows, see `typed-stage.ts`), or page after page, each UPSERT
 * inserted as it comes with its version. It holds only when every change is an UPSERT of a table in
 * the model, each row comes once, and every reference finds its parent; otherwise it undoes what it
 * wrote and returns null, and the full apply takes the run. Expects foreign keys deferred. Returns
 * the rows written.
 */
export async function applySnapshot(
  tx: DeviceTransaction,
  model: SyncModel,
  source: SnapshotSource,
): Promise<number | null> {
  if (!(await isEmptyDevice(tx, model))) return null;
  return source === "typed stage"
    ? attempt(tx, model, () => applyTypedStage(tx, model))
    : attempt(tx, model, () => applyPages(tx, model));
}
