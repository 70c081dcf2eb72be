import type {
  BatchOutcome,
  KeyMapping,
  OperationVerdict,
  RejectionCode,
  SyncOperation,
} from "./operation.ts";

/**
 * The stored form of an answer: the request's operations give every applied verdict back, so
 * only rejections (by operation index) and the mappings as tuples are kept; a tenth of the size
 * of the answer itself for a typical batch.
 */
interface PackedAnswer {
  readonly format: 2;
  readonly rejected: ReadonlyArray<readonly [index: number, code: RejectionCode, message: string]>;
  readonly mappings: ReadonlyArray<readonly [table: string, clientKey: string, serverKey: string]>;
}

/** The answer to store with a batch, as text. */
export function packAnswer(outcome: BatchOutcome): string {
  const rejected: Array<PackedAnswer["rejected"][number]> = [];
  outcome.results.forEach((verdict, index) => {
    if (verdict.status === "REJECTED")
      rejected.push([index, verdict.error.code, verdict.error.message]);
  });
  const packed: PackedAnswer = {
    format: 2,
    rejected,
    mappings: outcome.keyMappings.map((m) => [m.table, m.clientKey, m.serverKey]),
  };
  return JSON.stringify(packed);
}

/**
 * The answer stored by {@link packAnswer}, given the same operations (a replay carries them: the
 * request hash matched). Answers stored whole by earlier versions are read as they are.
 */
export function unpackAnswer(text: string, operations: readonly SyncOperation[]): BatchOutcome {
  const stored = JSON.parse(text) as PackedAnswer | BatchOutcome;
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
  const keyMappings = stored.mappings.map(
    ([table, clientKey, serverKey]): KeyMapping => ({ table, clientKey, serverKey }),
  );
  return { results, keyMappings };
}
