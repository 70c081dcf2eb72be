import type { SyncStore } from "./store/sync-store.ts";

/** Tombstones pruned per step: one short write transaction, so batches never wait long. */
const rowsPerStep = 1_000;

/** A background task that prunes old tombstones; `stop()` waits for a running step. */
export interface TombstonePruning {
  stop(): Promise<void>;
}

/**
 * Prunes tombstones and scope exits older than the retention in bounded steps: at start and then
 * every tenth of the retention (at most hourly), as many steps as there is work, each a write
 * transaction of its own. An unref'd timer: it never keeps the process alive. A failed step is
 * logged and tried again at the next tick.
 */
export function startTombstonePruning(
  store: SyncStore,
  retentionSeconds: number,
  log: (error: unknown) => void = (error) => console.error("tombstone pruning failed", error),
): TombstonePruning {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const prune = async (): Promise<void> => {
    const before = Date.now() - retentionSeconds * 1000;
    while (!stopped && (await store.pruneTombstones(before, rowsPerStep)) === rowsPerStep) {
      // Another step: other transactions get their turn in between.
    }
  };
  const tick = () => {
    running = running.then(prune).catch(log);
  };
  const every = Math.min(3_600_000, Math.max(1_000, (retentionSeconds * 1000) / 10));
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
