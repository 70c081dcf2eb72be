// A typed stage's rows turned back into staged pages, for a run that goes on as pages: the typed
// stage cannot take a change, or the device is no longer empty when the run is applied.

import { quoteIdentifier } from "../writer/quote-identifier.ts";
import type { DeviceTransaction, SqlValue } from "./device-database.ts";
import { type StagedChange, stagedPageText, stagePageStatement } from "./staged-page.ts";
import {
  dropTypedStage,
  type TypedStageTable,
  typedStageState,
  typedStageTable,
} from "./typed-stage.ts";

/** Rows of one staged page made from the typed stage (the server's page size). */
const rowsPerPage = 1_000;

/**
 * The tables of a recorded layout whose rows are staged there only. A layout of `[name, columns]`
 * pairs was recorded by a version that staged every page as JSON text as well: its typed stage
 * holds nothing the pages lack, and none of it is spilled.
 */
function spilledTables(layout: string | null): readonly TypedStageTable[] {
  if (layout === null) return [];
  const tables = JSON.parse(layout) as ReadonlyArray<readonly unknown[]>;
  return tables.every((table) => typeof table[2] === "number")
    ? (tables as readonly TypedStageTable[])
    : [];
}

/** Stages the rows of one typed stage table as pages, in the order they were staged. */
async function spillTable(
  tx: DeviceTransaction,
  position: number,
  [name, columns, keyAt]: TypedStageTable,
): Promise<void> {
  const dataAt = columns.flatMap((_, j) => (j === keyAt ? [] : [j]));
  const shapes = [[name, dataAt.map((j) => columns[j] as string)] as const];
  // Row: rowid, then the columns in order, then the version.
  let after = 0;
  for (;;) {
    const { rows } = await tx.execute({
      sql: `SELECT rowid, * FROM ${quoteIdentifier(typedStageTable(position))} WHERE rowid > ? ORDER BY rowid LIMIT ?`,
      args: [after, rowsPerPage],
    });
    const last = rows.at(-1);
    if (last === undefined) return;
    after = Number(last[0]);
    const changes = rows.map(
      (row): StagedChange => [
        0,
        String(row[1 + keyAt]),
        Number(row[1 + columns.length]),
        ...dataAt.map((j) => row[1 + j] as SqlValue),
      ],
    );
    await tx.execute(stagePageStatement(stagedPageText({ shapes, changes })));
  }
}

/**
 * Stages the typed stage's rows as pages, after the pages staged so far (none while it takes
 * every page), table by table in its layout's order, then drops it; in the caller's transaction.
 * The pages then hold the whole run: the rows of each table in the order staged, which is all the
 * apply needs (a row's changes keep their order; rows of different tables do not depend on theirs,
 * references being checked at commit).
 */
export async function spillTypedStage(tx: DeviceTransaction): Promise<void> {
  const { rows } = await tx.execute({
    sql: "SELECT value FROM sync_state WHERE name = ?",
    args: [typedStageState],
  });
  const layout = rows[0] === undefined ? null : String(rows[0][0]);
  for (const [position, table] of spilledTables(layout).entries()) {
    await spillTable(tx, position, table);
  }
  await dropTypedStage(tx);
}
