import type { SyncModel } from "../schema/index.ts";
import type { CheckedPage } from "./check-page.ts";
import type { DeviceDatabase, DeviceTransaction, SqlStatement } from "./device-database.ts";
import type { ReceiveReset } from "./receive-report.ts";
import { stagedPageText, stagePageStatement } from "./staged-page.ts";
import {
  startTypedStage,
  typedStageFits,
  typedStageState,
  typedStageStatements,
} from "./typed-stage.ts";
import { spillTypedStage } from "./typed-stage-spill.ts";

/** Where receiving stands, as `sync_state` keeps it. */
export interface ReceiveState {
  /** The cursor of the last run applied; null: from the start. */
  readonly cursor: string | null;
  /** The cursor of the last page staged, while a run is staged and not applied. */
  readonly stagedCursor: string | null;
  /** Why the staged run is a snapshot that rebuilds the device's copy, if it is one. */
  readonly stagedReset: ReceiveReset | null;
  /** The layout the staged run's rows are staged as table rows for, if they are (`typed-stage.ts`). */
  readonly typedStage: string | null;
}

const names = {
  cursor: "receive_cursor",
  stagedCursor: "receive_staged_cursor",
  stagedReset: "receive_staged_reset",
  typedStage: typedStageState,
} as const;

const stateQuery = `SELECT name, value FROM sync_state WHERE name IN ('${names.cursor}', '${names.stagedCursor}', '${names.stagedReset}', '${names.typedStage}')`;

/** Reads where receiving stands, through a transaction or the database's reads. */
export async function readReceiveState(
  from: DeviceTransaction | DeviceDatabase,
): Promise<ReceiveState> {
  const { rows } = "read" in from ? await from.read(stateQuery) : await from.execute(stateQuery);
  const values = new Map(rows.map((row) => [String(row[0]), String(row[1])]));
  return {
    cursor: values.get(names.cursor) ?? null,
    stagedCursor: values.get(names.stagedCursor) ?? null,
    stagedReset: (values.get(names.stagedReset) ?? null) as ReceiveReset | null,
    typedStage: values.get(names.typedStage) ?? null,
  };
}

const setState = (name: string, value: string): SqlStatement => ({
  sql: "INSERT INTO sync_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
  args: [name, value],
});
const dropState = (name: string): SqlStatement => ({
  sql: "DELETE FROM sync_state WHERE name = ?",
  args: [name],
});

/**
 * Stages one page in the caller's transaction, as one entry of `sync_receive_page` (after the
 * pages staged before it) or as rows of the run's typed stage (`typed-stage.ts`), with its
 * cursor: a crash after it loses nothing, the next receive goes on from that cursor. A page that starts a snapshot the server forced (or the first page of
 * `fromStart`), even one that restarts a snapshot under way, first discards what was staged before
 * (pages of an earlier run, held changes) and the versions the device knew, which a snapshot
 * supersedes; a version recorded from a `syncBatch` answer after this point is newer than the
 * snapshot's and still counts. Pages are kept whole and in order: the apply takes each row at its
 * latest change (a later change of a row replaces an earlier one; an older one, from a page seen
 * twice, does not). Returns the reset of the run now staged, if it is one.
 */
export async function stagePage(
  tx: DeviceTransaction,
  model: SyncModel,
  page: CheckedPage,
  fromStart: boolean,
): Promise<ReceiveReset | null> {
  const state = await readReceiveState(tx);
  const statements: Array<SqlStatement | string> = [];
  let reset = state.stagedReset;
  let typed = state.typedStage;
  const discard = fromStart || (page.snapshotStart && page.reset !== null);
  if (discard) {
    // A snapshot the server forced, or one restarted while it ran (its reason may be the same).
    reset = page.reset ?? "FROM_START";
    statements.push(
      "DELETE FROM sync_receive_stage",
      "DELETE FROM sync_receive_page",
      "DELETE FROM sync_row_version",
      setState(names.stagedReset, reset),
    );
    if (fromStart) statements.push(dropState(names.cursor));
  }
  if (discard || state.stagedCursor === null) {
    // The run starts with this page: its typed stage, if the device is empty once discarded.
    await tx.batch(statements.splice(0));
    typed = await startTypedStage(tx, model);
  }
  // A page the typed stage takes is staged there only; otherwise as JSON text.
  const typedRows = typed === null ? null : await stageTyped(tx, model, page, typed);
  if (typedRows !== null) statements.push(...typedRows);
  else if (page.count > 0) statements.push(stagePageStatement(stagedPageText(page.staged)));
  statements.push(setState(names.stagedCursor, page.cursor));
  await tx.batch(statements);
  return reset;
}

/**
 * The statements that stage a page's rows in the run's typed stage. Null, once the typed stage's
 * rows are staged as pages and it is dropped (`spillTypedStage`), when the page holds a change it
 * cannot take or the model is no longer the one it was made for (an app upgraded while the run was
 * staged): the run goes on as pages.
 */
async function stageTyped(
  tx: DeviceTransaction,
  model: SyncModel,
  page: CheckedPage,
  layout: string,
): Promise<SqlStatement[] | null> {
  const statements = typedStageFits(layout, model)
    ? typedStageStatements(model, page.staged)
    : null;
  if (statements === null) await spillTypedStage(tx);
  return statements;
}

/**
 * The statements that close an applied run in its transaction: the staged cursor becomes the
 * cursor, and the run is no longer staged (held changes stay in the stage, for the next apply).
 */
export function finishRun(stagedCursor: string): SqlStatement[] {
  return [
    "DELETE FROM sync_receive_stage WHERE held = 0",
    "DELETE FROM sync_receive_page",
    setState(names.cursor, stagedCursor),
    dropState(names.stagedCursor),
    dropState(names.stagedReset),
  ].map((statement) => (typeof statement === "string" ? { sql: statement } : statement));
}
