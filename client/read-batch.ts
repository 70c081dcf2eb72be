import { rowIdentitySql } from "../writer/row-identity.ts";
import type { DeviceTransaction, SqlValue } from "./device-database.ts";

/** What a batch carries, read from the outbox: see `Batch`. */
export interface BatchParts {
  readonly operationsJson: Uint8Array;
  readonly seqs: readonly number[];
  readonly tempKeys: ReadonlyArray<string | null>;
}

/**
 * The events matching `where`, as JSON built by SQLite (no row objects in JS): the operations as
 * the wire carries them, the seqs, and the inserted temporary keys (row identities) the answer's
 * mappings are checked against. The first parameter is the JSON array of the autonumbered tables'
 * names, the last the most events to read. `ordered` sorts each aggregate's input by seq; without
 * it the three aggregates take the rows as the inner query yields them (in seq order in practice,
 * but SQLite does not promise it), which spares three sorts of a whole batch: see
 * {@link readBatch}. Columns: operations, seqs, temp_keys, count, last seq.
 */
const batchQuery = (where: string, ordered: boolean) => {
  const order = ordered ? " ORDER BY seq" : "";
  return `
  SELECT CAST('[' || coalesce(group_concat(operation, ','${order}), '') || ']' AS BLOB) AS operations,
         json_group_array(seq${order}) AS seqs,
         json_group_array(CASE WHEN kind = 'insert' AND table_name IN (SELECT value FROM json_each(?))
                          THEN ${rowIdentitySql("table_name", "row_key")} END${order}) AS temp_keys,
         count(*) AS n, max(seq) AS last
  FROM (SELECT * FROM sync_outbox WHERE ${where} ORDER BY seq LIMIT ?)`;
};

/** What one row of {@link batchQuery} holds. */
export interface ReadBatch {
  readonly parts: BatchParts;
  /** How many events it read. */
  readonly count: number;
  /** The seq of its last event (NaN when it read none). */
  readonly last: number;
}

const toReadBatch = (row: readonly SqlValue[] | undefined): ReadBatch => {
  const [operations, seqs, tempKeys, count, last] = row ?? [];
  return {
    parts: {
      operationsJson: operations instanceof Uint8Array ? operations : new Uint8Array(),
      seqs: JSON.parse(String(seqs ?? "[]")) as number[],
      tempKeys: JSON.parse(String(tempKeys ?? "[]")) as Array<string | null>,
    },
    count: Number(count ?? 0),
    last: Number(last),
  };
};

const ascending = (seqs: readonly number[]): boolean => {
  for (let i = 1; i < seqs.length; i++) if ((seqs[i] ?? 0) <= (seqs[i - 1] ?? 0)) return false;
  return true;
};

/**
 * Reads the events of `where` (with `args` between the two parameters of {@link batchQuery}) in
 * seq order: runs the query unordered, and again ordered should the seqs come out of order. The
 * three aggregates are fed the same rows in the same steps, so seqs in order mean the operations
 * and temporary keys are in order too.
 */
export async function readBatch(
  tx: DeviceTransaction,
  autonumbered: string,
  where: string,
  args: readonly number[],
  limit: number,
): Promise<ReadBatch> {
  const all = [autonumbered, ...args, limit];
  const { rows } = await tx.execute({ sql: batchQuery(where, false), args: all });
  const read = toReadBatch(rows[0]);
  if (ascending(read.parts.seqs)) return read;
  const { rows: sorted } = await tx.execute({ sql: batchQuery(where, true), args: all });
  return toReadBatch(sorted[0]);
}
