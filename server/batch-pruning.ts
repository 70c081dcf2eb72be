import type { ResolvedBatchRetention } from "./batch-retention.ts";
import type { SyncStore } from "./store/sync-store.ts";

/** Stored answers pruned per step: one short write transaction, so batches never wait long. */
export const batchesPerStep = 1_000;

/** A background task that prunes old stored answers; `stop()` waits for a running step. */
export interface BatchPruning {
  stop(): Promise<void>;
}

/**
 * Prunes stored answers past the retention in bounded steps, as tombstones are pruned
 * (`tombstone-pruning.ts`): at start and then every tenth of the retention (at most hourly), as
 * many steps as there is work, each a write transaction of its own. An unref'd timer: it never
 * keeps the process alive. A failed step is logged and tried again at the next tick.
 */
export function startBatchPruning(
  store: SyncStore,
  retention: ResolvedBatchRetention,
  log: (error: unknown) => void = (error) => console.error("stored-answer pruning failed", error),
): BatchPruning {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const prune = async (): Promise<void> => {
    const before = Date.now() - retention.seconds * 1000;
    const step = { before, keep: retention.keepPerClient, max: batchesPerStep };
    while (!stopped && (await store.pruneBatches(step)) === batchesPerStep) {
      // Another step: other transactions get their turn in between.
    }
  };
  const tick = () => {
    running = running.then(prune).catch(log);
  };
  const every = Math.min(3_600_000, Math.max(1_000, (retention.seconds * 1000) / 10));
  const timer = setInterval(tick, every);
  timer.unref();
  tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
