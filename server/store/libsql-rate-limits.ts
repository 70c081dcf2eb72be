import type { WriteTransaction } from "../../writer/index.ts";
import type { SyncStoreTransaction } from "./sync-store.ts";

/**
 * The method of a libSQL store transaction that keeps request rates (`sync_rate`): a token bucket
 * per key, kept as GCRA's one time per key, in whole microseconds. `ready_at` is when the bucket
 * is full again; a request moves it one interval (`perSeconds / requests`, rounded up to a
 * microsecond) later, from now at the earliest, and is allowed while that stays within `requests`
 * intervals of now. A refused request changes nothing.
 */
export function libsqlRateLimits(
  tx: WriteTransaction,
): Pick<SyncStoreTransaction, "takeRateToken"> {
  return {
    async takeRateToken(key, { requests, perSeconds }, nowMs) {
      const interval = Math.ceil((perSeconds * 1_000_000) / requests);
      const window = requests * interval;
      const now = Math.round(nowMs * 1000);
      // One statement, so that it is atomic on its own too (as an upsert is on PostgreSQL): the
      // update is skipped, and no row returned, when the bucket is empty.
      const { rows } = await tx.execute({
        sql: `INSERT INTO sync_rate (key, ready_at) VALUES (?1, ?2 + ?3)
          ON CONFLICT (key) DO UPDATE SET ready_at = max(ready_at, ?2) + ?3
          WHERE max(ready_at, ?2) + ?3 - ?2 <= ?4
          RETURNING ready_at`,
        args: [key, now, interval, window],
      });
      if (rows.length > 0) {
        // A bucket full again is the same as none: drop those (the index finds them).
        await tx.execute({ sql: "DELETE FROM sync_rate WHERE ready_at < ?", args: [now] });
        return 0;
      }
      const { rows: held } = await tx.execute({
        sql: "SELECT ready_at FROM sync_rate WHERE key = ?",
        args: [key],
      });
      const readyAt = Math.max(Number(held[0]?.ready_at ?? now), now);
      // The next request is allowed once `readyAt + interval - now` fits in the window.
      return Math.max(1, Math.ceil((readyAt + interval - window - now) / 1_000_000));
    },
  };
}
