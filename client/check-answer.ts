import type { SyncModel } from "../schema/index.ts";
import type { SyncBatchAnswer } from "./create-transport.ts";
import type { Piece } from "./next-piece.ts";
import { SyncClientError } from "./sync-client-error.ts";

/** An answer checked against its piece, ready to apply. */
export interface CheckedAnswer {
  readonly applied: readonly number[];
  readonly rejected: ReadonlyArray<readonly [seq: number, code: string, message: string]>;
  /** By table: `[temporary key, server key]` pairs. */
  readonly mappings: ReadonlyMap<string, ReadonlyArray<readonly [number, number]>>;
  readonly mappingCount: number;
}

const mismatch = (message: string): SyncClientError =>
  new SyncClientError(
    "ANSWER_MISMATCH",
    `the server's answer does not fit the request: ${message}`,
  );

const integer = /^-?[1-9][0-9]*$/;

/**
 * Checks that an answer belongs to its piece before anything local changes: same batch id, one
 * verdict per event in order, an error on every rejection, and mappings only for temporary keys
 * this piece inserted (to positive server keys).
 */
export function checkAnswer(
  model: SyncModel,
  piece: Piece,
  answer: SyncBatchAnswer,
): CheckedAnswer {
  if (answer.batchId !== piece.batchId) {
    throw mismatch(`it is for batch ${answer.batchId}, not ${piece.batchId}`);
  }
  if (answer.results.length !== piece.seqs.length) {
    throw mismatch(`${answer.results.length} verdicts for ${piece.seqs.length} operations`);
  }
  const applied: number[] = [];
  const rejected: Array<readonly [number, string, string]> = [];
  const insertedTempKeys = new Set<string>();
  for (let index = 0; index < piece.seqs.length; index++) {
    const result = answer.results[index];
    const seq = piece.seqs[index] as number;
    const eventId = String(seq);
    if (result?.eventId !== eventId) {
      throw mismatch(`verdict ${index + 1} is for event ${result?.eventId}, expected ${eventId}`);
    }
    if (result.status === "APPLIED") {
      applied.push(seq);
      const insertKey = piece.insertKeys[index];
      if (insertKey) insertedTempKeys.add(insertKey);
    } else if (result.status === "REJECTED" && result.error) {
      rejected.push([seq, result.error.code, result.error.message]);
    } else {
      throw mismatch(
        `verdict for event ${seq} has status ${String(result.status)} without an error`,
      );
    }
  }
  const mappings = new Map<string, Array<readonly [number, number]>>();
  for (const mapping of answer.keyMappings) {
    const table = model.byName.get(mapping.table);
    const known = insertedTempKeys.has(`${mapping.table}\u0000${mapping.clientKey}`);
    if (
      table?.keyKind !== "autonumber" ||
      !known ||
      !integer.test(mapping.clientKey) ||
      !integer.test(mapping.serverKey)
    ) {
      throw mismatch(
        `mapping ${mapping.table} ${mapping.clientKey} → ${mapping.serverKey} matches no insert of this request`,
      );
    }
    const clientKey = Number(mapping.clientKey);
    const serverKey = Number(mapping.serverKey);
    if (clientKey >= 0 || serverKey <= 0)
      throw mismatch(`mapping ${mapping.table} ${clientKey} → ${serverKey}`);
    let list = mappings.get(table.name);
    if (!list) {
      list = [];
      mappings.set(table.name, list);
    }
    list.push([clientKey, serverKey]);
  }
  const mapped = new Set(answer.keyMappings.map((m) => `${m.table}\u0000${m.clientKey}`));
  for (const key of insertedTempKeys) {
    const [table = "", clientKey = ""] = key.split("\u0000");
    if (model.byName.get(table)?.keyKind === "autonumber" && !mapped.has(key)) {
      throw mismatch(`no mapping for the applied insert of ${table} ${clientKey}`);
    }
  }
  return { applied, rejected, mappings, mappingCount: answer.keyMappings.length };
}
