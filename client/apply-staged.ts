import type { SyncModel } from "../schema/index.ts";
import { applyPendingDeletes, applyStagedDeletes, removeUnlisted } from "./apply-deletes.ts";
import { applySnapshot } from "./apply-snapshot.ts";
import { applyUpserts } from "./apply-upserts.ts";
import { isBatchMember } from "./batch-members.ts";
import type { DeviceDatabase, DeviceTransaction } from "./device-database.ts";
import { overlayPending } from "./overlay-pending.ts";
import type { ReceiveReset } from "./receive-report.ts";
import { finishRun, readReceiveState } from "./receive-stage.ts";
import { isFresh } from "./stage-sql.ts";
import { SyncClientError } from "./sync-client-error.ts";
import { dropTypedStage, typedStageFits } from "./typed-stage.ts";
import { spillTypedStage } from "./typed-stage-spill.ts";
import { unpackPages } from "./unpack-pages.ts";

/** What applying a staged run did (see `ReceiveReport`). */
export interface AppliedRun {
  readonly applied: number;
  readonly skipped: number;
  readonly held: number;
  readonly removed: number;
  readonly reset: ReceiveReset | null;
}

const openBatchQuery = `SELECT EXISTS (SELECT 1 FROM sync_batch p JOIN sync_outbox o ON ${isBatchMember("o", "p")})`;

/**
 * Refuses (`UNANSWERED_BATCH`) while a batch sent earlier has no answer: the server may hold its
 * inserts under server keys the device has not mapped yet, and a pulled copy of such a row would
 * stand beside the device's own under its temporary key (and its mapping would then collide).
 */
export async function refuseUnansweredBatches(
  from: DeviceTransaction | DeviceDatabase,
): Promise<void> {
  const { rows } =
    "read" in from ? await from.read(openBatchQuery) : await from.execute(openBatchQuery);
  if (Number(rows[0]?.[0]) === 1) {
    throw new SyncClientError(
      "UNANSWERED_BATCH",
      "receive(): a batch sent earlier has no answer yet, so the server may hold rows of this device under keys it does not know; send() first (sync() does), the pages received stay staged",
    );
  }
}

/**
 * Counts the stage's entries as this apply leaves them (before versions are recorded): all of
 * them, the held ones, and the UPSERTs written.
 */
async function countStage(tx: DeviceTransaction) {
  const { rows } = await tx.execute(
    `SELECT count(*), coalesce(sum(held = 1), 0),
            coalesce(sum(held = 0 AND kind = 'upsert' AND ${isFresh("s")}), 0)
     FROM sync_receive_stage s`,
  );
  const [total, held, upserted] = (rows[0] ?? []).map(Number);
  return { total: total ?? 0, held: held ?? 0, upserted: upserted ?? 0 };
}

/**
 * Records the versions of the rows this apply wrote, and forgets those of the rows deleted: a
 * deleted row has nothing left to compare, and one that comes back into the device's scopes with
 * the version it left with must be written again.
 */
const recordVersions = [
  `INSERT INTO sync_row_version (table_name, row_key, version)
   SELECT s.table_name, s.row_key, s.version FROM sync_receive_stage s
   WHERE s.kind = 'upsert' AND s.held = 0 AND ${isFresh("s")}
   ON CONFLICT (table_name, row_key) DO UPDATE SET version = excluded.version`,
  `DELETE FROM sync_row_version WHERE (table_name, row_key) IN
   (SELECT table_name, row_key FROM sync_receive_stage WHERE kind = 'delete')`,
];

/**
 * Applies the staged run as a snapshot of an empty device (`applySnapshot`), from its typed stage
 * if it has one that fits the model, else from its pages; returns null when neither holds. The
 * typed stage is gone afterwards: dropped once applied, its rows staged as pages otherwise.
 */
async function applyStagedSnapshot(
  tx: DeviceTransaction,
  model: SyncModel,
  typedStage: string | null,
): Promise<number | null> {
  if (typedStage === null) return applySnapshot(tx, model, "pages");
  if (typedStageFits(typedStage, model)) {
    const applied = await applySnapshot(tx, model, "typed stage");
    if (applied !== null) {
      await dropTypedStage(tx);
      return applied;
    }
  }
  await spillTypedStage(tx);
  return applySnapshot(tx, model, "pages");
}

/**
 * Applies the staged run in the caller's write transaction. On an empty device, the run's pages
 * are written as they are when that gives the same result (`applySnapshot`); otherwise they are
 * unpacked into `sync_receive_stage`, one entry per row at its latest change, and applied there,
 * the spec's steps in order:
 *
 * 1. the rows pulled, parents first, each only if newer than the version the device knows;
 * 2. the rows deleted, children first;
 * 3. the device's pending events again on top of the rows pulled, in order;
 * 4. after a reset, the rows the snapshot did not contain (not those with pending events);
 * 5. the versions, the cursor; the stage emptied but for held changes.
 *
 * References are checked at commit (parents and children come in any order within a run); a
 * change that would break one is held instead (see `sync_receive_stage.held`).
 */
export async function applyStaged(tx: DeviceTransaction, model: SyncModel): Promise<AppliedRun> {
  await refuseUnansweredBatches(tx);
  const { stagedCursor, stagedReset, typedStage } = await readReceiveState(tx);
  if (stagedCursor === null) {
    throw new SyncClientError("LOCAL_DATABASE", "receive(): no staged run to apply");
  }
  await tx.batch([
    "PRAGMA defer_foreign_keys = ON",
    "UPDATE sync_receive_stage SET held = 0 WHERE held = 1",
  ]);
  const snapshot = await applyStagedSnapshot(tx, model, typedStage);
  if (snapshot !== null) {
    await tx.batch(finishRun(stagedCursor));
    return { applied: snapshot, skipped: 0, held: 0, removed: 0, reset: stagedReset };
  }
  await unpackPages(tx);
  await applyUpserts(tx, model);
  const deleted = await applyStagedDeletes(tx, model);
  await applyPendingDeletes(tx, model, await overlayPending(tx, model));
  const removed = stagedReset === null ? 0 : await removeUnlisted(tx, model);
  const { total, held, upserted } = await countStage(tx);
  await tx.batch([...recordVersions, ...finishRun(stagedCursor)]);
  const applied = upserted + deleted;
  return { applied, skipped: total - applied - held, held, removed, reset: stagedReset };
}
