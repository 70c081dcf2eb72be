import type {
  BatchOutcome,
  KeyMapping,
  OperationVerdict,
  RejectionCode,
  SyncOperation,
} from "./operation.ts";

/** One stored rejection: the operation's index in the request, its code and message. */
type StoredRejection = readonly [index: number, code: RejectionCode, message: string];

/** Format 2 (earlier versions): the mappings one tuple each. */
interface PackedAnswerV2 {
  readonly format: 2;
  readonly rejected: readonly StoredRejection[];
  readonly mappings: ReadonlyArray<readonly [table: string, clientKey: string, serverKey: string]>;
}

/**
 * `count` mappings of one table in answer order: the i-th maps `clientKey - i` to `serverKey + i`
 * (a single mapping keeps its key texts as they were, whatever they are).
 */
type MappingRun = readonly [table: string, clientKey: string, serverKey: string, count: number];

/**
 * The stored form of an answer: the request's operations give every applied verdict back, so
 * only rejections (by operation index) are kept, and the mappings as runs. A batch of inserts
 * numbers its rows in one go, so its mappings are one run per table: a few dozen bytes where
 * the answer itself takes a hundred per operation.
 */
interface PackedAnswer {
  readonly format: 3;
  readonly rejected: readonly StoredRejection[];
  readonly runs: readonly MappingRun[];
}

/** The key as a number when the text is exactly how a safe integer prints, else undefined. */
function integerKey(text: string): number | undefined {
  const value = Number(text);
  return Number.isSafeInteger(value) && String(value) === text ? value : undefined;
}

/** The mappings as runs, in answer order; unpacking gives back the same texts. */
function toRuns(mappings: readonly KeyMapping[]): MappingRun[] {
  const runs: Array<[string, string, string, number]> = [];
  let run: [string, string, string, number] | undefined;
  let lastClient: number | undefined;
  let lastServer: number | undefined;
  for (const { table, clientKey, serverKey } of mappings) {
    const client = integerKey(clientKey);
    const server = integerKey(serverKey);
    const continues =
      run !== undefined &&
      run[0] === table &&
      client !== undefined &&
      server !== undefined &&
      lastClient !== undefined &&
      lastServer !== undefined &&
      client === lastClient - 1 &&
      server === lastServer + 1;
    if (run && continues) run[3] += 1;
    else {
      run = [table, clientKey, serverKey, 1];
      runs.push(run);
    }
    lastClient = client;
    lastServer = server;
  }
  return runs;
}

function fromRuns(runs: readonly MappingRun[]): KeyMapping[] {
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
  outcome.results.forEach((verdict, index) => {
    if (verdict.status === "REJECTED")
      rejected.push([index, verdict.error.code, verdict.error.message]);
  });
  const packed: PackedAnswer = { format: 3, rejected, runs: toRuns(outcome.keyMappings) };
  return JSON.stringify(packed);
}

/**
 * The answer stored by {@link packAnswer}, given the same operations (a replay carries them: the
 * request hash matched). Answers stored by earlier versions (format 2, or whole) are read too.
 */
export function unpackAnswer(text: string, operations: readonly SyncOperation[]): BatchOutcome {
  const stored = JSON.parse(text) as PackedAnswer | PackedAnswerV2 | BatchOutcome;
  if (!("format" in stored)) return stored;
  const results: OperationVerdict[] = operations.map((operation) => ({
    eventId: operation.eventId,
    status: "APPLIED",
    error: null,
  }));
  for (const [index, code, message] of stored.rejected) {
    results[index] = {
      eventId: operations[index]?.eventId ?? "",
      status: "REJECTED",
      error: { code, message },
    };
  }
  const keyMappings =
    stored.format === 3
      ? fromRuns(stored.runs)
      : stored.mappings.map(
          ([table, clientKey, serverKey]): KeyMapping => ({ table, clientKey, serverKey }),
        );
  return { results, keyMappings };
}
