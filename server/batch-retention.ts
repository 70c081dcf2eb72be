/** How long and how many of each client's stored answers (replays of its batches) are kept. */
export interface BatchRetentionOptions {
  /** Answers stored less than this long ago are kept, in seconds. Default: 7 days. */
  readonly seconds?: number;
  /**
   * Each client's this many answers of highest `batchSeq` are kept, however old. At least 16, the
   * default: a client has at most a few batches open at once, and the newest answers are the ones
   * a lost answer's replay needs.
   */
  readonly keepPerClient?: number;
}

/** {@link BatchRetentionOptions} with their defaults filled in. */
export interface ResolvedBatchRetention {
  readonly seconds: number;
  readonly keepPerClient: number;
}

/** The fewest answers per client the server may keep (SYNC.md, "Stored answers do not grow forever"). */
export const minKeepPerClient = 16;

/** Fills in the defaults and refuses values that break the spec's floor, naming the option. */
export function resolveBatchRetention(options: BatchRetentionOptions = {}): ResolvedBatchRetention {
  const { seconds = 7 * 24 * 60 * 60, keepPerClient = minKeepPerClient } = options;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new TypeError(
      `createSyncServer: option "batchRetention.seconds" must be a positive integer, got ${String(seconds)}`,
    );
  }
  if (!Number.isSafeInteger(keepPerClient) || keepPerClient < minKeepPerClient) {
    throw new TypeError(
      `createSyncServer: option "batchRetention.keepPerClient" must be an integer of at least ${minKeepPerClient} (a client's recent answers must stay replayable), got ${String(keepPerClient)}`,
    );
  }
  return { seconds, keepPerClient };
}
