// A run's rows, staged as table rows while its pages arrive, so that an empty device applies the
// run with one INSERT … SELECT per table instead of reading every page. A page the typed stage takes
// is staged there only, in the same transaction as its cursor (its durable record); when the typed
// stage cannot take a change, or the device is no longer empty when the run is applied, its rows
// become staged pages again (`typed-stage-spill.ts`), ahead of the pages that follow, and the run
// goes on as pages.
//
// Layout: one table a synced table, `sync_typed_stage_<position in model.ordered>`, with a column
// for each of the table's columns (in `TableInfo.columns` order, `c0` … ) and the row's version
// last (`v`), rows in the order staged. Values are bound as the full apply binds them, into
// columns without a declared type, so a value stays as bound until the synced table's own column
// takes it; only an autonumbered key's column is INTEGER, so the key reads back as the synced
// table holds it. A row is bound rather than read by SQLite from the page's JSON text: extracting
// each value from the JSON costs SQLite more than binding costs the device.
// `sync_state.receive_typed_stage` holds the model's layout the tables were made for; without it
// (or with another layout) the typed stage is not used.

import type { SyncModel, TableInfo } from "../schema/index.ts";
import { multiRowStatements } from "../writer/multi-row-insert.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import type { DeviceTransaction, SqlStatement, SqlValue } from "./device-database.ts";
import { isEmptyDevice } from "./empty-device.ts";
import type { StagedChange, StagedPage } from "./staged-page.ts";

/** The `sync_state` entry that says the run's rows are staged as table rows, and for which layout. */
export const typedStageState = "receive_typed_stage";

/** Rows one staging statement writes. */
const rowsPerStatement = 500;

/** The typed stage's table of the synced table at `position` in `model.ordered`. */
export const typedStageTable = (position: number): string => `sync_typed_stage_${position}`;
const columnOf = (position: number): string => `c${position}`;

/**
 * One table of a typed stage's layout: the synced table's name, its columns in order, and the
 * position of its key among them.
 */
export type TypedStageTable = readonly [name: string, columns: readonly string[], keyAt: number];

/** Layouts by model: every staged page checks the recorded one against its model's. */
const layouts = new WeakMap<SyncModel, string>();

/** The model's layout as the typed stage records it: a {@link TypedStageTable} a synced table, in order. */
export function typedStageLayout(model: SyncModel): string {
  let layout = layouts.get(model);
  if (layout === undefined) {
    const tables = model.ordered.map(
      (table): TypedStageTable => [
        table.name,
        table.columns.map((column) => column.name),
        table.columns.findIndex((column) => column.isKey),
      ],
    );
    layout = JSON.stringify(tables);
    layouts.set(model, layout);
  }
  return layout;
}

/** True when `layout` (a recorded typed stage's, or null: none) is the one `model` makes. */
export function typedStageFits(layout: string | null, model: SyncModel): layout is string {
  return layout !== null && layout === typedStageLayout(model);
}

const setLayout = (layout: string): SqlStatement => ({
  sql: "INSERT INTO sync_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
  args: [typedStageState, layout],
});

/**
 * Drops the typed stage's tables and its `sync_state` entry, whatever layout made them: the run
 * they were staged for is applied, discarded, or staged without them from here on.
 */
export async function dropTypedStage(tx: DeviceTransaction): Promise<void> {
  const { rows } = await tx.execute(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name GLOB 'sync_typed_stage_[0-9]*'",
  );
  await tx.batch([
    ...rows.map((row) => `DROP TABLE ${quoteIdentifier(String(row[0]))}`),
    { sql: "DELETE FROM sync_state WHERE name = ?", args: [typedStageState] },
  ]);
}

/**
 * Starts the typed stage of a run that starts now (nothing of it staged yet), in the caller's
 * transaction: made only when the device is empty (see `isEmptyDevice`), the one case the typed
 * stage can be applied in. Returns the layout it was made for, or null.
 */
export async function startTypedStage(
  tx: DeviceTransaction,
  model: SyncModel,
): Promise<string | null> {
  await dropTypedStage(tx);
  if (!(await isEmptyDevice(tx, model))) return null;
  const layout = typedStageLayout(model);
  const creates = model.ordered.map((table, position) => {
    const columns = table.columns.map((column, j) =>
      column.isKey && table.keyKind === "autonumber" ? `${columnOf(j)} INTEGER` : columnOf(j),
    );
    return `CREATE TABLE ${typedStageTable(position)} (${[...columns, "v"].join(", ")})`;
  });
  await tx.batch([...creates, setLayout(layout)]);
  return layout;
}

/** Where a shape's changes go: the typed stage table, and the position of each of its columns in a change. */
interface ShapeTarget {
  readonly position: number;
  readonly table: TableInfo;
  readonly at: readonly number[];
}

/**
 * Where the changes of `shape` go; null when the typed stage cannot take them: a DELETE, an
 * UPSERT that lacks one of its table's columns (the synced table's default would apply, which a
 * copy cannot know), or a table the model lacks.
 */
function shapeTarget(
  model: SyncModel,
  [name, columns]: StagedPage["shapes"][number],
): ShapeTarget | null {
  const position = model.ordered.findIndex((table) => table.name === name);
  const table = model.ordered[position];
  if (!table || !columns) return null;
  // Positions in a staged change: 0 the shape, 1 the key, 2 the version, then the shape's values.
  const at: number[] = [];
  for (const column of table.columns) {
    if (column.isKey) {
      at.push(1);
      continue;
    }
    const given = columns.indexOf(column.name);
    if (given === -1) return null;
    at.push(given + 3);
  }
  return { position, table, at };
}

/** The typed stage's row of a change: its table's columns in order, then the version. */
function rowOf({ table, at }: ShapeTarget, change: StagedChange): SqlValue[] {
  const row = at.map((i) =>
    i === 1 && table.keyKind === "autonumber" ? Number(change[1]) : (change[i] as SqlValue),
  );
  row.push(change[2]);
  return row;
}

/**
 * The statements that stage one page's rows as table rows, in page order within each table; null
 * when the page holds a change the typed stage cannot take (see `shapeTarget`).
 */
export function typedStageStatements(model: SyncModel, page: StagedPage): SqlStatement[] | null {
  const targets = page.shapes.map((shape) => shapeTarget(model, shape));
  const rowsByTable = new Map<number, SqlValue[][]>();
  for (const change of page.changes) {
    const target = targets[change[0]];
    if (!target) return null;
    let rows = rowsByTable.get(target.position);
    if (!rows) {
      rows = [];
      rowsByTable.set(target.position, rows);
    }
    rows.push(rowOf(target, change));
  }
  const statements: SqlStatement[] = [];
  for (const [position, rows] of rowsByTable) {
    const width = (model.ordered[position] as TableInfo).columns.length + 1;
    const head = `INSERT INTO ${typedStageTable(position)}`;
    statements.push(...multiRowStatements(head, width, rows, rowsPerStatement));
  }
  return statements;
}

/**
 * Writes the typed stage into the synced tables and their versions, in the caller's transaction;
 * returns the rows written. Expects an empty device, the layout of `model` staged, and the checks
 * the caller makes afterwards (a row staged twice fails its key; references are checked at commit).
 */
export async function applyTypedStage(tx: DeviceTransaction, model: SyncModel): Promise<number> {
  let written = 0;
  for (const [position, table] of model.ordered.entries()) {
    const columns = table.columns.map((column) => quoteIdentifier(column.name));
    const staged = table.columns.map((_, j) => columnOf(j));
    const keyAt = table.columns.findIndex((column) => column.isKey);
    const key =
      table.keyKind === "autonumber" ? `CAST(${columnOf(keyAt)} AS TEXT)` : columnOf(keyAt);
    const [rows] = await tx.batch([
      `INSERT INTO ${quoteIdentifier(table.name)} (${columns.join(", ")}) SELECT ${staged.join(", ")} FROM ${typedStageTable(position)} ORDER BY rowid`,
      // In key order, the order of the versions' primary key: each entry goes at the end of it.
      // (The sort spills to disk past a small cache: the device keeps temporary data there.)
      {
        sql: `INSERT INTO sync_row_version (table_name, row_key, version) SELECT ?, ${key} AS row_key, v FROM ${typedStageTable(position)} ORDER BY row_key`,
        args: [table.name],
      },
    ]);
    written += rows?.rowsAffected ?? 0;
  }
  return written;
}
