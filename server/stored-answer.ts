import { continuesKeyRun, type KeyRun } from "../writer/index.ts";
import type {
  BatchOutcome,
  ConflictInfo,
  KeyMapping,
  OperationVerdict,
  SyncOperation,
} from "./operation.ts";

/** One stored rejection: the operation's index in the request, its code and message. */
type StoredRejection = readonly [index: number, code: string, message: string];

/** One stored conflict: the operation's index in the request and what the answer said of it. */
type StoredConflict = readonly [index: number, conflict: ConflictInfo];

/**
 * A key run as stored: `count` mappings of one table in answer order, the i-th mapping
 * `clientKey - i` to `serverKey + i`. A mapping whose key texts are not exactly how safe integers
 * print is stored alone (`count` 1) with its texts as they are.
 */
type StoredRun = readonly [table: string, clientKey: string, serverKey: string, count: number];

/**
 * The stored form of an answer: the request's operations give every applied verdict back, so
 * only rejections (by operation index) are kept, and the key mappings as key runs. A batch of
 * INSERTs numbers its rows in one go, so its mappings are one run per table: a few dozen bytes
 * where the answer itself takes a hundred per operation.
 */
interface StoredAnswer {
  readonly format: 4;
  readonly rejected: readonly StoredRejection[];
  readonly runs: readonly StoredRun[];
  /**
   * The versions of the applied verdicts, in order, as runs `[version, count]` (most inserts leave
   * version 1); a null version as 0.
   */
  readonly versions: ReadonlyArray<readonly [version: number, count: number]>;
  /** The conflicts the answer reported (left out when none). */
  readonly conflicts?: readonly StoredConflict[];
}

/** The versions of the applied verdicts as runs of equal values. */
function toVersionRuns(results: readonly OperationVerdict[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const verdict of results) {
    if (verdict.status !== "APPLIED") continue;
    const version = verdict.version ?? 0;
    const last = runs[runs.length - 1];
    if (last && last[0] === version) last[1] += 1;
    else runs.push([version, 1]);
  }
  return runs;
}

/** The key as a number when the text is exactly how a safe integer prints, else undefined. */
function integerKey(text: string): number | undefined {
  const value = Number(text);
  return Number.isSafeInteger(value) && String(value) === text ? value : undefined;
}

/** The mappings as stored runs, in answer order; unpacking gives back the same texts. */
function toStoredRuns(mappings: readonly KeyMapping[]): StoredRun[] {
  const stored: Array<[table: string, clientKey: string, serverKey: string, count: number]> = [];
  /** The last stored run, as a key run, while its keys are exact integers. */
  let open: { readonly run: KeyRun; readonly stored: [string, string, string, number] } | undefined;
  for (const { table, clientKey, serverKey } of mappings) {
    const client = integerKey(clientKey);
    const server = integerKey(serverKey);
    const exact = client !== undefined && server !== undefined;
    if (open && exact && continuesKeyRun(open.run, table, client, server)) {
      open.run.count += 1;
      open.stored[3] = open.run.count;
      continue;
    }
    const entry: [string, string, string, number] = [table, clientKey, serverKey, 1];
    stored.push(entry);
    open = exact
      ? { run: { table, firstClient: client, firstServer: server, count: 1 }, stored: entry }
      : undefined;
  }
  return stored;
}

/** The mappings of stored runs, in answer order. */
function fromStoredRuns(runs: readonly StoredRun[]): KeyMapping[] {
  const mappings: KeyMapping[] = [];
  for (const [table, clientKey, serverKey, count] of runs) {
    mappings.push({ table, clientKey, serverKey });
    for (let i = 1; i < count; i++) {
      mappings.push({
        table,
        clientKey: String(Number(clientKey) - i),
        serverKey: String(Number(serverKey) + i),
      });
    }
  }
  return mappings;
}

/** The answer to store with a batch, as text. */
export function packAnswer(outcome: BatchOutcome): string {
  const rejected: StoredRejection[] = [];
  const conflicts: StoredConflict[] = [];
  outcome.results.forEach((verdict, index) => {
    if (verdict.status === "REJECTED")
      rejected.push([index, verdict.error.code, verdict.error.message]);
    if (verdict.conflict) conflicts.push([index, verdict.conflict]);
  });
  const stored: StoredAnswer = {
    format: 4,
    rejected,
    runs: toStoredRuns(outcome.keyMappings),
    versions: toVersionRuns(outcome.results),
    ...(conflicts.length > 0 ? { conflicts } : {}),
  };
  return JSON.stringify(stored);
}

/**
 * The answer stored by {@link packAnswer}, given the same operations (a replay carries them: the
 * request hash matched).
 */
export function unpackAnswer(text: string, operations: readonly SyncOperation[]): BatchOutcome {
  const stored = JSON.parse(text) as StoredAnswer;
  const rejected = new Map(
    stored.rejected.map(([index, code, message]) => [index, { code, message }]),
  );
  const versions = (stored.versions ?? []).flatMap(([version, count]) =>
    new Array<number>(count).fill(version),
  );
  const conflicts = new Map(stored.conflicts ?? []);
  let applied = 0;
  const results = operations.map((operation, index): OperationVerdict => {
    const error = rejected.get(index);
    const conflict = conflicts.get(index) ?? null;
    const { eventId } = operation;
    if (error) return { eventId, status: "REJECTED", error, version: null, conflict };
    const version = versions[applied++] ?? 0;
    return { eventId, status: "APPLIED", error: null, version: version || null, conflict };
  });
  return { results, keyMappings: fromStoredRuns(stored.runs) };
}
