import type { SyncModel } from "../schema/index.ts";
import type { InsertedRuns } from "./inserted-runs.ts";
import type { RowWriter, Tracked } from "./row-versions.ts";
import type { RowStateEntry, ScopeExit, SyncStoreTransaction } from "./store/sync-store.ts";

/** What one request's bookkeeping leaves to save. */
export interface RowVersionsToSave {
  /** By table, then key: each row's state (null: the store has none). */
  readonly tracked: ReadonlyMap<string, ReadonlyMap<string, Tracked | null>>;
  readonly runs: InsertedRuns;
  readonly exits: ReadonlyArray<Omit<ScopeExit, "seq">>;
  readonly writer: RowWriter;
}

/**
 * Saves a request's bookkeeping in its transaction, each entry with a new change sequence number
 * in this order: runs of inserted rows, the states of the rows the request changed, the writer
 * exits (rows it left in scopes it does not read), the scope exits.
 */
export async function saveRowVersions(
  model: SyncModel,
  tx: SyncStoreTransaction,
  { tracked, runs, exits, writer }: RowVersionsToSave,
  now: number,
): Promise<void> {
  const changed: RowStateEntry[] = [];
  for (const [name, rows] of tracked) {
    const numeric = model.byName.get(name)?.keyKind === "autonumber";
    for (const [key, state] of rows) {
      if (!state?.changed) continue;
      const { version, scope, deleted, writer: by, writerFrom } = state;
      const stored = numeric ? Number(key) : key;
      changed.push({
        table: name,
        key: stored,
        version,
        scope,
        deleted,
        writer: by,
        writerFrom,
        seq: 0,
      });
    }
  }
  const { reads } = writer;
  const unreadable = reads
    ? changed.filter(({ scope, deleted }) => !deleted && scope !== "" && !reads.has(scope))
    : [];
  const count = runs.count + changed.length + exits.length + unreadable.length;
  if (count === 0) return;
  let seq = await tx.reserveSeqs(count);
  if (runs.count > 0) await tx.saveInsertedRuns(runs.numbered(seq), now, writer.clientId);
  seq += runs.count;
  if (changed.length > 0) {
    await tx.saveRowStates(
      changed.map((entry) => ({ ...entry, seq: seq++ })),
      now,
    );
  }
  if (unreadable.length > 0) {
    await tx.saveWriterExits(
      writer.clientId,
      unreadable.map(({ table, key, version }) => ({ table, key, version, seq: seq++ })),
      now,
    );
  }
  if (exits.length > 0) {
    const numeric = (table: string) => model.byName.get(table)?.keyKind === "autonumber";
    await tx.saveScopeExits(
      exits.map((exit) => ({
        ...exit,
        key: numeric(exit.table) ? Number(exit.key) : exit.key,
        seq: seq++,
      })),
      now,
    );
  }
}
