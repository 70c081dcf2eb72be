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

type KeyMappingAnswer = SyncBatchAnswer["keyMappings"][number];

/** Whether `tempKey` (`table\u0000key`) names the mapping's row, without building a string. */
function names(tempKey: string | null | undefined, mapping: KeyMappingAnswer): boolean {
  const { table, clientKey } = mapping;
  return (
    typeof tempKey === "string" &&
    tempKey.length === table.length + 1 + clientKey.length &&
    tempKey.charCodeAt(table.length) === 0 &&
    tempKey.startsWith(table) &&
    tempKey.endsWith(clientKey)
  );
}

/**
 * Pairs the mappings with the applied inserts that need one (indexes into `piece.tempKeys`): one
 * each. Walks both lists in step first (a server answers in operation order, so this allocates
 * nothing), and matches by key only when the orders differ.
 */
function matchMappings(piece: Piece, needed: readonly number[], answer: SyncBatchAnswer): void {
  const mappings = answer.keyMappings;
  let inStep = mappings.length === needed.length;
  for (let j = 0; inStep && j < mappings.length; j++) {
    inStep = names(piece.tempKeys[needed[j] as number], mappings[j] as KeyMappingAnswer);
  }
  if (inStep) return;
  const open = new Map<string, number>();
  for (const index of needed) {
    const key = piece.tempKeys[index] as string;
    open.set(key, (open.get(key) ?? 0) + 1);
  }
  for (const mapping of mappings) {
    const key = `${mapping.table}\u0000${mapping.clientKey}`;
    const count = open.get(key) ?? 0;
    if (count === 0) {
      throw mismatch(
        `mapping ${mapping.table} ${mapping.clientKey} → ${mapping.serverKey} matches no insert of this request`,
      );
    }
    open.set(key, count - 1);
  }
  for (const [key, count] of open) {
    if (count > 0) {
      const [table, clientKey] = key.split("\u0000");
      throw mismatch(`no mapping for the applied insert of ${table} ${clientKey}`);
    }
  }
}

/**
 * Checks that an answer belongs to its piece before anything local changes: same batch id, one
 * verdict per event in order, an error on every rejection, and exactly one mapping (from a
 * temporary to a server key) for each applied insert into an autonumbered table. Allocates
 * little beyond what it returns: it runs for every piece.
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
  const needed: number[] = [];
  for (let index = 0; index < piece.seqs.length; index++) {
    const result = answer.results[index];
    const seq = piece.seqs[index] as number;
    if (result === undefined || !integer.test(result.eventId) || Number(result.eventId) !== seq) {
      throw mismatch(`verdict ${index + 1} is for event ${result?.eventId}, expected ${seq}`);
    }
    if (result.status === "APPLIED") {
      applied.push(seq);
      if (piece.tempKeys[index] !== null) needed.push(index);
    } else if (result.status === "REJECTED" && result.error) {
      rejected.push([seq, result.error.code, result.error.message]);
    } else {
      throw mismatch(
        `verdict for event ${seq} has status ${String(result.status)} without an error`,
      );
    }
  }
  matchMappings(piece, needed, answer);
  const mappings = new Map<string, Array<readonly [number, number]>>();
  for (const mapping of answer.keyMappings) {
    const table = model.byName.get(mapping.table);
    const clientKey = Number(mapping.clientKey);
    const serverKey = Number(mapping.serverKey);
    if (
      table === undefined ||
      !integer.test(mapping.clientKey) ||
      !integer.test(mapping.serverKey) ||
      clientKey >= 0 ||
      serverKey <= 0
    ) {
      throw mismatch(`mapping ${mapping.table} ${mapping.clientKey} → ${mapping.serverKey}`);
    }
    let list = mappings.get(table.name);
    if (!list) {
      list = [];
      mappings.set(table.name, list);
    }
    list.push([clientKey, serverKey]);
  }
  return { applied, rejected, mappings, mappingCount: answer.keyMappings.length };
}
