import type { SyncModel } from "../schema/index.ts";
import { type ApplyContext, createApplyContext } from "./apply-context.ts";
import { applyUpdateOrDelete } from "./apply-update-or-delete.ts";
import { createInsertRun } from "./insert-run.ts";
import type { BatchOutcome, SyncOperation } from "./operation.ts";
import { parseKey } from "./operation-key.ts";
import { isInsert, type Prepared, prepareOperation, type Refused } from "./prepare-operation.ts";
import { openGuard, type ScopeGuard } from "./scope-guard.ts";
import { createServerKeyBlocks } from "./server-key-blocks.ts";
import type { SyncStoreTransaction } from "./store/sync-store.ts";
import { ruleOperation, runBeforeOperation, type SyncRules } from "./sync-rules.ts";

/** Options of {@link applyBatch}. */
export interface ApplyBatchOptions {
  readonly model: SyncModel;
  readonly tx: SyncStoreTransaction;
  readonly clientId: string;
  readonly operations: readonly SyncOperation[];
  /**
   * The scopes the client reads and writes (default: every scope). It writes nothing outside its
   * write scopes (FORBIDDEN), sees no row outside its read scopes (missing to it), and the rows
   * it leaves in scopes it does not read reach it as DELETEs.
   */
  readonly guard?: ScopeGuard;
  /** The app's rules (none by default), and the batch id they are told. */
  readonly rules?: SyncRules;
  readonly batchId?: string;
}

/**
 * Answers an INSERT whose temporary key this client already had mapped: a duplicate (a resend of
 * an INSERT applied before), APPLIED with the existing key mapping and nothing written. Returns
 * whether it was one.
 */
function answerDuplicate(
  context: ApplyContext,
  index: number,
  table: string,
  tempKey: number,
): boolean {
  const serverKey = context.tempKeys.mapped(table, tempKey);
  if (serverKey === undefined) return false;
  context.applied(index, null, { table, clientKey: String(tempKey), serverKey: String(serverKey) });
  return true;
}

/**
 * Answers an operation that failed the checks against the model. A refused UPDATE or DELETE of a
 * row the server has gives the device that row back (see `RowVersions.rejected`).
 */
async function answerRefused(
  context: ApplyContext,
  index: number,
  item: Refused,
  operation: SyncOperation,
): Promise<void> {
  const { insert } = item;
  // Applied before (the model changed since?): the mapping stands, whatever the data says now.
  if (typeof insert?.key === "number" && answerDuplicate(context, index, insert.table, insert.key))
    return;
  const table = context.model.byName.get(operation.table);
  if (operation.kind !== "INSERT" && table) {
    const key = parseKey(table, operation.key);
    const serverKey =
      typeof key === "number" && key < 0 ? context.tempKeys.mapped(table.name, key) : key;
    if (typeof serverKey === "number" || typeof serverKey === "string") {
      await context.rowVersions.rejected(table, serverKey);
    }
  }
  context.rejected(index, item.rejection, insert);
}

/**
 * Applies a batch's operations in list order inside the caller's transaction and returns a verdict
 * per operation plus the key mappings of INSERTs by temporary key (SYNC.md, "Server semantics").
 *
 * Invariants: a rejected operation writes nothing; the other operations apply as if each ran
 * alone in order; temporary keys (foreign keys, UPDATE/DELETE keys) are rewritten from this
 * batch's INSERTs and from every earlier batch of the client; an INSERT of an already mapped
 * temporary key is answered with its mapping and writes nothing; a key mapping is recorded only
 * once its row is written. Consecutive INSERTs are written as one run, one multi-row statement
 * per table, falling back to row by row only when the run breaks a constraint.
 */
export async function applyBatch({
  model,
  tx,
  clientId,
  operations: sent,
  guard = openGuard,
  rules = {},
  batchId = "",
}: ApplyBatchOptions): Promise<BatchOutcome> {
  const batch = { clientId, batchId, operations: sent };
  await rules.beforeBatch?.(batch);
  const { operations, rejections } = await runBeforeOperation(rules, batch);
  const prepared = operations.map((operation) => prepareOperation(model, operation));
  const context = await createApplyContext(model, tx, clientId, operations, prepared, guard);
  const keys = createServerKeyBlocks(tx, prepared);
  const run = createInsertRun(context, keys);
  for (let index = 0; index < prepared.length; index++) {
    const item = prepared[index] as Prepared | Refused;
    const ruled = rejections.get(index);
    if (!item.ok || ruled) {
      await run.flush();
      const insert = item.ok
        ? isInsert(item)
          ? { table: item.table.name, key: item.key }
          : undefined
        : item.insert;
      const refused: Refused = ruled ? { ok: false, rejection: ruled, insert } : (item as Refused);
      await answerRefused(context, index, refused, operations[index] as SyncOperation);
      continue;
    }
    if (!isInsert(item)) {
      await run.flush();
      await applyUpdateOrDelete(context, index, item, operations[index] as SyncOperation);
      continue;
    }
    if (run.mustFlushBefore(item)) await run.flush();
    const { table, key } = item;
    if (typeof key === "number" && answerDuplicate(context, index, table.name, key)) continue;
    // Most INSERTs take a key already reserved: no wait, no promise.
    const serverKey =
      typeof key === "number" ? (keys.next(table) ?? (await keys.reserve(table))) : undefined;
    run.add(index, item, serverKey);
  }
  await run.flush();
  const outcome = await context.finish();
  if (rules.afterOperation) {
    for (const [index, result] of outcome.results.entries()) {
      await rules.afterOperation({
        ...ruleOperation({ clientId, batchId, operations }, index),
        result,
      });
    }
  }
  await rules.afterBatch?.({ clientId, batchId, operations, ...outcome });
  return outcome;
}
