import { describe, expect, it } from "vitest";
import { exampleModel } from "../schema/index.ts";
import { checkAnswer } from "./check-answer.ts";
import type { SyncBatchAnswer } from "./create-transport.ts";
import type { Batch } from "./next-batch.ts";

const batch: Batch = {
  batchId: "b",
  batchSeq: 1,
  operationsJson: new Uint8Array(),
  seqs: [4, 5],
  tempKeys: [null, null],
  checkpointSeq: null,
  fresh: true,
};

const answer = (versions: unknown[]): SyncBatchAnswer => ({
  batchId: "b",
  replayed: false,
  results: batch.seqs.map((seq, i) => ({
    eventId: String(seq),
    status: "APPLIED",
    error: null,
    conflict: null,
    version: versions[i] as number | null,
  })),
  keyMappings: [],
});

describe("checkAnswer's versions", () => {
  it("keeps each applied event's version, and none where the server gives none", () => {
    expect(checkAnswer(exampleModel, batch, answer([3, null])).versions).toEqual([[4, 3]]);
  });

  it("refuses a version that is not a positive integer, before anything local changes", () => {
    for (const version of [0, -1, 1.5, "2", Number.MAX_SAFE_INTEGER + 2]) {
      expect(() => checkAnswer(exampleModel, batch, answer([1, version]))).toThrow(
        expect.objectContaining({ code: "ANSWER_MISMATCH" }),
      );
    }
  });
});
