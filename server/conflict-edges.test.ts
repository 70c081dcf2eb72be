import { afterEach, describe, expect, it } from "vitest";
import { changedByAnother, edit, erase, one } from "../test-utils/conflict-requests.ts";
import { closeConflictServer, startConflictServer } from "../test-utils/conflict-server.ts";
import { insert, remove, update } from "../test-utils/operations.ts";
import { sendBatch } from "../test-utils/receive.ts";
import type { SyncOperation } from "./operation.ts";

// Contract tests of SYNC.md "Conflicts", over HTTP: what is and is not a conflict (a device's own
// edits never conflict with themselves), the input refused, and syncModel's policies.

afterEach(closeConflictServer);

describe("what is and is not a conflict", () => {
  it("a device's own successive edits, across batches, never conflict with themselves", async () => {
    const s = await startConflictServer();
    await sendBatch(s, "seed", "seed", [insert("server_wins", -1, { title: "first" })]);
    // Both edits were made offline on version 1; the second is sent after the first applied.
    expect(
      await one(s, "a", edit("server_wins", 1, { title: "one" }, 1, { title: "first" })),
    ).toMatchObject({ status: "APPLIED", version: 2, conflict: null });
    expect(
      await one(s, "a", edit("server_wins", 1, { title: "two" }, 1, { title: "one" })),
    ).toMatchObject({ status: "APPLIED", version: 3, conflict: null });
    // In one batch too.
    const answer = await sendBatch(s, "a", "pair", [
      edit("server_wins", 1, { title: "three" }, 1, { title: "two" }),
      erase("server_wins", 1, 1),
    ]);
    expect(answer.results.map((r) => [r.status, r.conflict])).toEqual([
      ["APPLIED", null],
      ["APPLIED", null],
    ]);
  });

  it("another device's write in between is one, even when the first device wrote after it", async () => {
    const s = await startConflictServer();
    await sendBatch(s, "seed", "seed", [insert("server_wins", -1, { title: "first" })]);
    await one(s, "a", edit("server_wins", 1, { title: "a1" }, 1, { title: "first" }));
    await one(s, "b", edit("server_wins", 1, { body: "b" }, 2, { body: "" }));
    expect(
      await one(s, "a", edit("server_wins", 1, { title: "a2" }, 2, { title: "a1" })),
    ).toMatchObject({ status: "REJECTED", conflict: { serverVersion: 3 } });
  });

  it("an UPDATE or DELETE of a row another writer deleted: REJECTED CONFLICT, DELETED_REMOTELY", async () => {
    const s = await startConflictServer();
    await sendBatch(s, "seed", "seed", [insert("merged", -1, { title: "first" })]);
    await one(s, "b", erase("merged", 1, 1));
    for (const operation of [
      edit("merged", 1, { title: "late" }, 1, { title: "first" }),
      erase("merged", 1, 1),
    ]) {
      expect(await one(s, "a", operation)).toMatchObject({
        status: "REJECTED",
        error: { code: "CONFLICT", message: expect.stringMatching(/deleted by another writer/) },
        conflict: {
          serverVersion: 2,
          serverRow: null,
          columns: [],
          resolution: "DELETED_REMOTELY",
        },
      });
    }
    // Without a base version, it is the NOT_FOUND it always was.
    expect(await one(s, "a", update("merged", 1, { title: "late" }))).toMatchObject({
      status: "REJECTED",
      error: { code: "NOT_FOUND" },
      conflict: null,
    });
  });

  it("a stale DELETE applies and says so (mergeColumns)", async () => {
    const s = await startConflictServer();
    await changedByAnother(s, "merged", "title", "from b");
    expect(await one(s, "a", erase("merged", 1, 1))).toMatchObject({
      status: "APPLIED",
      version: 3,
      conflict: { serverVersion: 2, serverRow: null, columns: [], resolution: "CLIENT_WON" },
    });
  });

  it("refuses a base on an INSERT or DELETE and a negative base version, whole", async () => {
    const s = await startConflictServer();
    const cases: Array<[SyncOperation, RegExp]> = [
      [
        { ...insert("merged", -1, { title: "t" }), baseVersion: 1 },
        /baseVersion must be null on an INSERT/,
      ],
      [{ ...remove("merged", 1), base: { title: "t" } }, /base must be null on an DELETE/],
      [
        { ...update("merged", 1, { title: "t" }), baseVersion: -1 },
        /baseVersion must be a version/,
      ],
      [
        { ...update("merged", 1, { title: "t" }), base: { title: { deep: 1 } } },
        /base\.title must be a text/,
      ],
      [{ ...update("merged", 1, { title: "t" }), base: [1] }, /base must be an object/],
    ];
    for (const [operation, message] of cases) {
      const response = await s.gql(
        "mutation($input: SyncBatchInput!) { syncBatch(input: $input) { batchId } }",
        {
          input: {
            clientId: "a",
            batchId: `bad-${operation.eventId}`,
            batchSeq: s.batchSeq("a", `bad-${operation.eventId}`),
            operations: [operation],
          },
        },
      );
      expect(response.errors?.[0]).toMatchObject({
        message: expect.stringMatching(message),
        extensions: { code: "BAD_USER_INPUT" },
      });
    }
  });

  it("syncModel shows each table's policy", async () => {
    const s = await startConflictServer();
    const { data } = await s.gql<{ syncModel: Array<{ name: string; conflictPolicy: unknown }> }>(
      "{ syncModel { name conflictPolicy { kind columnWinner } } }",
    );
    expect(
      Object.fromEntries(data?.syncModel.map((t) => [t.name, t.conflictPolicy]) ?? []),
    ).toEqual({
      merged: { kind: "MERGE_COLUMNS", columnWinner: "CLIENT" },
      server_merged: { kind: "MERGE_COLUMNS", columnWinner: "SERVER" },
      server_wins: { kind: "SERVER_WINS", columnWinner: null },
      unchecked: { kind: "NONE", columnWinner: null },
      custom: { kind: "CUSTOM", columnWinner: null },
    });
  });
});
