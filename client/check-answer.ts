import { describeValue, type SyncModel } from "../schema/index.ts";
import { isRowIdentity, rowIdentity, rowOfIdentity } from "../writer/row-identity.ts";
import { type EventConflict, readConflict } from "./answer-conflict.ts";
import { mismatch } from "./answer-mismatch.ts";
import type { SyncBatchAnswer } from "./create-transport.ts";
import type { Batch } from "./next-batch.ts";

/** An answer checked against its batch, ready to apply. */
export interface CheckedAnswer {
  readonly applied: readonly number[];
  readonly rejected: ReadonlyArray<readonly [seq: number, code: string, message: string]>;
  /** By table: `[temporary key, server key]` pairs. */
  readonly mappings: ReadonlyMap<string, ReadonlyArray<readonly [number, number]>>;
  readonly mappingCount: number;
  /** The row's version after each applied event that has one (`OperationResult.version`). */
  readonly versions: ReadonlyArray<readonly [seq: number, version: number]>;
  /** The conflicts the answer reported, applied or rejected. */
  readonly conflicts: ReadonlyArray<readonly [seq: number, conflict: EventConflict]>;
}

const integer = /^-?[1-9][0-9]*$/;

/** The number a key's text stands for, if it is the decimal text of a safe integer; else NaN. */
function keyNumber(text: unknown): number {
  if (typeof text !== "string" || text.length > 17 || !integer.test(text)) return Number.NaN;
  const key = Number(text);
  return Number.isSafeInteger(key) ? key : Number.NaN;
}

/** A value of the answer as a message shows it: short, whatever the server sent. */
function shown(value: unknown): string {
  if (typeof value !== "string") return value === undefined ? "undefined" : describeValue(value);
  return value.length > 40 ? `${value.slice(0, 40)}… (${value.length} characters)` : value;
}

type KeyMappingAnswer = SyncBatchAnswer["keyMappings"][number];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/** Whether `tempKey` (a row identity) names the mapping's row, without building a string. */
const names = (tempKey: string | null | undefined, { table, clientKey }: KeyMappingAnswer) =>
  typeof tempKey === "string" && isRowIdentity(tempKey, table, clientKey);

/**
 * Pairs the mappings with the applied inserts that need one (indexes into `batch.tempKeys`): one
 * each. Walks both lists in step first (a server answers in operation order, so this allocates
 * nothing), and matches by key only when the orders differ.
 */
function matchMappings(batch: Batch, needed: readonly number[], answer: SyncBatchAnswer): void {
  const mappings = answer.keyMappings;
  let inStep = mappings.length === needed.length;
  for (let j = 0; inStep && j < mappings.length; j++) {
    inStep = names(batch.tempKeys[needed[j] as number], mappings[j] as KeyMappingAnswer);
  }
  if (inStep) return;
  const open = new Map<string, number>();
  for (const index of needed) {
    const key = batch.tempKeys[index] as string;
    open.set(key, (open.get(key) ?? 0) + 1);
  }
  for (const mapping of mappings) {
    const key = rowIdentity(mapping.table, mapping.clientKey);
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
      const [table, clientKey] = rowOfIdentity(key);
      throw mismatch(`no mapping for the applied insert of ${table} ${clientKey}`);
    }
  }
}

/**
 * The answer's mappings by table, each checked on its own: a synced autonumbered table, a
 * temporary key (the text of a negative safe integer) and a server key (the decimal text of a
 * positive safe integer: SQLite and JavaScript both hold it exactly).
 */
function readMappings(
  model: SyncModel,
  mappings: readonly unknown[],
): Map<string, Array<readonly [number, number]>> {
  const byTable = new Map<string, Array<readonly [number, number]>>();
  for (const mapping of mappings) {
    if (!isObject(mapping)) throw mismatch(`a key mapping is ${shown(mapping)}, not an object`);
    const { table, clientKey, serverKey } = mapping;
    const named = `mapping ${shown(table)} ${shown(clientKey)} → ${shown(serverKey)}`;
    const info = typeof table === "string" ? model.byName.get(table) : undefined;
    if (info?.keyKind !== "autonumber")
      throw mismatch(`${named}: no autonumbered table has that name`);
    const client = keyNumber(clientKey);
    if (!(client < 0)) throw mismatch(`${named}: the temporary key is not a negative integer`);
    const server = keyNumber(serverKey);
    if (!(server > 0)) {
      throw mismatch(
        `${named}: the server key is not the decimal text of a positive safe integer (1 to ${Number.MAX_SAFE_INTEGER})`,
      );
    }
    let list = byTable.get(info.name);
    if (!list) {
      list = [];
      byTable.set(info.name, list);
    }
    list.push([client, server]);
  }
  return byTable;
}

/**
 * Checks that a table's mappings give each row one server key and each server key to one row.
 * The same pair twice (two inserts of one temporary key, both answered) is no conflict.
 * Allocates nothing for the usual answer: temporary keys going down while server keys go up.
 */
function checkDistinct(table: string, pairs: ReadonlyArray<readonly [number, number]>): void {
  let ordered = true;
  for (let i = 1; ordered && i < pairs.length; i++) {
    const [client, server] = pairs[i] as readonly [number, number];
    const [clientBefore, serverBefore] = pairs[i - 1] as readonly [number, number];
    ordered = client < clientBefore && server > serverBefore;
  }
  if (ordered) return;
  const clientOf = new Map<number, number>();
  const serverOf = new Map<number, number>();
  for (const [client, server] of pairs) {
    const other = clientOf.get(server);
    if (other !== undefined && other !== client) {
      throw mismatch(
        `mappings ${table} ${other} → ${server} and ${table} ${client} → ${server} give one server key to two rows`,
      );
    }
    const before = serverOf.get(client);
    if (before !== undefined && before !== server) {
      throw mismatch(`mappings give ${table} ${client} two server keys, ${before} and ${server}`);
    }
    clientOf.set(server, client);
    serverOf.set(client, server);
  }
}

/**
 * Checks that an answer belongs to its batch before anything local changes: same batch id, one
 * verdict per event in order, an error on every rejection, a version (when given) a positive
 * integer, and exactly one mapping (from a
 * temporary key to a positive safe integer) for each applied insert into an autonumbered table,
 * no server key given to two rows of a table. Trusts no part of the answer's shape. Allocates
 * little beyond what it returns: it runs for every batch.
 */
export function checkAnswer(
  model: SyncModel,
  batch: Batch,
  answer: SyncBatchAnswer,
): CheckedAnswer {
  if (answer.batchId !== batch.batchId) {
    throw mismatch(`it is for batch ${shown(answer.batchId)}, not ${batch.batchId}`);
  }
  const results: unknown = answer.results;
  const keyMappings: unknown = answer.keyMappings;
  if (!Array.isArray(results) || !Array.isArray(keyMappings)) {
    throw mismatch("its results and keyMappings are not both lists");
  }
  if (results.length !== batch.seqs.length) {
    throw mismatch(`${results.length} verdicts for ${batch.seqs.length} operations`);
  }
  const applied: number[] = [];
  const rejected: Array<readonly [number, string, string]> = [];
  const versions: Array<readonly [number, number]> = [];
  const conflicts: Array<readonly [number, EventConflict]> = [];
  const needed: number[] = [];
  for (let index = 0; index < batch.seqs.length; index++) {
    const result: unknown = results[index];
    const seq = batch.seqs[index] as number;
    if (!isObject(result) || keyNumber(result.eventId) !== seq) {
      const eventId = isObject(result) ? shown(result.eventId) : shown(result);
      throw mismatch(`verdict ${index + 1} is for event ${eventId}, expected ${seq}`);
    }
    const { status, error, version } = result;
    const conflict = readConflict(seq, result.conflict);
    if (conflict) conflicts.push([seq, conflict]);
    if (status === "APPLIED") {
      applied.push(seq);
      if (batch.tempKeys[index] !== null) needed.push(index);
      if (version !== null && version !== undefined) {
        if (!Number.isSafeInteger(version) || (version as number) < 1) {
          throw mismatch(
            `verdict for event ${seq} has version ${shown(version)}, not a positive integer`,
          );
        }
        versions.push([seq, version as number]);
      }
    } else if (
      status === "REJECTED" &&
      isObject(error) &&
      typeof error.code === "string" &&
      typeof error.message === "string"
    ) {
      rejected.push([seq, error.code, error.message]);
    } else {
      throw mismatch(
        `verdict for event ${seq} has status ${shown(status)} without an error (a code and a message)`,
      );
    }
  }
  const mappings = readMappings(model, keyMappings);
  matchMappings(batch, needed, answer);
  for (const [table, pairs] of mappings) checkDistinct(table, pairs);
  return { applied, rejected, mappings, mappingCount: keyMappings.length, versions, conflicts };
}
