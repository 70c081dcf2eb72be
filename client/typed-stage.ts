// A run's rows, staged a second time as table rows while its pages arrive, so that an empty device
// applies the run with one INSERT … SELECT per table instead of reading every page again. The
// staged pages stay the run's durable record: when the typed stage cannot take a change, or the
// device is no longer empty when the run is applied, the apply reads the pages as before.
//
// Layout: one table a synced table, `sync_typed_stage_<position in model.ordered>`, with a column
// for each of the table's columns (in `TableInfo.columns` order, `c0` … ) and the row's version
// last (`v`); no declared types, so a value stays as SQLite reads it from the staged page's JSON
// (as the full apply reads it) until the synced table's own column takes it. `sync_state.receive_typed_stage` holds the model's layout the tables were
// made for; without it (or with another layout) the typed stage is not used.

import type { SyncModel } from "../schema/index.ts";
import { quoteIdentifier } from "../writer/quote-identifier.ts";
import type { DeviceTransaction, SqlStatement } from "./device-database.ts";
import { isEmptyDevice } from "./empty-device.ts";
import type { StagedPage } from "./staged-page.ts";

/** The `sync_state` entry that says the run's rows are staged as table rows too, and for which layout. */
export const typedStageState = "receive_typed_stage";

const tableOf = (position: number): string => `sync_typed_stage_${position}`;
const columnOf = (position: number): string => `c${position}`;

/** The model's layout as the typed stage records it: its tables and their columns, in order. */
export function typedStageLayout(model: SyncModel): string {
  return JSON.stringify(
    model.ordered.map((table) => [table.name, table.columns.map((c) => c.name)]),
  );
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
    const columns = table.columns.map((_, j) => columnOf(j));
    return `CREATE TABLE ${tableOf(position)} (${[...columns, "v"].join(", ")})`;
  });
  await tx.batch([...creates, setLayout(layout)]);
  return layout;
}

/**
 * The statements that stage one page's rows as table rows, read by SQLite from the page's staged
 * JSON text (`text`, as `stagedPageText` wrote `page`): one statement a shape. Null when the page
 * holds a change the typed stage cannot take: a DELETE, or an UPSERT that lacks one of its table's
 * columns (the synced table's default would apply, which a copy cannot know).
 */
export function typedStageStatements(
  model: SyncModel,
  page: StagedPage,
  text: string,
): SqlStatement[] | null {
  const statements: SqlStatement[] = [];
  for (const [index, [name, columns]] of page.shapes.entries()) {
    const position = model.ordered.findIndex((table) => table.name === name);
    const table = model.ordered[position];
    if (!table || !columns) return null;
    // Positions in a staged change: 0 the shape, 1 the key, 2 the version, then the shape's values.
    const values: string[] = [];
    for (const column of table.columns) {
      if (column.isKey) {
        values.push(table.keyKind === "autonumber" ? "CAST(value->>1 AS INTEGER)" : "value->>1");
        continue;
      }
      const at = columns.indexOf(column.name);
      if (at === -1) return null;
      values.push(`value->>${at + 3}`);
    }
    values.push("value->>2");
    statements.push({
      sql: `INSERT INTO ${tableOf(position)} SELECT ${values.join(", ")} FROM json_each(?, '$[1]') WHERE value->>0 = ${index} ORDER BY key`,
      args: [text],
    });
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
      `INSERT INTO ${quoteIdentifier(table.name)} (${columns.join(", ")}) SELECT ${staged.join(", ")} FROM ${tableOf(position)} ORDER BY rowid`,
      {
        sql: `INSERT INTO sync_row_version (table_name, row_key, version) SELECT ?, ${key}, v FROM ${tableOf(position)}`,
        args: [table.name],
      },
    ]);
    written += rows?.rowsAffected ?? 0;
  }
  return written;
}
