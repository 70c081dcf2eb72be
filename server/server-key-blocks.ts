import type { TableInfo } from "../schema/index.ts";
import type { Prepared, Refused } from "./prepare-operation.ts";
import type { SyncStoreTransaction } from "./store/sync-store.ts";

/**
 * Server keys for one request's INSERTs, reserved a block per table: as many keys as the request
 * still inserts into the table, so that most rows take a key without waiting on the store. A key
 * taken is never given again, even when its row is not written (server keys are never reused).
 */
export interface ServerKeyBlocks {
  /** The next reserved key of `table`, if its block has one left: no wait, no promise. */
  next(table: TableInfo): number | undefined;
  /** Reserves the next block of `table` (its block is used up) and takes its first key. */
  reserve(table: TableInfo): Promise<number>;
}

/** The keys of a block still free: from `next` up to `end`, exclusive. */
interface Block {
  next: number;
  readonly end: number;
}

/** The key blocks of one request, sized by the INSERTs by temporary key it carries per table. */
export function createServerKeyBlocks(
  tx: SyncStoreTransaction,
  prepared: ReadonlyArray<Prepared | Refused>,
): ServerKeyBlocks {
  const insertsLeft = new Map<TableInfo, number>();
  for (const item of prepared) {
    if (item.ok && item.operation.kind === "INSERT" && typeof item.key === "number") {
      insertsLeft.set(item.table, (insertsLeft.get(item.table) ?? 0) + 1);
    }
  }
  const blocks = new Map<TableInfo, Block>();
  const take = (table: TableInfo, block: Block): number => {
    insertsLeft.set(table, Math.max(0, (insertsLeft.get(table) ?? 0) - 1));
    return block.next++;
  };
  return {
    next(table) {
      const block = blocks.get(table);
      return block && block.next < block.end ? take(table, block) : undefined;
    },
    async reserve(table) {
      const count = Math.max(1, insertsLeft.get(table) ?? 0);
      const first = await tx.reserveKeys(table, count);
      const block = { next: first, end: first + count };
      blocks.set(table, block);
      return take(table, block);
    },
  };
}
