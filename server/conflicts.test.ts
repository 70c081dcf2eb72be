import { afterEach, describe, expect, it } from "vitest";
import type { CustomConflict, CustomVerdict } from "../schema/index.ts";
import { conflictModel, conflictTablesSql } from "../test-utils/conflict-model.ts";
import { insert, remove, update } from "../test-utils/operations.ts";
import { sendBatch } from "../test-utils/receive.ts";
import { startTestServer, type TestServer } from "../test-utils/test-server.ts";
import type { SyncOperation } from "./operation.ts";

// Contract tests of SYNC.md "Conflicts", over HTTP: per-table policies, every conflict reported,
// a device's own edits never conflicting with themselves, and replays answering the stored verdict.

let decide: (conflict: CustomConflict) => CustomVerdict | Promise<CustomVerdict> = () => ({
  accept: true,
});
const seen: CustomConflict[] = [];
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  seen.length = 0;
  decide = () => ({ accept: true });
});

async function start(): Promise<TestServer> {
  server = await startTestServer({
    model: conflictModel((conflict) => {
      seen.push(conflict);
      return decide(conflict);
    }),
    tables: conflictTablesSql,
  });
  return server;
}

/** An UPDATE based on `baseVersion`, with the values it changes as the device had them. */
const edit = (
  table: string,
  key: number,
  data: Record<string, unknown>,
  baseVersion: number,
  base: Record<string, unknown>,
): SyncOperation => ({ ...update(table, key, data), baseVersion, base });

const erase = (table: string, key: number, baseVersion: number): SyncOperation => ({
  ...remove(table, key),
  baseVersion,
});

let batches = 0;
/** Sends a batch and returns its one result; sends it again to check the replay says the same. */
async function one(s: TestServer, clientId: string, operation: SyncOperation) {
  const batchId = `b${++batches}`;
  const answer = await sendBatch(s, clientId, batchId, [operation]);
  const replay = await sendBatch(s, clientId, batchId, [operation]);
  expect(replay.replayed).toBe(true);
  expect(replay.results).toEqual(answer.results);
  return answer.results[0];
}

/** Note 1 of `table`, at version 2 after another device (`b`) changed `column` from its first value. */
async function changedByAnother(s: TestServer, table: string, column: string, value: string) {
  await sendBatch(s, "seed", `seed-${table}`, [
    insert(table, -1, { title: "first", body: "body", color: "white" }),
  ]);
  const other = await one(s, "b", edit(table, 1, { [column]: value }, 1, { [column]: "x" }));
  expect(other).toMatchObject({ status: "APPLIED", version: 2, conflict: null });
}

const row = async (s: TestServer, table: string) => (await s.rows(`SELECT * FROM ${table}`))[0];

describe("conflicts, policy by policy", () => {
  it("mergeColumns (client wins): an overlapping column is the client's, reported CLIENT_WON", async () => {
    const s = await start();
    await changedByAnother(s, "merged", "title", "from b");
    const result = await one(s, "a", edit("merged", 1, { title: "from a" }, 1, { title: "first" }));
    expect(result).toEqual({
      eventId: expect.any(String),
      status: "APPLIED",
      error: null,
      version: 3,
      conflict: {
        serverVersion: 2,
        serverRow: { title: "from a", body: "body", color: "white" },
        columns: ["title"],
        resolution: "CLIENT_WON",
      },
    });
  });

  it("mergeColumns: disjoint columns merge, reported MERGED", async () => {
    const s = await start();
    await changedByAnother(s, "merged", "color", "red");
    const result = await one(s, "a", edit("merged", 1, { body: "from a" }, 1, { body: "body" }));
    expect(result?.conflict).toEqual({
      serverVersion: 2,
      serverRow: { title: "first", body: "from a", color: "red" },
      columns: [],
      resolution: "MERGED",
    });
    expect(await row(s, "merged")).toEqual({ id: 1, title: "first", body: "from a", color: "red" });
  });

  it("mergeColumns (server wins columns): overlapping columns stay the server's", async () => {
    const s = await start();
    await changedByAnother(s, "server_merged", "title", "from b");
    const both = await one(
      s,
      "a",
      edit("server_merged", 1, { title: "from a", body: "from a" }, 1, {
        title: "first",
        body: "body",
      }),
    );
    expect(both).toMatchObject({
      status: "APPLIED",
      version: 3,
      conflict: { columns: ["title"], resolution: "MERGED" },
    });
    expect(await row(s, "server_merged")).toMatchObject({ title: "from b", body: "from a" });
    // Every column taken by the other writer: nothing written, the version stays.
    const none = await one(
      s,
      "a",
      edit("server_merged", 1, { title: "again" }, 1, { title: "first" }),
    );
    expect(none).toMatchObject({
      status: "APPLIED",
      version: 3,
      conflict: { serverVersion: 3, columns: ["title"], resolution: "SERVER_WON" },
    });
    expect(await row(s, "server_merged")).toMatchObject({ title: "from b" });
  });

  it("serverWins: a stale UPDATE and a stale DELETE are REJECTED with CONFLICT and the server's row", async () => {
    const s = await start();
    await changedByAnother(s, "server_wins", "title", "from b");
    const stale = await one(
      s,
      "a",
      edit("server_wins", 1, { color: "blue" }, 1, { color: "white" }),
    );
    expect(stale).toMatchObject({
      status: "REJECTED",
      error: { code: "CONFLICT", message: expect.stringMatching(/version 2/) },
      version: null,
      conflict: {
        serverVersion: 2,
        serverRow: { title: "from b", body: "body", color: "white" },
        columns: [],
        resolution: "SERVER_WON",
      },
    });
    expect(await one(s, "a", erase("server_wins", 1, 1))).toMatchObject({
      status: "REJECTED",
      error: { code: "CONFLICT" },
    });
    expect(await row(s, "server_wins")).toMatchObject({ title: "from b", color: "white" });
    // Based on the version it now holds, the same change applies.
    expect(
      await one(s, "a", edit("server_wins", 1, { color: "blue" }, 2, { color: "white" })),
    ).toMatchObject({ status: "APPLIED", version: 3, conflict: null });
  });

  it("none: no check, no conflict reported", async () => {
    const s = await start();
    await changedByAnother(s, "unchecked", "title", "from b");
    expect(
      await one(s, "a", edit("unchecked", 1, { title: "from a" }, 1, { title: "first" })),
    ).toMatchObject({ status: "APPLIED", version: 3, conflict: null });
  });

  it("custom: the function gets base, incoming and the server's row, and may write, accept or reject", async () => {
    const s = await start();
    await changedByAnother(s, "custom", "title", "from b");
    decide = ({ incoming, serverRow }) => ({
      write: { title: `${serverRow.title} + ${incoming?.title}` },
    });
    const merged = await one(s, "a", edit("custom", 1, { title: "from a" }, 1, { title: "first" }));
    expect(seen[0]).toEqual({
      table: "custom",
      key: "1",
      clientId: "a",
      kind: "UPDATE",
      baseVersion: 1,
      base: { title: "first" },
      incoming: { title: "from a" },
      serverRow: { title: "from b", body: "body", color: "white" },
      serverVersion: 2,
      columns: ["title"],
    });
    // A replay answers from the stored verdict: the function is not asked again.
    expect(seen).toHaveLength(1);
    expect(merged).toMatchObject({
      status: "APPLIED",
      version: 3,
      conflict: { resolution: "MERGED", serverRow: { title: "from b + from a" } },
    });
    decide = () => ({ reject: "titles are settled by the editor" });
    expect(
      await one(s, "a", edit("custom", 1, { title: "late" }, 1, { title: "first" })),
    ).toMatchObject({
      status: "REJECTED",
      error: { code: "CONFLICT", message: "titles are settled by the editor" },
      conflict: { resolution: "SERVER_WON" },
    });
    decide = () => ({ accept: true });
    expect(await one(s, "a", erase("custom", 1, 1))).toMatchObject({
      status: "APPLIED",
      conflict: { resolution: "CLIENT_WON", serverRow: null },
    });
  });

  it("custom: a function that throws fails the whole request, nothing applied, the error masked", async () => {
    const s = await start();
    await changedByAnother(s, "custom", "title", "from b");
    decide = () => {
      throw new Error("secret detail of the app");
    };
    const response = await s.gql(
      "mutation($input: SyncBatchInput!) { syncBatch(input: $input) { batchId } }",
      {
        input: {
          clientId: "a",
          batchId: "throws",
          operations: [
            insert("merged", -1, { title: "not kept" }),
            edit("custom", 1, { title: "from a" }, 1, { title: "first" }),
          ],
        },
      },
    );
    expect(response.text).not.toContain("secret detail");
    expect(response.errors?.[0]?.message).toBe("Unexpected error.");
    expect(await s.rows("SELECT count(*) AS n FROM merged")).toEqual([{ n: 0 }]);
    expect(await row(s, "custom")).toMatchObject({ title: "from b" });
  });
});

describe("what is and is not a conflict", () => {
  it("a device's own successive edits, across batches, never conflict with themselves", async () => {
    const s = await start();
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
    const s = await start();
    await sendBatch(s, "seed", "seed", [insert("server_wins", -1, { title: "first" })]);
    await one(s, "a", edit("server_wins", 1, { title: "a1" }, 1, { title: "first" }));
    await one(s, "b", edit("server_wins", 1, { body: "b" }, 2, { body: "" }));
    expect(
      await one(s, "a", edit("server_wins", 1, { title: "a2" }, 2, { title: "a1" })),
    ).toMatchObject({ status: "REJECTED", conflict: { serverVersion: 3 } });
  });

  it("an UPDATE or DELETE of a row another writer deleted: REJECTED CONFLICT, DELETED_REMOTELY", async () => {
    const s = await start();
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
    const s = await start();
    await changedByAnother(s, "merged", "title", "from b");
    expect(await one(s, "a", erase("merged", 1, 1))).toMatchObject({
      status: "APPLIED",
      version: 3,
      conflict: { serverVersion: 2, serverRow: null, columns: [], resolution: "CLIENT_WON" },
    });
  });

  it("refuses a base on an INSERT or DELETE and a negative base version, whole", async () => {
    const s = await start();
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
        { input: { clientId: "a", batchId: `bad-${operation.eventId}`, operations: [operation] } },
      );
      expect(response.errors?.[0]).toMatchObject({
        message: expect.stringMatching(message),
        extensions: { code: "BAD_USER_INPUT" },
      });
    }
  });

  it("syncModel shows each table's policy", async () => {
    const s = await start();
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
