import type { ApplyContext } from "./apply-context.ts";
import {
  type ConflictDecision,
  decideConflict,
  deletedRemotely,
  isStale,
} from "./decide-conflict.ts";
import { explainConstraintViolation, explainRejection, missingRow } from "./explain-rejection.ts";
import type { ConflictInfo, Rejection, SyncOperation } from "./operation.ts";
import type { Prepared } from "./prepare-operation.ts";
import { refuseChange, scopeMatters } from "./refuse-by-scope.ts";
import { restricts } from "./scope-guard.ts";
import { ConstraintViolation, type SqlValue } from "./store/sync-store.ts";

/** What a conflict check leaves to do: write (these changes), or the answer already given. */
type Checked =
  | { readonly done: true }
  | {
      readonly done: false;
      readonly changes: ReadonlyArray<readonly [string, SqlValue]>;
      readonly decision: Extract<ConflictDecision, { kind: "write" }> | undefined;
      readonly serverRow: Record<string, SqlValue> | undefined;
    };

/**
 * Looks for a conflict when the operation has a base version and its table a policy: another
 * writer's version after the base. A tombstone there rejects it (DELETED_REMOTELY); a live row
 * goes to the table's policy, which may reject it or say what to write.
 */
async function checkConflict(
  context: ApplyContext,
  index: number,
  item: Prepared,
  raw: SyncOperation,
  key: SqlValue,
  changes: ReadonlyArray<readonly [string, SqlValue]>,
  rejected: (rejection: Rejection, conflict?: ConflictInfo) => Promise<void>,
): Promise<Checked> {
  const { table, operation } = item;
  const baseVersion = raw.baseVersion;
  const proceed: Checked = { done: false, changes, decision: undefined, serverRow: undefined };
  if (baseVersion === undefined || baseVersion === null || table.conflicts.kind === "none") {
    return proceed;
  }
  const state = await context.rowVersions.current(table, key);
  if (!state || !isStale(state, context.clientId, baseVersion)) return proceed;
  if (state.deleted) {
    const { rejection, conflict } = deletedRemotely(table, key, baseVersion, state);
    await rejected(rejection, conflict);
    return { done: true };
  }
  const serverRow = await context.tx.readRow(table, key);
  if (!serverRow) return proceed;
  const decision = await decideConflict({
    table,
    clientId: context.clientId,
    kind: operation.kind === "UPDATE" ? "UPDATE" : "DELETE",
    key,
    baseVersion,
    base: (raw.base ?? null) as Record<string, unknown> | null,
    changes,
    state,
    serverRow,
  });
  if (decision.kind === "reject") {
    await rejected(decision.rejection, decision.conflict);
    return { done: true };
  }
  if (operation.kind === "UPDATE" && decision.changes.length === 0) {
    // The server's values won every column: nothing to write, the row stays at its version, and
    // goes to the device again (which made its write already) as a rejected write's does.
    await context.rowVersions.rejected(item.table, key);
    context.applied(index, state.version, undefined, decision.conflict(serverRow));
    return { done: true };
  }
  return { done: false, changes: decision.changes, decision, serverRow };
}

/**
 * Applies one UPDATE or DELETE and answers it: its key and the temporary keys among its values
 * replaced by server keys first (the first one that does not resolve rejects it), a conflict
 * decided by the table's policy, NOT_FOUND when no row has the key, and a broken constraint
 * explained. A rejected write sends its row back to the device (see `RowVersions.rejected`).
 */
export async function applyUpdateOrDelete(
  context: ApplyContext,
  index: number,
  item: Prepared,
  raw: SyncOperation,
): Promise<void> {
  const { table, operation } = item;
  let key: SqlValue = item.key;
  const sent =
    operation.kind === "UPDATE"
      ? operation.changes.map(([c, v]): [string, SqlValue] => [c, v])
      : [];
  let refused: Rejection | undefined;
  for (const ref of operation.refs) {
    const serverKey = context.tempKeys.resolve(ref);
    if (typeof serverKey !== "number") refused ??= serverKey;
    else if (ref.column === undefined) key = serverKey;
    else for (const change of sent) if (change[0] === ref.column) change[1] = serverKey;
  }
  const rejected = async (rejection: Rejection, conflict?: ConflictInfo): Promise<void> => {
    // The device made its write already: it gets the server's row back (a row named by a
    // temporary key that did not resolve has none).
    if (typeof key !== "number" || key > 0) await context.rowVersions.rejected(table, key);
    context.rejected(index, rejection, undefined, conflict ?? null);
  };
  if (refused) return rejected(refused);
  if (restricts(context.guard) && scopeMatters(context, table)) {
    const refusal = await refuseChange(context, item, key, sent);
    // A row the client may not read is missing to it: nothing of it goes back.
    if (refusal?.giveBack) return rejected(refusal.rejection);
    if (refusal) return context.rejected(index, refusal.rejection);
  }
  const checked = await checkConflict(context, index, item, raw, key, sent, rejected);
  if (checked.done) return;
  const { changes, decision, serverRow } = checked;
  try {
    const found =
      operation.kind === "UPDATE"
        ? await context.tx.updateRow(table, key, changes)
        : await context.tx.deleteRow(table, key);
    if (found) {
      const { rowVersions } = context;
      const version =
        operation.kind === "UPDATE"
          ? await rowVersions.updated(table, key, changes)
          : await rowVersions.deleted(table, key);
      const after =
        operation.kind === "UPDATE" ? { ...serverRow, ...Object.fromEntries(changes) } : null;
      return context.applied(index, version, undefined, decision?.conflict(after) ?? null);
    }
    // The device named the row by a temporary key: the message says which, and the server's key.
    await rejected(await explainRejection(context, item, missingRow(table, key, item.key)));
  } catch (error) {
    if (!(error instanceof ConstraintViolation)) throw error;
    const conflict = decision && serverRow ? decision.conflict(serverRow) : undefined;
    await rejected(
      await explainConstraintViolation(context, item, key, changes, error),
      conflict && { ...conflict, resolution: "SERVER_WON" },
    );
  }
}
